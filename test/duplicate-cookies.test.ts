import t from 'tap'
import { buildApp, sessionValue, setCookies } from './helpers.js'

t.test('of several cookies with our name, the one that verifies is used', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/login', async (request) => { request.session.set('user', 'ann'); return 'ok' })
    app.get('/whoami', async (request) => request.session.get('user') ?? 'nobody')
  })
  const ours = sessionValue(await app.inject('/login')) as string
  for (const cookie of [`session=from-a-parent-domain; session=${ours}`, `session=${ours}; session=junk`, `xsession=1; session=${ours}`, `a=1;session=x.y.z ; session=${ours}`]) {
    const response = await app.inject({ url: '/whoami', headers: { cookie } })
    t.equal(response.body, 'ann', cookie)
    t.same(setCookies(response), [], `${cookie}: nothing is deleted`)
  }
  const none = await app.inject({ url: '/whoami', headers: { cookie: 'session=bad-one; session=bad-two' } })
  t.equal(none.body, 'nobody')
  t.equal(setCookies(none).length, 1, 'when none verifies, ours is deleted')
})
