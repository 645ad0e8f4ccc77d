import fastifySecureSession from '@fastify/secure-session'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import cookieSession, { type FastifySession, type FlashRequest } from '../index.js'
import { buildApp, expectSessionValue, NOW, registrationError, SECRET, setCookies, stubClock } from './helpers.js'

interface AdminData {
  username: string
  elevated: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    adminSession: FastifySession<AdminData>
  }
}

const ADMIN_LIFETIME = 900
/** A Flask-format session next to the default one: another format, cookie, secret and lifetime. */
const ADMIN = { secret: 'flask-dev-key', format: 'flask', cookieName: 'admin', sessionName: 'adminSession', lifetimeSeconds: ADMIN_LIFETIME } as const

async function twoSessions (t: Parameters<typeof buildApp>[0], adminOptions: object = {}) {
  return buildApp(t, {}, async (app) => {
    await app.register(cookieSession, { ...ADMIN, ...adminOptions })
    app.get('/login', async (request) => {
      request.session.set('username', 'ann')
      request.adminSession.set('username', 'root')
      return 'ok'
    })
    app.get('/both', async (request) => `${request.session.get('username') ?? '-'} ${request.adminSession.get('username') ?? '-'}`)
    app.get('/theme', async (request) => { request.session.set('theme', 'dark'); return 'ok' })
    app.get('/elevate', async (request) => { request.adminSession.set('elevated', true); request.adminSession.permanent = true; return 'ok' })
    app.get('/admin-logout', async (request) => { request.adminSession.clear(); return 'ok' })
    app.get('/raw', async (request, reply) => {
      reply.hijack()
      request.session.set('username', 'ann')
      request.adminSession.set('username', 'root')
      reply.commitSession()
      reply.raw.end('raw')
    })
  })
}

/** The names of the cookies a response set, in order: `t.match` on an array would let extra cookies through. */
function setCookieNames (response: Awaited<ReturnType<FastifyInstance['inject']>>): string[] {
  return setCookies(response).map((header) => header.slice(0, header.indexOf('=')))
}

function cookiesOf (...responses: Array<Awaited<ReturnType<FastifyInstance['inject']>>>): Record<string, string> {
  const jar: Record<string, string> = {}
  for (const response of responses) for (const cookie of response.cookies) jar[cookie.name] = cookie.value
  return jar
}

async function registerTwice (first: object, second: object, between?: (app: FastifyInstance) => Promise<void>): Promise<unknown> {
  return registrationError(async (app) => {
    await app.register(cookieSession, { secret: SECRET, ...first })
    await between?.(app)
    await app.register(cookieSession, { secret: SECRET, ...second })
  })
}

t.test('each registration has its own request property, cookie, format and secret', async (t) => {
  const { app } = await twoSessions(t)
  const login = await app.inject('/login')
  t.match(setCookies(login), [/^session=[\w-]+\.[\w-]+\.[\w-]+; HttpOnly; Path=\/; SameSite=Lax$/, /^admin=eyJ[\w-]+\.[\w-]+\.[\w-]+; HttpOnly; Path=\/; SameSite=Lax$/])
  t.same(setCookieNames(login), ['session', 'admin'])
  t.equal(login.headers.vary, 'Cookie', 'Vary: Cookie once, for two sessions')
  t.equal(login.headers['cache-control'], 'private')
  t.equal((await app.inject({ url: '/both', cookies: cookiesOf(login) })).body, 'ann root')
  t.equal((await app.inject({ url: '/both', cookies: { session: expectSessionValue(login) } })).body, 'ann -', 'each session reads its own cookie only')
  t.equal((await app.inject({ url: '/both', cookies: { admin: expectSessionValue(login) } })).body, '- -', 'a cookie moved to the other name does not verify')
})

