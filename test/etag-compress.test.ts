import fastifyCompress from '@fastify/compress'
import fastifyEtag from '@fastify/etag'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { gunzipSync } from 'node:zlib'
import cookieSession from '../index.js'
import { NOW, SECRET, setCookies, stubClock } from './helpers.js'

/** Over @fastify/compress's 1024-byte threshold, so the body really is compressed. */
const PAGE = 'Hello, reader. '.repeat(100)

/** @fastify/compress adds its onSend to each route, and route hooks run after ours in either order. */
const VARY = 'Cookie, accept-encoding'

/** The plugins in the given order, and routes that write, read or ignore the session. */
async function stackApp (t: Test, order: 'session first' | 'session last') {
  const app = Fastify()
  t.teardown(() => app.close())
  if (order === 'session first') await app.register(cookieSession, { secret: SECRET })
  await app.register(fastifyEtag)
  await app.register(fastifyCompress)
  if (order === 'session last') await app.register(cookieSession, { secret: SECRET })
  app.get('/write', async (request) => {
    request.session.set('username', 'alice')
    return PAGE
  })
  app.get('/read', async (request) => `${PAGE}${String(request.session.get('username'))}`)
  app.get('/ignore', async () => PAGE)
  return app
}

for (const order of ['session first', 'session last'] as const) {
  t.test(`with @fastify/etag and @fastify/compress (${order}): Set-Cookie, Vary and the body stay right`, async (t) => {
    const app = await stackApp(t, order)
    const written = await app.inject({ url: '/write', headers: { 'accept-encoding': 'gzip' } })
    t.equal(written.statusCode, 200)
    t.equal(written.headers['content-encoding'], 'gzip')
    t.equal(gunzipSync(written.rawPayload).toString(), PAGE)
    t.equal(written.headers.vary, VARY, 'one Vary that names both')
    t.equal(written.headers['cache-control'], 'private')
    t.equal(setCookies(written).length, 1)
    t.same(app.readSessionCookie(written), { username: 'alice' })
    t.type(written.headers.etag, 'string')

    const cookie = app.signSessionCookie({ username: 'alice' })
    const read = await app.inject({ url: '/read', headers: { cookie, 'accept-encoding': 'gzip' } })
    t.equal(read.headers.vary, VARY)
    t.equal(read.headers['set-cookie'], undefined)

    const ignored = await app.inject({ url: '/ignore', headers: { cookie, 'accept-encoding': 'gzip' } })
    t.equal(ignored.headers.vary, 'accept-encoding', 'a route that never touched the session does not vary by cookie')
  })
}

t.test('a 304 from @fastify/etag keeps Vary: Cookie and still carries a new cookie', async (t) => {
  const clock = stubClock(t, NOW)
  const app = await stackApp(t, 'session first')
  const cookie = app.signSessionCookie({ username: 'alice' })
  const first = await app.inject({ url: '/read', headers: { cookie } })
  const etag = first.headers.etag as string
  const notModified = await app.inject({ url: '/read', headers: { cookie, 'if-none-match': etag } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.equal(notModified.headers.vary, 'Cookie', 'a cache must still key the 304 by cookie')
  t.equal(notModified.headers['set-cookie'], undefined)

  const permanent = app.signSessionCookie({ username: 'alice', _permanent: true })
  clock.seconds += 1
  const refreshed = await app.inject({ url: '/read', headers: { cookie: permanent, 'if-none-match': etag } })
  t.equal(refreshed.statusCode, 304)
  t.same(app.readSessionCookie(refreshed), { username: 'alice', _permanent: true }, 'the refresh of a permanent session is not lost on a 304')
  t.equal(refreshed.headers['cache-control'], 'private')
})
