import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import cookieSession, { fastifyCookieSession, type FastifySession } from '..'

declare module '..' {
  interface SessionData {
    username: string
    cart: number[]
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
