import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, setCookies, stubClock, whoami } from './helpers.js'

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a permanent session gets Max-Age = lifetimeSeconds and the matching Expires (${format} format)`, async (t) => {
    stubClock(t, NOW)
    const { app } = await buildApp(t, { format, lifetimeSeconds: 3600 }, (app) => {
      addLoginRoutes(app)
      app.get('/flag', async (request) => request.session.permanent)
      app.get('/forget', async (request) => { request.session.permanent = false; return 'ok' })
    })
    const remembered = await app.inject('/login?permanent=1')
    t.match(setCookies(remembered), [/^session=[\w.-]+; Expires=Tue, 14 Nov 2023 23:13:20 GMT; Max-Age=3600; HttpOnly; Path=\/; SameSite=Lax$/])
    const cookies = { session: expectSessionValue(remembered) }
    t.equal((await app.inject({ url: '/flag', cookies })).body, 'true', 'permanent survives the round trip')
    const forgotten = await app.inject({ url: '/forget', cookies })
    t.match(setCookies(forgotten), [/^session=[\w.-]+; HttpOnly; Path=\/; SameSite=Lax$/], 'a non-permanent cookie is a browser-session cookie')
    t.equal((await app.inject({ url: '/flag', cookies: { session: expectSessionValue(forgotten) } })).body, 'false')
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a permanent session is refreshed by every request that uses it; a route that never touches it leaves the cookie alone (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app } = await buildApp(t, { format, lifetimeSeconds: 3600 }, (app) => {
      addLoginRoutes(app)
      app.get('/untouched', async () => 'ok')
    })
    let cookie = expectSessionValue(await app.inject('/login?permanent=1'))
    clock.seconds += 3000
    const untouched = await app.inject({ url: '/untouched', cookies: { session: cookie } })
    t.same(setCookies(untouched), [], 'no refresh where the session is not used')
    t.equal(untouched.headers.vary, undefined, 'nor Vary: Cookie')
    const refreshed = await app.inject({ url: '/whoami', cookies: { session: cookie } })
    t.match(setCookies(refreshed), [/Expires=Wed, 15 Nov 2023 00:03:20 GMT; Max-Age=3600/], 'the deadline moved')
    t.equal(refreshed.headers.vary, 'Cookie', 'Set-Cookie always comes with Vary: Cookie')
    cookie = expectSessionValue(refreshed)
    clock.seconds += 3000
    t.equal(await whoami(app, cookie), 'ann', 'still valid 6000 s after login thanks to the refresh')
  })

  t.test(`a permanent session signed this very second is not sent again: the refresh would be the same cookie (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app } = await buildApp(t, { format, lifetimeSeconds: 3600 }, addLoginRoutes)
    const cookie = expectSessionValue(await app.inject('/login?permanent=1'))
    const sameSecond = await app.inject({ url: '/whoami', cookies: { session: cookie } })
    t.equal(sameSecond.body, 'ann')
    t.same(setCookies(sameSecond), [], 'nothing to refresh')
    t.equal(sameSecond.headers.vary, 'Cookie', 'the route read the session')
    clock.seconds += 1
    t.match(setCookies(await app.inject({ url: '/whoami', cookies: { session: cookie } })), [/Max-Age=3600/], 'refreshed a second later')
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`with refreshEachRequest off, the deadline stays at the last change (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app } = await buildApp(t, { format, lifetimeSeconds: 3600, refreshEachRequest: false }, addLoginRoutes)
    const cookie = expectSessionValue(await app.inject('/login?permanent=1'))
    clock.seconds += 3000
    const response = await app.inject({ url: '/whoami', cookies: { session: cookie } })
    t.equal(response.body, 'ann')
    t.same(setCookies(response), [], 'no refresh')
    clock.seconds += 601
    t.equal(await whoami(app, cookie), 'nobody', 'expired at the fixed deadline')
  })
}

t.test('_permanent alone is not an empty session', async (t) => {
  stubClock(t, NOW)
  const { app } = await buildApp(t, { lifetimeSeconds: 60 }, (app) => {
    addLoginRoutes(app)
    app.get('/logout', async (request) => { request.session.pop('user'); return request.session.keys() })
  })
  const cookie = expectSessionValue(await app.inject('/login?permanent=1'))
  const response = await app.inject({ url: '/logout', cookies: { session: cookie } })
  t.same(response.json(), ['_permanent'])
  t.match(setCookies(response), [/^session=[\w.-]+; Expires=.*; Max-Age=60;/], 'rewritten with only _permanent, not deleted')
})

t.test('a refresh re-signs the data as it came, and keeps a change the app hid by resetting modified', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, {}, (app) => {
    addLoginRoutes(app)
    app.get('/hidden-change', async (request) => {
      request.session.set('user', 'bob')
      request.session.modified = false
      return 'ok'
    })
  })
  const cookie = expectSessionValue(await app.inject('/login?permanent=1'))
  clock.seconds += 10
  const refreshed = expectSessionValue(await app.inject({ url: '/whoami', cookies: { session: cookie } }))
  t.equal(refreshed.split('.')[0], cookie.split('.')[0], 'same payload segment')
  t.not(refreshed, cookie, 'new timestamp and signature')
  const hidden = expectSessionValue(await app.inject({ url: '/hidden-change', cookies: { session: refreshed } }))
  t.equal(await whoami(app, hidden), 'bob', 'as in Flask, a permanent refresh saves the current data')
})

t.test('a refresh after a nested value was only read re-signs the payload as it came; a change in place is saved', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/remember', async (request) => { request.session.permanent = true; request.session.set('cart', ['apple']); return 'ok' })
    app.get('/look', async (request) => (request.session.get('cart') as string[]).length)
    app.get('/add', async (request) => { (request.session.get('cart') as string[]).push('pear'); return 'ok' })
    app.get('/cart', async (request) => request.session.get('cart'))
  })
  const cookie = expectSessionValue(await app.inject('/remember'))
  clock.seconds += 10
  const looked = expectSessionValue(await app.inject({ url: '/look', cookies: { session: cookie } }))
  t.equal(looked.split('.')[0], cookie.split('.')[0], 'same payload segment')
  t.not(looked, cookie)
  const added = expectSessionValue(await app.inject({ url: '/add', cookies: { session: looked } }))
  t.not(added.split('.')[0], cookie.split('.')[0])
  t.same((await app.inject({ url: '/cart', cookies: { session: added } })).json(), ['apple', 'pear'])
})
