import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, setCookies, whoami } from './helpers.js'

const OLD = 'the-old-secret-that-is-32-bytes-long'
const NEW = 'the-new-secret-that-is-32-bytes-long'

for (const format of FORMATS_UNDER_TEST) {
  t.test(`adding a secret logs nobody out; the cookie is re-signed with the new one (${format} format)`, async (t) => {
    const before = await buildApp(t, { format, secret: OLD }, addLoginRoutes)
    const oldCookie = expectSessionValue(await before.app.inject('/login'))
    const after = await buildApp(t, { format, secret: [NEW, OLD] }, addLoginRoutes)
    const response = await after.app.inject({ url: '/whoami', cookies: { session: oldCookie } })
    t.equal(response.body, 'ann')
    const resigned = expectSessionValue(response)
    t.ok(resigned, 'a cookie signed by a fallback secret is re-signed on that response')
    t.not(resigned, oldCookie)
    const newOnly = await buildApp(t, { format, secret: NEW }, addLoginRoutes)
    t.equal(await whoami(newOnly.app, resigned), 'ann', 'the new cookie is signed by the new secret')
    t.same(setCookies(await after.app.inject({ url: '/whoami', cookies: { session: resigned } })), [], 'a current cookie is not re-signed')
    t.equal(await whoami(newOnly.app, oldCookie), 'nobody', 'a removed secret is refused')
  })
}
