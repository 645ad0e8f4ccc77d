import t from 'tap'
import { ERROR_CODES } from '../lib/base/errors.js'
import { buildApp, expectSessionValue, FORMATS_UNDER_TEST, SECRET } from './helpers.js'

t.test('signSessionCookie makes a cookie the app accepts, as Flask\'s session_transaction', async (t) => {
  for (const format of [...FORMATS_UNDER_TEST, 'flask'] as const) {
    const { app } = await buildApp(t, { format }, (app) => {
      app.get('/', async (request) => ({ data: request.session.toJSON(), permanent: request.session.permanent, isNew: request.session.isNew }))
    })
    const cookie = app.signSessionCookie({ username: 'alice', cart: [1, 2], when: new Date('2020-01-02T03:04:05Z') })
    t.match(cookie, /^session=[\w.-]+$/, `${format}: a Cookie header for inject`)
    const response = await app.inject({ url: '/', headers: { cookie } })
    t.same(response.json(), { data: { username: 'alice', cart: [1, 2], when: '2020-01-02T03:04:05.000Z' }, permanent: false, isNew: false })
    const permanent = await app.inject({ url: '/', headers: { cookie: app.signSessionCookie({ username: 'bob', _permanent: true }) } })
    t.equal(permanent.json().permanent, true, `${format}: _permanent: true signs a permanent session`)
  }
})

t.test('signSessionCookie uses the cookie name and checks values as session.set does', async (t) => {
  const { app } = await buildApp(t, { cookieName: 'sid' }, (app) => {
    app.get('/', async (request) => request.session.get('username') ?? 'nobody')
  })
  const cookie = app.signSessionCookie({ username: 'carol' })
  t.match(cookie, /^sid=/)
  t.equal((await app.inject({ url: '/', headers: { cookie } })).body, 'carol')
  t.throws(() => app.signSessionCookie({ handler: () => {} }), { code: ERROR_CODES.UNSTORABLE_VALUE, message: /"handler" cannot be stored: it is a function/ })
})

t.test('with absoluteLifetimeSeconds, a signed cookie starts its lifetime as a real one does', async (t) => {
  const { app } = await buildApp(t, { absoluteLifetimeSeconds: 3600 }, (app) => {
    app.get('/', async (request) => ({ isNew: request.session.isNew, username: request.session.get('username') }))
  })
  const cookie = app.signSessionCookie({ username: 'dave' })
  const signed = app.readSessionCookie({ headers: { 'set-cookie': cookie } })
  t.same(Object.keys(signed ?? {}), ['username', '_issued_at'])
  t.type(signed?._issued_at, 'number', 'stamped with its start, so the absolute lifetime applies to it')
  t.same((await app.inject({ url: '/', headers: { cookie } })).json(), { isNew: false, username: 'dave' })
})

for (const format of FORMATS_UNDER_TEST) {
  t.test(`readSessionCookie reads what a response set, deleted or left alone (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format, cookieName: 'session' }, (app) => {
      app.get('/login', async (request, reply) => {
        reply.setCookie('session2', 'not ours')
        request.session.set('username', 'alice')
        request.session.permanent = true
        reply.setCookie('theme', 'dark')
        return 'ok'
      })
      app.get('/read', async (request) => request.session.get('username') ?? 'nobody')
      app.get('/logout', async (request) => {
        request.session.clear()
        return 'bye'
      })
    })
    const login = await app.inject('/login')
    t.equal(login.cookies.length, 3, 'the app set other cookies too')
    const data = app.readSessionCookie(login)
    t.same(data, { username: 'alice', _permanent: true })
    const cookie = app.signSessionCookie(data ?? {})
    t.equal((await app.inject({ url: '/read', headers: { cookie } })).body, 'alice', 'what was read signs again')
    t.equal(app.readSessionCookie(await app.inject({ url: '/read', headers: { cookie: app.signSessionCookie({ username: 'alice' }) } })), undefined, 'no Set-Cookie: undefined')
    t.same(app.readSessionCookie(await app.inject({ url: '/logout', cookies: { session: expectSessionValue(login) } })), {}, 'a deleted cookie is an empty session')
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`readSessionCookie refuses a cookie that does not verify with the app's settings (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format })
    const { app: other } = await buildApp(t, { format, secret: SECRET.replace('test', 'best') }, (app) => {
      app.get('/', async (request) => {
        request.session.set('username', 'mallory')
        return 'ok'
      })
    })
    const response = await other.inject('/')
    t.throws(() => app.readSessionCookie(response), { code: ERROR_CODES.UNVERIFIED_COOKIE, message: /"session" cookie of the response does not verify with this app's settings: (signature does not match|cookie was encrypted with a key this app does not have)/ })
  })
}
