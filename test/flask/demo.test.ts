import t from 'tap'
import { buildDemoApp } from '../../examples/app.js'
import { setCookies, stubClock } from '../helpers.js'
import { type HttpScenario, vectors } from './vectors.js'

/** The cookie values Flask wrote for the same requests at the same seconds (secret `dev`). */
const flaskCookies = (vectors.http.find((scenario) => scenario.name === 'permanent_refresh') as HttpScenario).steps.map((step) => step.set_cookie[0]?.split(';')[0])

t.test('the demo app in Flask mode writes the cookies Flask writes for the same routes', async (t) => {
  const clock = stubClock(t, 1_700_000_000)
  const app = await buildDemoApp({ secret: 'dev', format: 'flask' })
  t.teardown(() => app.close())

  const login = await app.inject({ url: '/login/alice' })
  t.equal(login.body, 'Logged in as alice\n')
  t.strictSame(setCookies(login), [`${flaskCookies[0]}; HttpOnly; Path=/; SameSite=Lax`])
  let cookie = flaskCookies[0]

  clock.seconds = 1_700_000_001
  const permanent = await app.inject({ url: '/permanent', headers: { cookie } })
  t.equal(permanent.body, 'This session now outlives the browser\n')
  t.strictSame(setCookies(permanent), [`${flaskCookies[1]}; Expires=Fri, 15 Dec 2023 22:13:21 GMT; Max-Age=2678400; HttpOnly; Path=/; SameSite=Lax`])
  cookie = flaskCookies[1]

  clock.seconds = 1_700_000_100
  const profile = await app.inject({ url: '/profile', headers: { cookie } })
  t.equal(profile.body, 'User: alice\n')
  t.equal(setCookies(profile)[0]!.split(';')[0], flaskCookies[2], 'a permanent session is refreshed with a new timestamp')

  clock.seconds = 1_700_000_300
  const logout = await app.inject({ url: '/logout', headers: { cookie } })
  t.equal(logout.body, 'Logged out\n')
  t.equal(setCookies(logout)[0]!.split(';')[0], flaskCookies[4], 'only _permanent is left, as in Flask')

  const anonymous = await app.inject({ url: '/profile' })
  t.equal(anonymous.body, 'Not logged in\n')
  t.strictSame(setCookies(anonymous), [])
})
