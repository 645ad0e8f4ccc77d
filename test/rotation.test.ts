import t from 'tap'
import { buildApp, expectSessionValue, FORMATS_UNDER_TEST, setCookies } from './helpers.js'

const OLD = 'the-old-secret-that-is-32-bytes-long'
const NEW = 'the-new-secret-that-is-32-bytes-long'

function routes (app: Parameters<Parameters<typeof buildApp>[2] & object>[0]): void {
  app.get('/login', async (request) => { request.session.set('user', 'ann'); return 'ok' })
  app.get('/whoami', async (request) => request.session.get('user') ?? 'nobody')
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`adding a secret logs nobody out; the cookie is re-signed with the new one (${format} format)`, async (t) => {
    const before = await buildApp(t, { format, secret: OLD }, routes)
    const oldCookie = expectSessionValue(await before.app.inject('/login'))
    const after = await buildApp(t, { format, secret: [NEW, OLD] }, routes)
    const response = await after.app.inject({ url: '/whoami', cookies: { session: oldCookie } })
    t.equal(response.body, 'ann')
    const resigned = expectSessionValue(response)
    t.ok(resigned, 'a cookie signed by a fallback secret is re-signed on that response')
    t.not(resigned, oldCookie)
    const newOnly = await buildApp(t, { format, secret: NEW }, routes)
    t.equal((await newOnly.app.inject({ url: '/whoami', cookies: { session: resigned } })).body, 'ann', 'the new cookie is signed by the new secret')
    t.same(setCookies(await after.app.inject({ url: '/whoami', cookies: { session: resigned } })), [], 'a current cookie is not re-signed')
    t.equal((await newOnly.app.inject({ url: '/whoami', cookies: { session: oldCookie } })).body, 'nobody', 'a removed secret is refused')
  })
}
