import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { CookieWriter } from '../lib/cookies/cookie-writer.js'
import { addLoginRoutes, buildApp, setCookies } from './helpers.js'

function loginRoute (app: FastifyInstance): void {
  addLoginRoutes(app)
  app.get('/logout', async (request) => { request.session.clear(); return 'ok' })
}

t.test('secure defaults: HttpOnly, SameSite=Lax, Path=/', async (t) => {
  const { app } = await buildApp(t, {}, loginRoute)
  t.match(setCookies(await app.inject('/login')), [/^session=[\w.-]+; HttpOnly; Path=\/; SameSite=Lax$/])
})

t.test('every attribute can be set, and the deletion cookie matches it', async (t) => {
  const { app } = await buildApp(t, {
    cookieName: 'sid',
    cookie: { path: '/app', domain: 'example.com', httpOnly: false, secure: true, sameSite: 'none', partitioned: true }
  }, loginRoute)
  t.match(setCookies(await app.inject('/login')), [/^sid=[\w.-]+; Domain=example.com; Secure; Path=\/app; SameSite=None; Partitioned$/])
  t.same(setCookies(await app.inject('/logout')), ['sid=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; Path=/app; SameSite=None; Partitioned'])
})

t.test('sameSite: false leaves the attribute out; strict is Strict', async (t) => {
  const off = await buildApp(t, { cookie: { sameSite: false } }, loginRoute)
  t.match(setCookies(await off.app.inject('/login')), [/^session=[\w.-]+; HttpOnly; Path=\/$/])
  const strict = await buildApp(t, { cookie: { sameSite: 'strict' } }, loginRoute)
  t.match(setCookies(await strict.app.inject('/login')), [/; SameSite=Strict$/])
})

t.test("secure: 'auto' is Secure over https, also behind a trusted proxy", async (t) => {
  const { app } = await buildApp(t, { cookie: { secure: 'auto' } }, loginRoute, { trustProxy: true })
  t.match(setCookies(await app.inject('/login')), [/^session=[\w.-]+; HttpOnly; Path=\/; SameSite=Lax$/], 'plain http: not Secure')
  t.match(setCookies(await app.inject({ url: '/login', headers: { 'x-forwarded-proto': 'https' } })), [/^session=[\w.-]+; Secure; HttpOnly;/])
})

t.test('the session cookie joins cookies the app sets itself', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/', async (request, reply) => {
      reply.setCookie('theme', 'dark')
      request.session.set('user', 'ann')
      return 'ok'
    })
  })
  const cookies = setCookies(await app.inject('/'))
  t.equal(cookies.length, 2)
  t.match(cookies, [/^theme=dark/, /^session=/])
})

t.test('a Secure cookie sent over plain http gets one warning: the browser would drop it', async (t) => {
  const { app, logs } = await buildApp(t, { cookie: { secure: true } }, loginRoute)
  t.match(setCookies(await app.inject('/login')), [/^session=[\w.-]+; Secure; HttpOnly; Path=\/; SameSite=Lax$/])
  await app.inject('/login')
  const warnings = logs.filter((line) => line.level === 40)
  t.equal(warnings.length, 1, 'once, not on every response')
  t.match(warnings[0]!.msg, /a Secure "session" cookie was sent over plain http; browsers drop it, so the session will not stick/)
  const https = await buildApp(t, { cookie: { secure: true } }, loginRoute, { trustProxy: true })
  await https.app.inject({ url: '/login', headers: { 'x-forwarded-proto': 'https' } })
  t.same(https.logs.filter((line) => line.level === 40), [], 'no warning over https')
})

t.test('Expires and Max-Age are written for each second and each lifetime, though the last ones are kept', async (t) => {
  const writer = new CookieWriter('session')
  const tail = 'HttpOnly; Path=/; SameSite=Lax'
  t.equal(writer.header('a', false, 60, 1_700_000_000), `session=a; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; ${tail}`)
  t.equal(writer.header('b', true, 60, 1_700_000_000), `session=b; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; Secure; ${tail}`, 'the same second')
  t.equal(writer.header('c', false, 60, 1_700_000_001), `session=c; Expires=Tue, 14 Nov 2023 22:14:21 GMT; Max-Age=60; ${tail}`, 'the next second')
  t.equal(writer.header('d', false, 59, 1_700_000_002), `session=d; Expires=Tue, 14 Nov 2023 22:14:21 GMT; Max-Age=59; ${tail}`, 'the same Expires with another lifetime')
  t.equal(writer.header('e', false), `session=e; ${tail}`, 'no lifetime: a browser-session cookie')
})
