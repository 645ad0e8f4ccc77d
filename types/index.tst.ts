import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import Redis from 'ioredis'
import cookieSession, { fastifyCookieSession, type FastifySession, type FlashedMessagePair, type FlashRequest, memoryRevocationStore, redisRevocationStore, type SessionCookieData } from '..'

declare module '..' {
  interface SessionData {
    username: string
    cart: number[]
  }
}

// What the README tells `flash: true` users to write.
declare module 'fastify' {
  interface FastifyRequest extends FlashRequest {}
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
    oversizedCookie: 'warn',
    cookie: { path: '/', domain: 'example.com', httpOnly: true, secure: 'auto', sameSite: 'strict', partitioned: false }
  })).type.not.toRaiseError()
  expect(fastifyCookieSession).type.toBe(cookieSession)
  expect(cookieSession.default).type.toBe(cookieSession)
})

test('bad options do not compile', () => {
  expect(app.register(cookieSession, {})).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 1 })).type.toRaiseError()
  expect(app.register(cookieSession, { secret: 'x', format: 'json' })).type.toRaiseError()
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