t.test('a response carries one Set-Cookie per changed session and nothing for the others', async (t) => {
  const { app } = await twoSessions(t)
  const cookies = cookiesOf(await app.inject('/login'))
  const theme = await app.inject({ url: '/theme', cookies })
  t.same(setCookieNames(theme), ['session'])
  const elevate = await app.inject({ url: '/elevate', cookies })
  t.same(setCookieNames(elevate), ['admin'])
  t.match(setCookies(elevate), [/^admin=.*Max-Age=900; HttpOnly; Path=\/; SameSite=Lax$/])
  const read = await app.inject({ url: '/both', cookies })
  t.same(setCookies(read), [])
  t.equal(read.headers.vary, 'Cookie')
})

t.test('each session is refreshed, expires and is deleted on its own', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await twoSessions(t)
  const login = await app.inject('/login')
  const cookies = cookiesOf(login, await app.inject({ url: '/elevate', cookies: cookiesOf(login) }))
  clock.seconds += 1
  const refreshed = await app.inject({ url: '/both', cookies })
  t.same(setCookieNames(refreshed), ['admin'], 'the permanent admin session is refreshed, the other left alone')
  t.match(setCookies(refreshed), [/^admin=.*Max-Age=900/])
  clock.seconds = NOW + ADMIN_LIFETIME + 1
  const later = await app.inject({ url: '/both', cookies })
  t.equal(later.body, 'ann -', 'the admin session ran out after 900 s; the default one lives 31 days')
  t.same(setCookieNames(later), ['admin'], 'only the expired cookie is deleted')
  t.match(setCookies(later), [/^admin=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0/])
  clock.seconds = NOW
  const logout = await app.inject({ url: '/admin-logout', cookies })
  t.same(setCookieNames(logout), ['admin'])
  t.match(setCookies(logout), [/^admin=; Expires=Thu, 01 Jan 1970/])
  t.equal((await app.inject({ url: '/both', cookies: { ...cookies, ...cookiesOf(logout) } })).body, 'ann -')
})

t.test('reply.commitSession() commits every session of the request', async (t) => {
  const { app } = await twoSessions(t)
  const raw = await app.inject('/raw')
  t.equal(raw.body, 'raw')
  t.same(setCookieNames(raw), ['session', 'admin'])
  t.equal(raw.headers.vary, 'Cookie')
  t.same(app.readSessionCookie(raw, { sessionName: 'adminSession' }), { username: 'root' })
})

t.test('signSessionCookie and readSessionCookie reach every session by its sessionName', async (t) => {
  const { app } = await twoSessions(t)
  const admin = app.signSessionCookie({ username: 'root', _permanent: true }, { sessionName: 'adminSession' })
  t.match(admin, /^admin=eyJ/)
  const plain = app.signSessionCookie({ username: 'ann' })
  t.match(plain, /^session=/, 'without a sessionName: request.session')
  t.equal((await app.inject({ url: '/both', headers: { cookie: `${plain}; ${admin}` } })).body, 'ann root')
  const login = await app.inject('/login')
  t.same(app.readSessionCookie(login), { username: 'ann' })
  t.same(app.readSessionCookie(login, { sessionName: 'session' }), { username: 'ann' })
  t.same(app.readSessionCookie(login, { sessionName: 'adminSession' }), { username: 'root' })
  t.equal(app.readSessionCookie(await app.inject('/theme'), { sessionName: 'adminSession' }), undefined)
  t.throws(() => app.signSessionCookie({}, { sessionName: 'userSession' } as never), {
    code: 'FST_COOKIE_SESSION_INVALID_OPTION',
    message: /app.signSessionCookie\(\): no session is registered with sessionName "userSession"; the app has "session", "adminSession"/
  })
})

