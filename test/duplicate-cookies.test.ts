import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, setCookies, signedParts } from './helpers.js'

t.test('of several cookies with our name, the one that verifies is used', async (t) => {
  const { app } = await buildApp(t, {}, addLoginRoutes)
  const ours = expectSessionValue(await app.inject('/login'))
  for (const cookie of [`session=from-a-parent-domain; session=${ours}`, `session=${ours}; session=junk`, `xsession=1; session=${ours}`, `a=1;session=x.y.z ; session=${ours}`, `session=x.y.z;\tsession=${ours}`]) {
    const response = await app.inject({ url: '/whoami', headers: { cookie } })
    t.equal(response.body, 'ann', cookie)
    t.same(setCookies(response), [], `${cookie}: nothing is deleted`)
  }
  const none = await app.inject({ url: '/whoami', headers: { cookie: 'session=bad-one; session=bad-two' } })
  t.equal(none.body, 'nobody')
  t.equal(setCookies(none).length, 1, 'when none verifies, ours is deleted')
})

t.test('of many cookies with our name, only the first three distinct values are tried; the rest are ignored with a debug line', async (t) => {
  const { app, logs } = await buildApp(t, {}, addLoginRoutes)
  const ours = expectSessionValue(await app.inject('/login'))
  const [, timestamp, signature] = signedParts(ours)
  const forged = (index: number) => `forged${index}.${timestamp}.${signature.slice(0, -4)}${String(index).padStart(4, '0')}`
  const cookieHeader = (values: string[]) => values.map((value) => `session=${value}`).join('; ')

  const repeated = cookieHeader([...Array(300).fill(forged(0)), ours])
  t.equal((await app.inject({ url: '/whoami', headers: { cookie: repeated } })).body, 'ann', 'copies of one value count once')
  const third = await app.inject({ url: '/whoami', headers: { cookie: cookieHeader([forged(1), forged(2), ours, forged(3)]) } })
  t.equal(third.body, 'ann', 'the third distinct value is still tried')
  t.match(logs.at(-1), { level: 20, msg: 'fastify-cookie-session: ignored 1 more cookies named "session" (only the first 3 distinct values are tried)' })

  logs.length = 0
  const flood = cookieHeader([...Array.from({ length: 300 }, (_, index) => forged(index)), ours])
  t.ok(flood.length > 15_000, 'a header of about 15.7 KB')
  const response = await app.inject({ url: '/whoami', headers: { cookie: flood } })
  t.equal(response.body, 'nobody', 'a value past the first three distinct ones is not tried')
  t.same(setCookies(response), [], 'nothing is deleted: an ignored copy may be a good cookie')
  t.match(logs.find((line) => line.msg.includes('more cookies named')), { level: 20, msg: /ignored 298 more cookies named "session"/ })
})
