import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import fastifyWebsocket from '@fastify/websocket'
import type { FastifyReply, FastifyRequest } from 'fastify'
import t from 'tap'
import WebSocket from 'ws'
import { addLoginRoutes, buildApp, expectSessionValue } from './helpers.js'

/** A real WebSocket client over real HTTP: the upgrade response and the first message the server sends. */
async function connect (t: Parameters<typeof buildApp>[0], url: string, cookie?: string): Promise<{ socket: WebSocket, upgrade: IncomingMessage, firstMessage: string }> {
  const socket = new WebSocket(url, { headers: cookie === undefined ? {} : { cookie } })
  t.teardown(() => socket.close())
  const upgraded = once(socket, 'upgrade') as Promise<[IncomingMessage]>
  const message = once(socket, 'message') as Promise<[Buffer]>
  const [upgrade] = await upgraded
  const [firstMessage] = await message
  return { socket, upgrade, firstMessage: firstMessage.toString() }
}

t.test('a WebSocket handler reads the session from the upgrade request\'s cookie; a change there is lost with one warning naming the route', async (t) => {
  const { app, logs } = await buildApp(t, {}, async (app) => {
    await app.register(fastifyWebsocket)
    addLoginRoutes(app, { key: 'username' })
    const ownPreHandler = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => { request.log.info('the route\'s own preHandler ran'); done() }
    app.get('/chat', { websocket: true, preHandler: ownPreHandler }, (socket, request) => {
      socket.send(String(request.session.get('username') ?? 'nobody'))
      socket.on('message', () => {
        request.session.set('lastSeen', 'now')
        request.session.set('again', true)
        socket.send('changed')
      })
    })
    app.get('/ticker', { websocket: true, config: { session: false } }, (socket) => { socket.send('tick') })
    // One URL for both: the HTTP handler saves the session as usual, the WebSocket one cannot.
    app.route({
      method: 'GET',
      url: '/feed',
      handler: async (request) => { request.session.set('feed', 'http'); return 'http' },
      wsHandler: (socket, request) => { request.session.set('feed', 'ws'); socket.send('ws') }
    })
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const cookie = `session=${expectSessionValue(await app.inject('/login'))}`

  const anonymous = await connect(t, `${base.replace('http', 'ws')}/chat`)
  t.equal(anonymous.firstMessage, 'nobody')
  anonymous.socket.close()

  const { socket, upgrade, firstMessage } = await connect(t, `${base.replace('http', 'ws')}/chat`, cookie)
  t.equal(firstMessage, 'ann', 'the session of the upgrade request')
  t.equal(upgrade.statusCode, 101)
  t.equal(upgrade.headers['set-cookie'], undefined, 'the upgrade response carries no session cookie')
  socket.send('hello')
  const [reply] = await once(socket, 'message') as [Buffer]
  t.equal(reply.toString(), 'changed', 'a change in the handler does not throw')
  const warnings = logs.filter((line) => line.level === 40)
  t.equal(warnings.length, 1, 'one warning for two changes')
  t.match(warnings[0], { route: '/chat', msg: /the session was changed in the WebSocket handler of GET \/chat; the upgrade response has gone, so the change is lost/ })
  t.same(logs.filter((line) => line.level >= 50), [], 'no error')
  t.ok(logs.some((line) => line.msg === 'the route\'s own preHandler ran'), 'the route keeps its own preHandler')

  const plain = await fetch(`${base}/chat`, { headers: { cookie } })
  t.equal(plain.status, 404, 'a plain GET of the WebSocket route is @fastify/websocket\'s 404, not a 500')
  t.equal((await fetch(`${base}/login`, { headers: { cookie } })).status, 200, 'HTTP routes still save the session')

  t.equal((await connect(t, `${base.replace('http', 'ws')}/ticker`, cookie)).firstMessage, 'tick', 'a WebSocket route without a session')

  logs.length = 0
  const feed = await fetch(`${base}/feed`, { headers: { cookie } })
  t.match(feed.headers.get('set-cookie'), /^session=/, 'the HTTP handler of a route with a wsHandler saves the session')
  t.equal((await connect(t, `${base.replace('http', 'ws')}/feed`, cookie)).firstMessage, 'ws')
  t.match(logs.filter((line) => line.level === 40), [{ route: '/feed', msg: /in the WebSocket handler of GET \/feed/ }])
})
