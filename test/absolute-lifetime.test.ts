import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, stubClock, whoami } from './helpers.js'

for (const format of FORMATS_UNDER_TEST) {
  t.test(`absoluteLifetimeSeconds ends a session that long after login, however often it is refreshed (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app, logs } = await buildApp(t, { format, lifetimeSeconds: 600, absoluteLifetimeSeconds: 1800 }, (app) => {
      addLoginRoutes(app)
      app.get('/keys', async (request) => request.session.keys())
    })
    let cookie = expectSessionValue(await app.inject('/login?permanent=1'))
    t.same((await app.inject({ url: '/keys', cookies: { session: cookie } })).json(), ['_permanent', 'user', '_issued_at'], 'the start is kept in the session')
    for (let step = 1; step <= 3; step++) {
      clock.seconds = NOW + step * 500
      const response = await app.inject({ url: '/whoami', cookies: { session: cookie } })
      t.equal(response.body, 'ann', `${step * 500} s after login, refreshed`)
      cookie = expectSessionValue(response)
    }
    clock.seconds = NOW + 1800
    cookie = expectSessionValue(await app.inject({ url: '/whoami', cookies: { session: cookie } }))
    t.ok(cookie, 'still in at exactly the cap')
    clock.seconds = NOW + 1801
    t.equal(await whoami(app, cookie), 'nobody', 'out one second after the cap, though the cookie is fresh')
    t.ok(logs.some((line) => line.reason === 'absolute-lifetime' && line.detail === 'session began 1801 s ago, over the absolute lifetime of 1800 s'))
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a cookie that comes back from the cache is held to the cap too (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app } = await buildApp(t, { format, lifetimeSeconds: 600, absoluteLifetimeSeconds: 300, refreshEachRequest: false }, addLoginRoutes)
    const cookies = { session: expectSessionValue(await app.inject('/login')) }
    t.equal((await app.inject({ url: '/whoami', cookies })).body, 'ann')
    clock.seconds = NOW + 301
    t.equal((await app.inject({ url: '/whoami', cookies })).body, 'nobody')
  })
}

t.test('a new login after logout starts a new absolute lifetime', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, { absoluteLifetimeSeconds: 1000 }, (app) => {
    app.get('/login', async (request) => { request.session.clear(); request.session.set('user', 'ann'); return request.session.get('_issued_at') ?? 'fresh' })
    app.get('/issued', async (request) => request.session.get('_issued_at'))
  })
  const first = expectSessionValue(await app.inject('/login'))
  t.equal((await app.inject({ url: '/issued', cookies: { session: first } })).body, String(NOW))
  clock.seconds = NOW + 900
  const second = expectSessionValue(await app.inject({ url: '/login', cookies: { session: first } }))
  t.equal((await app.inject({ url: '/issued', cookies: { session: second } })).body, String(NOW + 900))
})

t.test('without absoluteLifetimeSeconds nothing is added to the session', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    addLoginRoutes(app)
    app.get('/keys', async (request) => request.session.keys())
  })
  const cookie = expectSessionValue(await app.inject('/login'))
  t.same((await app.inject({ url: '/keys', cookies: { session: cookie } })).json(), ['user'])
})
