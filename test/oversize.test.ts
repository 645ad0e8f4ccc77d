import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildApp, expectSessionValue, sessionValue, setCookies } from './helpers.js'

// Random text does not compress, so the cookie really grows.
const bulky = randomBytes(4500).toString('base64')

t.test('a session too big for a cookie is an error that reaches the error handler and the log', async (t) => {
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/big', async (request) => { request.session.set('blob', bulky); return 'ok' })
  })
  const response = await app.inject('/big')
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: 'FST_COOKIE_SESSION_COOKIE_TOO_LARGE', message: /the "session" cookie is \d+ bytes, over the 4093-byte limit of browsers.*oversizedCookie: 'warn'/ })
  t.same(setCookies(response), [], 'nothing half-sent')
  t.ok(logs.some((line) => line.level === 50 && /over the 4093-byte limit/.test(JSON.stringify(line))))
})

t.test('oversizedCookie: warn logs a warning and sends the cookie anyway', async (t) => {
  const { app, logs } = await buildApp(t, { oversizedCookie: 'warn' }, (app) => {
    app.get('/big', async (request) => { request.session.set('blob', bulky); return 'ok' })
  })
  const response = await app.inject('/big')
  t.equal(response.statusCode, 200)
  t.ok(sessionValue(response))
  t.ok(logs.some((line) => line.level === 40 && /sent anyway because oversizedCookie is 'warn'/.test(line.msg)))
})

t.test('a large but compressible session is compressed and fits', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/big', async (request) => { request.session.set('blob', 'abc'.repeat(3000)); return 'ok' })
    app.get('/len', async (request) => (request.session.get('blob') as string).length)
  })
  const cookie = expectSessionValue(await app.inject('/big'))
  t.ok(cookie.startsWith('.'), 'a compressed payload starts with a dot')
  t.ok(cookie.length < 500)
  t.equal((await app.inject({ url: '/len', cookies: { session: cookie } })).body, '9000')
})
