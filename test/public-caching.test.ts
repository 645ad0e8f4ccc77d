import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, SECRET, setCookies } from './helpers.js'

const PUBLIC = ['public, max-age=3600', 'max-age=60, s-maxage=3600', 'Public']

t.test('a response the app marked public gets no refresh-only cookie: permanent refresh, fallback re-sign, bad-cookie deletion', async (t) => {
  const { app: old } = await buildApp(t, {}, addLoginRoutes)
  // Signed with the fallback secret: one permanent (refreshed and re-signed), one not (re-signed).
  const oldCookies = [expectSessionValue(await old.inject('/login?permanent=1')), expectSessionValue(await old.inject('/login'))]
  const { app, logs } = await buildApp(t, { secret: ['a new secret of at least 32 random bytes', SECRET] }, (app) => {
    app.get('/page', async (request, reply) => {
      reply.header('cache-control', (request.query as { cc: string }).cc)
      return request.session.get('user') ?? 'nobody'
    })
  })
  for (const cacheControl of PUBLIC) {
    for (const oldCookie of oldCookies) {
      const refreshed = await app.inject({ url: '/page', query: { cc: cacheControl }, cookies: { session: oldCookie } })
      t.equal(refreshed.body, 'ann', cacheControl)
      t.same(setCookies(refreshed), [], `${cacheControl}: no refresh, no re-sign`)
    }
    t.same(setCookies(await app.inject({ url: '/page', query: { cc: cacheControl }, cookies: { session: 'forged' } })), [], `${cacheControl}: no deletion of a bad cookie`)
  }
  for (const oldCookie of oldCookies) {
    const privately = await app.inject({ url: '/page', query: { cc: 'private, max-age=60' }, cookies: { session: oldCookie } })
    t.equal(setCookies(privately).length, 1, 'a private response still refreshes and re-signs')
  }
  t.equal(logs.filter((line) => line.level >= 40).length, 0, 'nothing to warn about')
})

t.test('a changed session on a public response is sent, never lost, with one warning per registration naming the route', async (t) => {
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/count', async (request, reply) => {
      reply.header('cache-control', 'public, max-age=3600')
      request.session.set('visits', (request.session.get('visits') as number ?? 0) + 1)
      return 'ok'
    })
    app.get('/logout', async (request, reply) => {
      reply.header('cache-control', 'public, max-age=3600')
      request.session.clear()
      return 'ok'
    })
  })
  const first = await app.inject('/count')
  t.equal(app.readSessionCookie(first)?.visits, 1)
  const second = await app.inject({ url: '/count', cookies: { session: expectSessionValue(first) } })
  t.equal(app.readSessionCookie(second)?.visits, 2)
  t.same(app.readSessionCookie(await app.inject({ url: '/logout', cookies: { session: expectSessionValue(second) } })), {}, 'a logout on a public response still deletes the cookie')
  const warnings = logs.filter((line) => line.level === 40)
  t.equal(warnings.length, 1)
  t.match(warnings[0]!.msg, /the session changed on GET \/count, whose response is marked for shared caches \(Cache-Control: public, max-age=3600\); the cookie was sent so nothing is lost/)
})
