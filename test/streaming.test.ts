import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildApp } from './helpers.js'

/** Server-sent events, as browsers read them: the events of a body. */
function events (body: string): string[] {
  return body.split('\n\n').filter((event) => event !== '')
}

t.test('a streamed reply (server-sent events) sends the session changed before the stream starts; a change while it streams is lost, with one warning', async (t) => {
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/events', async (request, reply) => {
      request.session.set('subscribed', 'prices')
      async function * prices () {
        yield 'data: 1\n\n'
        await sleep(5)
        request.session.set('lastEvent', 2)
        yield 'data: 2\n\n'
      }
      return reply.type('text/event-stream').send(Readable.from(prices()))
    })
    app.get('/raw-events', async (request, reply) => {
      reply.hijack()
      request.session.set('subscribed', 'news')
      reply.commitSession()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      reply.raw.write('data: a\n\n')
      await sleep(5)
      request.session.set('lastEvent', 'b')
      reply.raw.end('data: b\n\n')
    })
    app.get('/whoami', async (request) => request.session.toJSON())
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  for (const [url, expected] of [['/events', ['data: 1', 'data: 2']], ['/raw-events', ['data: a', 'data: b']]] as const) {
    logs.length = 0
    const response = await fetch(base + url)
    t.same(events(await response.text()), expected, `${url}: every event arrives`)
    const setCookie = response.headers.getSetCookie()
    const sent = app.readSessionCookie({ headers: { 'set-cookie': setCookie } })
    t.same(sent, { subscribed: url === '/events' ? 'prices' : 'news' }, `${url}: the cookie carries the change made before the stream`)
    const warnings = logs.filter((line) => line.level === 40)
    t.equal(warnings.length, 1, `${url}: one warning`)
    t.match(warnings[0], { route: url, msg: /the session was changed after the response to GET \/[\w-]+ was sent; the change is lost \(for a streamed reply, change the session before returning the stream\)/ })
    const next = await fetch(`${base}/whoami`, { headers: { cookie: setCookie[0]!.split(';', 1)[0]! } })
    t.same(await next.json(), sent, `${url}: the next request has the session without the change made while streaming`)
  }
})
