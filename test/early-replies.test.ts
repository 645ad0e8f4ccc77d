import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import t from 'tap'
import cookieSession from '../index.js'
import { SECRET, setCookies } from './helpers.js'

const PREFLIGHT = { method: 'OPTIONS' as const, url: '/data', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } }

t.test('a CORS preflight answered by @fastify/cors gets its 204, its CORS headers and no session cookie', async (t) => {
  for (const order of ['cors first', 'cors after the plugin']) {
    const app = Fastify()
    if (order === 'cors first') await app.register(cors, { origin: true })
    await app.register(cookieSession, { secret: SECRET })
    if (order !== 'cors first') await app.register(cors, { origin: true })
    app.post('/data', async (request) => { request.session.set('n', 1); return 'ok' })
    const response = await app.inject(PREFLIGHT)
    t.equal(response.statusCode, 204, order)
    t.equal(response.headers['access-control-allow-origin'], 'https://app.example', order)
    t.same(setCookies(response), [], `${order}: no Set-Cookie`)
    t.equal(response.headers.vary?.toString().includes('Cookie'), false, `${order}: no Vary: Cookie`)
    await app.close()
  }
})

t.test('an onRequest hook that redirects before the session opened keeps its redirect', async (t) => {
  const app = Fastify()
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/old') return reply.redirect('/new')
  })
  await app.register(cookieSession, { secret: SECRET })
  app.get('/old', async () => 'never')
  t.teardown(() => app.close())
  const response = await app.inject({ url: '/old', cookies: { session: 'anything' } })
  t.equal(response.statusCode, 302)
  t.equal(response.headers.location, '/new')
  t.same(setCookies(response), [])
})

t.test('a rate limiter that replies 429 before the session opened keeps its status and body', async (t) => {
  const app = Fastify()
  // global: false and the app-level hook: the limiter runs before every hook the plugin adds.
  await app.register(rateLimit, { global: false })
  app.addHook('onRequest', app.rateLimit({ max: 1, timeWindow: 60_000 }))
  await app.register(cookieSession, { secret: SECRET })
  app.get('/', async (request) => { request.session.set('seen', true); return 'ok' })
  t.teardown(() => app.close())
  t.equal((await app.inject('/')).statusCode, 200)
  const limited = await app.inject('/')
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { statusCode: 429, message: /Rate limit exceeded/ })
  t.same(setCookies(limited), [])
})

t.test('reply.commitSession() on a request whose session never opened does nothing', async (t) => {
  const app = Fastify()
  let committed: unknown = 'not called'
  app.addHook('onRequest', async (request, reply) => {
    reply.hijack()
    committed = reply.commitSession()
    reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.end('early')
  })
  await app.register(cookieSession, { secret: SECRET })
  app.get('/early', async () => 'never')
  t.teardown(() => app.close())
  const response = await app.inject('/early')
  t.equal(committed, undefined)
  t.equal(response.body, 'early')
  t.same(setCookies(response), [])
})
