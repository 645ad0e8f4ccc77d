import { join } from 'node:path'
import { inspect } from 'node:util'
import fastifyStatic from '@fastify/static'
import t from 'tap'
import cookieSession from '../index.js'
import { buildApp, expectSessionValue, setCookies } from './helpers.js'

t.test('a route with config: { session: false } skips every session: no cookie, no Vary, even for a permanent or a bad cookie', async (t) => {
  const { app } = await buildApp(t, {}, async (app) => {
    await app.register(cookieSession, { secret: 'flask-dev-key', format: 'flask', cookieName: 'admin', sessionName: 'adminSession' })
    app.get('/remember', async (request) => { request.session.permanent = true; request.adminSession.permanent = true; return 'ok' })
    app.get('/static/app.css', { config: { session: false } }, async (request, reply) => {
      reply.commitSession()
      const awaited = await Promise.resolve(request.session)
      return `body { color: ${inspect(request.session) === '{}' && awaited === request.session ? 'black' : 'red'} }`
    })
    app.get('/static/misuse', { config: { session: false } }, async (request) => request.session.get('user'))
    app.get('/static/admin-misuse', { config: { session: false } }, async (request) => request.adminSession.has('username'))
  })
  const remembered = await app.inject('/remember')
  t.equal(setCookies(remembered).length, 2, 'both permanent sessions are set')
  const cookies = Object.fromEntries(remembered.cookies.map((cookie) => [cookie.name, cookie.value]))
  for (const sent of [cookies, { session: 'forged.cookie.value', admin: 'forged' }]) {
    const asset = await app.inject({ url: '/static/app.css', cookies: sent })
    t.equal(asset.body, 'body { color: black }', 'reply.commitSession(), inspecting or awaiting request.session do not throw')
    t.same(setCookies(asset), [], 'no refresh, no deletion')
    t.equal(asset.headers.vary, undefined)
    t.equal(asset.headers['cache-control'], undefined)
  }
  for (const [url, name] of [['/static/misuse', 'session'], ['/static/admin-misuse', 'adminSession']]) {
    const misuse = await app.inject({ url, cookies })
    t.equal(misuse.statusCode, 500)
    t.match(misuse.json(), {
      code: 'FST_COOKIE_SESSION_INVALID_OPTION',
      message: `fastify-cookie-session: request.${name} is turned off on this route by its config: { session: false }; remove that to use the session here`
    })
    t.same(setCookies(misuse), [])
  }
  t.equal(setCookies(await app.inject({ url: '/remember', cookies })).length, 2, 'other routes keep their sessions')
})

t.test('@fastify/static routes get config: { session: false } from an onRoute hook in their scope', async (t) => {
  const { app } = await buildApp(t, {}, async (app) => {
    app.get('/remember', async (request) => { request.session.permanent = true; return 'ok' })
    await app.register(async (assets) => {
      assets.addHook('onRoute', (route) => { route.config = { ...route.config, session: false } })
      await assets.register(fastifyStatic, { root: join(__dirname, 'fixtures'), prefix: '/assets/' })
    })
  })
  const cookies = { session: expectSessionValue(await app.inject('/remember')) }
  const asset = await app.inject({ url: '/assets/flask-vectors.json', cookies })
  t.equal(asset.statusCode, 200)
  t.same(setCookies(asset), [], 'the permanent session is not refreshed on a static file')
  t.equal(asset.headers.vary, undefined)
  t.match(setCookies(await app.inject({ url: '/remember', cookies })), [/^session=.*Max-Age=/], 'it is, on other routes')
})
