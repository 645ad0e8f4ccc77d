import t from 'tap'
import { buildDemoApp } from '../examples/app.js'
import { expectSessionValue, SECRET, setCookies } from './helpers.js'

for (const format of ['default', 'flask'] as const) {
  t.test(`the demo's login, profile, permanent and logout flow (${format} format)`, async (t) => {
    const app = await buildDemoApp({ secret: SECRET, format })
    t.teardown(() => app.close())
    t.equal((await app.inject('/profile')).body, 'Not logged in\n')
    const login = await app.inject('/login/alice')
    t.equal(login.body, 'Logged in as alice\n')
    let cookies = { session: expectSessionValue(login) }
    t.equal((await app.inject({ url: '/profile', cookies })).body, 'User: alice\n')
    const permanent = await app.inject({ url: '/permanent', cookies })
    t.match(setCookies(permanent), [/; Expires=.*; Max-Age=2678400;/])
    cookies = { session: expectSessionValue(permanent) }
    const logout = await app.inject({ url: '/logout', cookies })
    t.equal(logout.body, 'Logged out\n')
    t.match(setCookies(logout), [/Max-Age=2678400/], 'only _permanent is left, so the cookie stays')
    cookies = { session: expectSessionValue(logout) }
    t.equal((await app.inject({ url: '/profile', cookies })).body, 'Not logged in\n')
  })
}