t.test('without a session named session, the helpers take the only one, and ask when there are several', async (t) => {
  for (const sessions of [[ADMIN], [ADMIN, { secret: SECRET, cookieName: 'prefs', sessionName: 'prefsSession' }]]) {
    const app = Fastify()
    t.teardown(() => app.close())
    for (const options of sessions) await app.register(cookieSession, options)
    app.get('/login', async (request) => { request.adminSession.set('username', 'root'); return 'ok' })
    const login = await app.inject('/login')
    if (sessions.length === 1) {
      t.same(app.readSessionCookie(login), { username: 'root' }, 'the only session')
    } else {
      t.throws(() => app.readSessionCookie(login), {
        code: 'FST_COOKIE_SESSION_INVALID_OPTION',
        message: /app.readSessionCookie\(\) needs \{ sessionName \} to choose among the app's sessions "adminSession", "prefsSession"/
      })
    }
  }
})

t.test('two registrations with the same sessionName or cookieName fail register, naming both options', async (t) => {
  t.match(await registerTwice({ cookieName: 'a' }, { cookieName: 'b' }), {
    code: 'FST_COOKIE_SESSION_INVALID_OPTION',
    message: /option "sessionName" "session" is already used by another registration \(sessionName "session", cookieName "a"\); each registration needs its own sessionName \(the request property\) and its own cookieName/
  })
  t.match(await registerTwice({}, { sessionName: 'adminSession' }), { message: /option "cookieName" "session" is already used by another registration \(sessionName "session", cookieName "session"\)/ })
  t.match(await registerTwice({}, { sessionName: 'adminSession', cookieName: 'admin' }, async (app) => {
    await app.register(async (child) => { await child.register(cookieSession, { secret: SECRET, sessionName: 'adminSession', cookieName: 'admin' }) })
  }), { message: /option "sessionName" "adminSession" is already used/ }, 'a registration in a child scope counts: its cookie lives in the same browser')
  t.equal(await registerTwice({}, { sessionName: 'adminSession', cookieName: 'admin' }), undefined, '@fastify/cookie is registered once')
})

t.test('flash: true is allowed on one registration only', async (t) => {
  t.match(await registerTwice({ flash: true }, { sessionName: 'adminSession', cookieName: 'admin', flash: true }), {
    code: 'FST_COOKIE_SESSION_INVALID_OPTION',
    message: /option "flash" is already true on the session "session"; request.flash\(\) can serve one session only/
  })
  const { app } = await twoSessions(t, { flash: true })
  app.get('/flash', async (request) => { (request as unknown as FlashRequest).flash('welcome, admin'); return 'ok' })
  app.get('/messages', async (request) => (request as unknown as FlashRequest).flashedMessages())
  const flashed = await app.inject('/flash')
  t.same(setCookieNames(flashed), ['admin'], 'the messages go into the session that has flash: true')
  t.same(app.readSessionCookie(flashed, { sessionName: 'adminSession' }), { _flashes: [['message', 'welcome, admin']] })
  t.same((await app.inject({ url: '/messages', cookies: cookiesOf(flashed) })).json(), ['welcome, admin'])
})

t.test('sessionName must be an identifier that Fastify and other plugins do not use on the request', async (t) => {
  for (const sessionName of ['my session', '1st', '', 7]) {
    t.match(await registerTwice({ sessionName, cookieName: 'x' }, {}), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message: /option "sessionName" must be a JavaScript identifier such as 'adminSession'/ }, String(sessionName))
  }
  for (const sessionName of ['body', 'headers', 'raw', 'log', 'params', 'url', 'routeOptions', 'cookies', 'constructor', '__proto__']) {
    t.match(await registerTwice({ sessionName, cookieName: 'x' }, {}), {
      code: 'FST_COOKIE_SESSION_INVALID_OPTION',
      message: new RegExp(`option "sessionName" "${sessionName}" would overwrite request.${sessionName}, which Fastify or another plugin already uses; choose another name`)
    }, sessionName)
  }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySecureSession, { key: Buffer.alloc(32, 1) })
  await t.rejects(async () => { await app.register(cookieSession, { secret: SECRET }) }, { message: /option "sessionName" "session" would overwrite request.session/ }, 'another session plugin owns request.session')
})
