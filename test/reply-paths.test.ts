import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import fastifyEtag from '@fastify/etag'
import t from 'tap'
import { buildApp, expectSessionValue, NOW, setCookies, stubClock } from './helpers.js'

const SESSION_COOKIE = /^session=[\w-]+\.[\w-]+\.[\w-]+; HttpOnly; Path=\/; SameSite=Lax$/

t.test('every way a route can answer carries the session cookie and Vary: Cookie', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/normal', async (request) => { request.session.set('user', 'ann'); return 'ok' })
    app.get('/thrown', async (request) => { request.session.set('user', 'ann'); throw new Error('boom') })
    app.get('/client-error', async (request, reply) => { request.session.set('user', 'ann'); return reply.code(422).send({ error: 'bad input' }) })
    app.get('/redirect', async (request, reply) => { request.session.set('user', 'ann'); return reply.redirect('/next') })
    app.get('/stream', async (request, reply) => {
      request.session.set('user', 'ann')
      return reply.type('text/plain').send(Readable.from(['a', 'b']))
    })
    app.get('/awaits', async (request) => {
      await sleep(5)
      request.session.set('user', 'ann')
      return 'ok'
    })
  })
  const expectations: Array<[string, string, number]> = [
    ['GET', '/normal', 200],
    ['GET', '/thrown', 500],
    ['GET', '/client-error', 422],
    ['GET', '/redirect', 302],
    ['HEAD', '/normal', 200],
    ['GET', '/stream', 200],
    ['GET', '/awaits', 200]
  ]
  for (const [method, url, status] of expectations) {
    const response = await app.inject({ method: method as 'GET', url })
    t.equal(response.statusCode, status, `${method} ${url}`)
    t.match(setCookies(response), [SESSION_COOKIE], `${method} ${url}: one session cookie`)
    t.equal(response.headers.vary, 'Cookie', `${method} ${url}: Vary`)
  }
  t.equal((await app.inject('/stream')).body, 'ab')
})

t.test('a 304 from @fastify/etag keeps the refreshed cookie', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, {}, async (app) => {
    await app.register(fastifyEtag)
    app.get('/remember', async (request) => { request.session.permanent = true; return 'ok' })
    app.get('/page', async (request) => `same body every time, permanent: ${String(request.session.permanent)}`)
  })
  const cookies = { session: expectSessionValue(await app.inject('/remember')) }
  clock.seconds += 1
  const first = await app.inject({ url: '/page', cookies })
  const etag = first.headers.etag as string
  const notModified = await app.inject({ url: '/page', cookies, headers: { 'if-none-match': etag } })
  t.equal(notModified.statusCode, 304)
  t.match(setCookies(notModified), [/^session=[\w.-]+; Expires=.*; Max-Age=2678400; HttpOnly; Path=\/; SameSite=Lax$/])
  t.equal(notModified.headers.vary, 'Cookie')
})

t.test('reply.hijack() routes commit the session to reply.raw explicitly', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/raw', async (request, reply) => {
      reply.hijack()
      request.session.set('user', 'ann')
      reply.commitSession()
      reply.raw.writeHead(200, { 'content-type': 'text/plain', vary: 'Accept' })
      reply.raw.end('raw')
    })
    app.get('/raw-appends', async (request, reply) => {
      reply.hijack()
      reply.raw.setHeader('set-cookie', 'theme=dark')
      reply.raw.setHeader('cache-control', 'no-store')
      request.session.set('user', 'ann')
      reply.commitSession()
      reply.raw.end('raw')
    })
    app.get('/raw-too-late', async (request, reply) => {
      reply.hijack()
      request.session.set('user', 'ann')
      reply.raw.writeHead(200)
      try {
        reply.commitSession()
      } catch (error) {
        reply.raw.end((error as { code: string }).code)
      }
    })
    app.get('/raw-too-big', async (request, reply) => {
      reply.hijack()
      request.session.set('blob', randomBytes(4500).toString('base64'))
      try {
        reply.commitSession()
      } catch (error) {
        reply.raw.writeHead(500)
        reply.raw.end((error as { code: string }).code)
      }
    })
  })
  const raw = await app.inject('/raw')
  t.equal(raw.body, 'raw')
  t.match(setCookies(raw), [SESSION_COOKIE])
  t.equal(raw.headers.vary, 'Accept', 'headers the route writes itself win')
  t.equal(raw.headers['cache-control'], 'private')
  const appended = await app.inject('/raw-appends')
  t.match(setCookies(appended), [/^theme=dark$/, SESSION_COOKIE])
  t.equal(appended.headers.vary, 'Cookie')
  t.equal(appended.headers['cache-control'], 'no-store')
  const late = await app.inject('/raw-too-late')
  t.equal(late.body, 'FST_COOKIE_SESSION_HEADERS_SENT')
  t.same(setCookies(late), [])
  t.equal((await app.inject('/raw-too-big')).body, 'FST_COOKIE_SESSION_COOKIE_TOO_LARGE')
})

t.test('a change after the response was sent is lost, with one warning that names the route', async (t) => {
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/late', (request, reply) => {
      reply.send('ok')
      request.session.set('user', 'ann')
      request.session.set('again', 'x')
      request.session.modified = true
    })
    app.get('/streamed', async (request, reply) => {
      const body = new Readable({
        read () {
          request.session.set('read', true)
          this.push('done')
          this.push(null)
        }
      })
      return reply.send(body)
    })
  })
  const response = await app.inject('/late')
  t.same(setCookies(response), [])
  const warnings = logs.filter((line) => line.level === 40)
  t.equal(warnings.length, 1, 'one warning, not one per change')
  t.match(warnings[0], { route: '/late', msg: /the session was changed after the response to GET \/late was sent; the change is lost/ })
  logs.length = 0
  const streamed = await app.inject('/streamed')
  t.equal(streamed.body, 'done')
  t.same(setCookies(streamed), [])
  t.match(logs.filter((line) => line.level === 40), [{ route: '/streamed', msg: /change the session before returning the stream/ }])
})

t.test('concurrent requests never see each other\'s session', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/login/:name', async (request) => { request.session.set('user', (request.params as { name: string }).name); return 'ok' })
    app.get('/whoami/:delay', async (request) => {
      const before = request.session.get('user')
      await sleep(Number((request.params as { delay: string }).delay))
      request.session.set('seen', before)
      return `${before}:${request.session.get('user')}`
    })
  })
  const names = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay']
  const cookies = await Promise.all(names.map(async (name) => expectSessionValue(await app.inject(`/login/${name}`))))
  const answers = await Promise.all(names.map((name, index) => app.inject({ url: `/whoami/${(names.length - index) * 3}`, cookies: { session: cookies[index]! } })))
  t.same(answers.map((response) => response.body), names.map((name) => `${name}:${name}`))
})
