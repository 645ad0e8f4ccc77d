import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, SECRET, sessionValue, setCookies, signRaw, stubClock, whoami } from './helpers.js'

const OLD_SECRET = 'an-older-secret-of-at-least-32-bytes'

for (const format of FORMATS_UNDER_TEST) {
  t.test(`the cookie is sent only when the session changed (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format }, (app) => {
      addLoginRoutes(app)
      app.get('/read', async (request) => request.session.get('user'))
      app.get('/same', async (request) => { request.session.get('user'); request.session.has('x'); return 'ok' })
      app.get('/untouched', async () => 'ok')
    })
    const login = await app.inject('/login')
    t.match(setCookies(login), [/^session=[\w.-]+; HttpOnly; Path=\/; SameSite=Lax$/])
    const cookies = { session: expectSessionValue(login) }
    for (const url of ['/read', '/same', '/untouched']) {
      t.same(setCookies(await app.inject({ url, cookies })), [], `${url} sends no cookie`)
    }
    t.same(setCookies(await app.inject('/untouched')), [], 'no cookie in, none out')
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a nested change is detected, not lost (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format }, (app) => {
      app.get('/start', async (request) => { request.session.set('cart', ['apple']); request.session.set('profile', { name: 'a' }); return 'ok' })
      app.get('/add', async (request) => { (request.session.get('cart') as string[]).push('pear'); return 'ok' })
      app.get('/look', async (request) => { (request.session.get('cart') as string[]).includes('pear'); return 'ok' })
      app.get('/rename', async (request) => { (request.session.toJSON().profile as { name: string }).name = 'b'; return 'ok' })
      app.get('/show', async (request) => request.session.toJSON())
    })
    let cookie = expectSessionValue(await app.inject('/start'))
    const added = await app.inject({ url: '/add', cookies: { session: cookie } })
    cookie = expectSessionValue(added)
    t.ok(cookie, 'pushing into a stored array re-signs the cookie')
    t.same(setCookies(await app.inject({ url: '/look', cookies: { session: cookie } })), [], 'reading a nested value without changing it sends nothing')
    cookie = expectSessionValue(await app.inject({ url: '/rename', cookies: { session: cookie } }))
    t.same((await app.inject({ url: '/show', cookies: { session: cookie } })).json(), { cart: ['apple', 'pear'], profile: { name: 'b' } })
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`emptying the session deletes the cookie (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format }, (app) => {
      addLoginRoutes(app)
      app.get('/logout', async (request) => { request.session.pop('user'); return 'ok' })
      app.get('/clear', async (request) => { request.session.clear(); return 'ok' })
    })
    const cookies = { session: expectSessionValue(await app.inject('/login')) }
    const deletion = 'session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax'
    const logout = await app.inject({ url: '/logout', cookies })
    t.same(setCookies(logout), [deletion])
    t.equal(logout.headers.vary, 'Cookie')
    t.equal(logout.headers['cache-control'], 'private')
    t.same(setCookies(await app.inject({ url: '/clear' })), [deletion], 'clear() on a new session still deletes, as in Flask')
    t.same(setCookies(await app.inject({ url: '/logout' })), [], 'popping a missing key changes nothing')
  })
}

t.test('Vary: Cookie whenever the session was accessed, by any method', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/has', async (request) => request.session.has('x'))
    app.get('/keys', async (request) => request.session.keys())
    app.get('/permanent', async (request) => request.session.permanent)
    app.get('/is-new', async (request) => request.session.isNew)
    app.get('/vary-set', async (request, reply) => { reply.header('vary', 'Accept-Encoding'); return request.session.has('x') })
    app.get('/vary-has', async (request, reply) => { reply.header('vary', 'accept, cookie'); return request.session.has('x') })
    app.get('/vary-star', async (request, reply) => { reply.header('vary', '*'); return request.session.has('x') })
    app.get('/untouched', async () => 'ok')
  })
  for (const url of ['/has', '/keys', '/permanent', '/is-new']) t.equal((await app.inject(url)).headers.vary, 'Cookie', url)
  t.equal((await app.inject('/vary-set')).headers.vary, 'Accept-Encoding, Cookie')
  t.equal((await app.inject('/vary-has')).headers.vary, 'accept, cookie')
  t.equal((await app.inject('/vary-star')).headers.vary, '*')
  t.equal((await app.inject('/untouched')).headers.vary, undefined)
})

