import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import Redis from 'ioredis'
import cookieSession, { fastifyCookieSession, type FastifySession, type FlashedMessagePair, type FlashRequest, memoryRevocationStore, redisRevocationStore, type SessionCookieData, type SessionName } from '..'

declare module '..' {
  interface SessionData {
    username: string
    cart: number[]
  }
}

interface AdminData {
  username: string
  level: number
}

// What the README tells `flash: true` users to write, and docs/several-sessions.md users of a second session.
declare module 'fastify' {
  interface FastifyRequest extends FlashRequest {
    adminSession: FastifySession<AdminData>
  }
}

const app = Fastify()

test('the plugin registers with its options', () => {
  expect(app.register(cookieSession, { secret: 'a'.repeat(32) })).type.not.toRaiseError()
  expect(app.register(cookieSession, {
    secret: [Buffer.alloc(32), 'b'.repeat(32)],
    cookieName: 'sid',
    lifetimeSeconds: 3600,
    refreshEachRequest: false,
    format: 'flask',
    fallbackFormats: ['default'],
    oversizedCookie: 'warn',
    maxJsonBytes: 8192,
    cookie: { path: '/', domain: 'example.com', httpOnly: true, secure: 'auto', sameSite: 'strict', partitioned: false }
  })).type.not.toRaiseError()
  expect(app.register(cookieSession, { secret: 'a'.repeat(32), format: 'encrypted', fallbackFormats: ['flask', 'default'], oversizedCookie: 'split', maxCookies: 6 })).type.not.toRaiseError()
  expect(fastifyCookieSession).type.toBe(cookieSession)
  expect(cookieSession.default).type.toBe(cookieSession)
})

test('bad options do not compile', () => {
  expect(app.register(cookieSession, {})).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 1 })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', format: 'json' })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', maxJsonBytes: '16384' })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', fallbackFormats: 'flask' })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', oversizedCookie: 'drop' })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', cookie: { sameSite: 'lenient' } })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', maxAge: 60 })).type.toRaiseError()
})

test('request.session is typed by the augmented SessionData', () => {
  app.get('/', async (request) => {
    expect(request.session).type.toBe<FastifySession>()
    expect(request.session.get('username')).type.toBe<string | undefined>()
    expect(request.session.get('username', 'guest')).type.toBe<string>()
    expect(request.session.get('cart', [])).type.toBe<number[]>()
    expect(request.session.get('username', null)).type.toBe<string | null>()
    expect(request.session.pop('username')).type.toBe<string | undefined>()
    expect(request.session.get('other')).type.toBe<unknown>()
    expect(request.session.set).type.toBeCallableWith('username', 'alice')
    expect(request.session.set).type.toBeCallableWith('username', undefined)
    expect(request.session.set).type.not.toBeCallableWith('username', 1)
    expect(request.session.set).type.not.toBeCallableWith('cart', ['a'])
    expect(request.session.permanent).type.toBe<boolean>()
    expect(request.session.isNew).type.toBe<boolean>()
    expect(request.session.keys()).type.toBe<string[]>()
  })
})

test('flash: true methods are typed once FastifyRequest extends FlashRequest', () => {
  expect(app.register(cookieSession, { secret: 'x', flash: true })).type.not.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', flash: 'yes' })).type.toRaiseError()
  app.get('/', async (request) => {
    expect(request.flash('saved')).type.toBe<void>()
    expect(request.flash).type.toBeCallableWith('careful', 'warning')
    expect(request.flash).type.not.toBeCallableWith()
    expect(request.flashedMessages()).type.toBe<string[]>()
    expect(request.flashedMessages({ categoryFilter: ['error'] })).type.toBe<string[]>()
    expect(request.flashedMessages({ withCategories: true })).type.toBe<FlashedMessagePair[]>()
  })
})

test('the test helpers take and give the session as typed data', () => {
  expect(app.signSessionCookie({ username: 'alice', _permanent: true })).type.toBe<string>()
  expect(app.signSessionCookie).type.not.toBeCallableWith({ username: 1 })
  expect(app.readSessionCookie({ headers: {} })).type.toBe<SessionCookieData | undefined>()
  expect(app.readSessionCookie({ headers: {} })?.cart).type.toBe<number[] | undefined>()
})

test('a second session is typed by its own data, and the two do not mix', () => {
  expect(app.register(cookieSession, { secret: 'x', sessionName: 'adminSession', cookieName: 'admin' })).type.not.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', sessionName: 1 })).type.toRaiseError()
  app.get('/', async (request) => {
    expect(request.adminSession).type.toBe<FastifySession<AdminData>>()
    expect(request.adminSession.get('username')).type.toBe<string | undefined>()
    expect(request.adminSession.get('level', 0)).type.toBe<number>()
    expect(request.adminSession.set).type.toBeCallableWith('username', 'root')
    expect(request.adminSession.set).type.not.toBeCallableWith('username', 1)
    expect(request.adminSession.set).type.not.toBeCallableWith('cart', [1])
    expect(request.adminSession.get).type.not.toBeCallableWith('cart')
    expect(request.session.get('level')).type.toBe<unknown>()
    expect(request.session.get('username')).type.toBe<string | undefined>()
  })
})

test('routes opt out of the session with config: { session: false }', () => {
  expect(app.get).type.toBeCallableWith('/static', { config: { session: false } }, async () => 'ok')
  expect(app.get).type.not.toBeCallableWith('/static', { config: { session: 'no' } }, async () => 'ok')
})

test('the test helpers pick a session by its sessionName, typed by its data', () => {
  expect<SessionName>().type.toBe<'session' | 'adminSession'>()
  expect(app.signSessionCookie({ username: 'root', level: 2 }, { sessionName: 'adminSession' })).type.toBe<string>()
  expect(app.signSessionCookie).type.not.toBeCallableWith({ level: 'high' }, { sessionName: 'adminSession' })
  expect(app.signSessionCookie).type.not.toBeCallableWith({}, { sessionName: 'body' })
  expect(app.readSessionCookie({ headers: {} }, { sessionName: 'adminSession' })?.level).type.toBe<number | undefined>()
  expect(app.readSessionCookie({ headers: {} }, { sessionName: 'adminSession' })).type.toBe<SessionCookieData<AdminData> | undefined>()
})

test('revocation: the option, the session id, revoke() and the app methods', () => {
  expect(app.register(cookieSession, { secret: 'a'.repeat(32), revocation: { store: memoryRevocationStore(), userKey: 'user_id' } })).type.not.toRaiseError()
  expect(redisRevocationStore({ client: new Redis(), keyPrefix: 'app:', timeoutMs: 500 })).type.not.toRaiseError()
  expect(app.register(cookieSession, { secret: 'a'.repeat(32), revocation: { store: {}, userKey: 'user_id' } })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'a'.repeat(32), revocation: { store: memoryRevocationStore() } })).type.toRaiseError()
  expect(redisRevocationStore({ client: {} })).type.toRaiseError()
  app.get('/', async (request) => {
    expect(request.session.id).type.toBe<string | undefined>()
    expect(request.session.revoke()).type.toBe<Promise<void>>()
  })
  expect(app.revokeUser('ann')).type.toBe<Promise<void>>()
  expect(app.revokeUser(7)).type.toBe<Promise<void>>()
  expect(app.revokeSession('id')).type.toBe<Promise<void>>()
  expect(app.revokeSession(7)).type.toRaiseError()
})
