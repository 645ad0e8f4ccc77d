import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, setCookies, stubClock } from './helpers.js'

const LIFETIME = 600

async function appAt (t: Parameters<typeof buildApp>[0], format: typeof FORMATS_UNDER_TEST[number]) {
  return buildApp(t, { format, lifetimeSeconds: LIFETIME }, addLoginRoutes)
}

for (const [kind, format] of FORMATS_UNDER_TEST.flatMap((format) => [['/login', format], ['/login?permanent=1', format]] as const)) {
  t.test(`the server enforces lifetimeSeconds to the second (${kind === '/login' ? 'browser-session' : 'permanent'} cookie, ${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app, logs } = await appAt(t, format)
    const cookies = { session: expectSessionValue(await app.inject(kind)) }
    for (const [offset, expected] of [[LIFETIME - 1, 'ann'], [LIFETIME, 'ann'], [LIFETIME + 1, 'nobody']] as const) {
      clock.seconds = NOW + offset
      t.equal((await app.inject({ url: '/whoami', cookies })).body, expected, `${offset} s after signing`)
    }
    t.ok(logs.some((line) => line.reason === 'expired' && line.detail === `signature expired: ${LIFETIME + 1} s old, lifetime ${LIFETIME} s`), 'the log says why')
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`an expired cookie is deleted, checked even when the verification is cached (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app } = await appAt(t, format)
    const cookies = { session: expectSessionValue(await app.inject('/login')) }
    t.equal((await app.inject({ url: '/whoami', cookies })).body, 'ann', 'verified once, now cached')
    clock.seconds = NOW + LIFETIME + 1
    const expired = await app.inject({ url: '/whoami', cookies })
    t.equal(expired.body, 'nobody')
    t.match(setCookies(expired), [/^session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0/])
  })
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a timestamp from the future is accepted within 5 s of clock skew, refused beyond (${format} format)`, async (t) => {
    const clock = stubClock(t, NOW)
    const { app, logs } = await appAt(t, format)
    const cookies = { session: expectSessionValue(await app.inject('/login')) }
    clock.seconds = NOW - 5
    t.equal((await app.inject({ url: '/whoami', cookies })).body, 'ann')
    clock.seconds = NOW - 6
    t.equal((await app.inject({ url: '/whoami', cookies })).body, 'nobody')
    t.ok(logs.some((line) => line.reason === 'future' && line.detail === 'signature is 6 s in the future'))
  })
}