for (const format of FORMATS_UNDER_TEST) {
  t.test(`Cache-Control: private with Set-Cookie, unless the app chose its own (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format }, (app) => {
      addLoginRoutes(app)
      app.get('/cached', async (request, reply) => { reply.header('cache-control', 'no-store'); request.session.set('user', 'ann'); return 'ok' })
    })
    t.equal((await app.inject('/login')).headers['cache-control'], 'private')
    t.equal((await app.inject('/cached')).headers['cache-control'], 'no-store')
  })
}

t.test('an error reply still carries the session, as in Flask', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/fail', async (request) => {
      request.session.set('attempts', 1)
      throw Object.assign(new Error('nope'), { statusCode: 403 })
    })
    app.get('/crash', async (request) => {
      request.session.set('attempts', 2)
      throw new Error('boom')
    })
  })
  const forbidden = await app.inject('/fail')
  t.equal(forbidden.statusCode, 403)
  t.ok(sessionValue(forbidden))
  const crashed = await app.inject('/crash')
  t.equal(crashed.statusCode, 500)
  t.ok(sessionValue(crashed))
  t.equal(setCookies(crashed).length, 1, 'exactly one cookie, even though the reply went through onSend twice')
})

t.test('a value made unstorable after set fails the response through the error handler, once', async (t) => {
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/', async (request) => {
      const profile: Record<string, unknown> = { name: 'a' }
      request.session.set('profile', profile)
      profile.callback = () => 1
      return 'ok'
    })
    app.get('/nested', async (request) => {
      request.session.set('profile', { name: 'a' })
      request.session.modified = false
      ;(request.session.get('profile') as Record<string, unknown>).callback = () => 1
      return 'ok'
    })
  })
  for (const url of ['/', '/nested']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 500, url)
    t.match(response.json(), { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /session value "profile" cannot be stored: it is a function/ })
    t.same(setCookies(response), [])
  }
  t.ok(logs.some((line) => line.level === 50 && /cannot be stored/.test(JSON.stringify(line))), 'the error is logged')
})

t.test('a route that never touches the session leaves its cookie as it came: not verified, refreshed, re-signed or deleted', async (t) => {
  const clock = stubClock(t, NOW)
  const routes = (app: FastifyInstance) => {
    addLoginRoutes(app)
    app.get('/untouched', async () => 'ok')
  }
  const { app: oldApp } = await buildApp(t, { secret: OLD_SECRET }, routes)
  const oldSecretCookie = expectSessionValue(await oldApp.inject('/login?permanent=1'))
  const { app, logs } = await buildApp(t, { secret: [SECRET, OLD_SECRET] }, routes)
  const forged = signRaw(Buffer.from('{"user":"admin"}').toString('base64url'), NOW, 'another-secret-of-at-least-32-bytes')
  clock.seconds += 60
  for (const [name, cookie] of [['a permanent session', oldSecretCookie], ['a forged cookie', forged]] as const) {
    logs.length = 0
    const untouched = await app.inject({ url: '/untouched', cookies: { session: cookie } })
    t.same(setCookies(untouched), [], `${name}: no cookie sent`)
    t.equal(untouched.headers.vary, undefined, `${name}: no Vary`)
    t.same(logs.filter((line) => line.reason !== undefined), [], `${name}: not even verified`)
  }
  const touched = await app.inject({ url: '/whoami', cookies: { session: oldSecretCookie } })
  t.equal(touched.body, 'ann')
  t.match(setCookies(touched), [/Max-Age=2678400/], 'the first route that uses it refreshes it, under the current secret')
  t.equal(await whoami(app, expectSessionValue(touched)), 'ann')
  t.equal(await whoami(oldApp, expectSessionValue(touched)), 'nobody', 'signed with the current secret, which the old app does not know')
  const deleted = await app.inject({ url: '/whoami', cookies: { session: forged } })
  t.match(setCookies(deleted), [/^session=; Expires=Thu, 01 Jan 1970/], 'the first route that uses it deletes a bad one')
  t.match(logs, [{ reason: 'bad-signature' }])
})

t.test('session.modified = true alone, without reading the session, sends the cookie again as it came', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, {}, (app) => {
    addLoginRoutes(app)
    app.get('/force', async (request) => {
      request.session.modified = true
      return 'ok'
    })
  })
  const login = expectSessionValue(await app.inject('/login?permanent=1'))
  clock.seconds += 10
  const forced = await app.inject({ url: '/force', cookies: { session: login } })
  t.match(setCookies(forced), [/^session=[\w.-]+; Expires=.*; Max-Age=2678400;/], 'still permanent')
  t.equal(await whoami(app, expectSessionValue(forced)), 'ann', 'with the same data')
  t.match(setCookies(await app.inject('/force')), [/^session=; Expires=Thu, 01 Jan 1970/], 'an empty session marked modified is deleted, as in Flask')
})
