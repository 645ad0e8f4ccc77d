'use strict'

// What a route that never needs a session (static files, health checks) pays for the plugin:
// `npm run build && node bench/session-off.js [rounds] [requestsPerBatch] [permanent]`. One process, three
// apps serving the same 1 KB constant: bare Fastify, Fastify with the plugin, and the plugin with
// the route's `config: { session: false }`. Every request carries the session cookie a logged-in
// browser sends with every request (with `permanent`, a permanent session's, which the plugin
// refreshes on every response). Requests go through `inject` (no sockets, so the numbers
// include light-my-request's own cost, the same for all three); each round runs one batch per app,
// in a rotating order, and times it in CPU µs (process.cpuUsage). The differences to bare are
// paired per round, so a busy moment of the shared machine lands on both sides of a difference.
// Then, since `inject` costs many times the plugin's share and a busy machine drowns that share,
// the plugin's per-request work alone: what its two hooks do for a route that never touches the
// session, against what they do with `config: { session: false }`, and @fastify/cookie's parse of
// the header, each timed in a loop on a real request inside a route (median of interleaved slices).

const Fastify = require('fastify')
const cookieSession = require('../dist/index.js')
const { resolveOptions } = require('../dist/lib/plugin/options.js')
const { CookieSessionInterface } = require('../dist/lib/plugin/session-interface.js')

const VARIANTS = ['bare', 'plugin', 'session-off']
const SECRET = 'bench-secret-0123456789-0123456789-0123456789'
const ASSET = 'x'.repeat(1024)

async function build (variant) {
  const app = Fastify()
  if (variant !== 'bare') await app.register(cookieSession, { secret: SECRET })
  app.get('/login', async (request) => {
    request.session.set('username', 'alice')
    request.session.permanent = request.query.permanent === '1'
    return 'ok'
  })
  app.get('/static/app.css', { config: { session: variant !== 'session-off' } }, async (request, reply) => reply.type('text/css').send(ASSET))
  if (variant === 'plugin') hookWork(app)
  await app.ready()
  return app
}

/** CPU µs per request of one batch. */
async function batch (app, cookie, requests) {
  const before = process.cpuUsage()
  for (let index = 0; index < requests; index++) {
    const response = await app.inject({ url: '/static/app.css', headers: { cookie } })
    if (response.statusCode !== 200) throw new Error(`unexpected response ${response.statusCode}`)
  }
  const { user, system } = process.cpuUsage(before)
  return (user + system) / requests
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function spread (values) {
  return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}..${Math.max(...values).toFixed(2)})`
}

async function main () {
  const rounds = Number(process.argv[2] ?? 30)
  const requestsPerBatch = Number(process.argv[3] ?? 2000)
  const apps = Object.fromEntries(await Promise.all(VARIANTS.map(async (variant) => [variant, await build(variant)])))
  const permanent = process.argv[4] === 'permanent'
  const login = await apps.plugin.inject(`/login?permanent=${permanent ? 1 : 0}`)
  const cookie = login.headers['set-cookie'].split(';', 1)[0]
  // Warm-up: the JIT compiles every path before anything is timed.
  for (const variant of VARIANTS) await batch(apps[variant], cookie, requestsPerBatch)
  const samples = Object.fromEntries(VARIANTS.map((variant) => [variant, []]))
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < VARIANTS.length; index++) {
      const variant = VARIANTS[(index + round) % VARIANTS.length]
      samples[variant].push(await batch(apps[variant], cookie, requestsPerBatch))
    }
  }
  console.log(`${rounds} rounds of ${requestsPerBatch} requests per app, ${permanent ? 'permanent' : 'browser-session'} cookie; CPU µs per request, median (min..max)`)
  for (const variant of VARIANTS) console.log(`${variant}: ${spread(samples[variant])}`)
  for (const variant of ['plugin', 'session-off']) {
    console.log(`${variant} - bare, paired per round: ${spread(samples[variant].map((micros, round) => micros - samples.bare[round]))}`)
  }
  console.log(`plugin - session-off, paired per round: ${spread(samples.plugin.map((micros, round) => micros - samples['session-off'][round]))}`)
  const browserSessionCookie = (await apps.plugin.inject('/login?permanent=0')).headers['set-cookie'].split(';', 1)[0]
  await apps.plugin.inject({ url: '/hook-work', headers: { cookie: browserSessionCookie } })
  await Promise.all(VARIANTS.map((variant) => apps[variant].close()))
}

/** What `createSession` and `saveSession` do per request, each way, timed on a real request. */
function hookWork (app) {
  const sessionInterface = new CookieSessionInterface(resolveOptions({ secret: SECRET }))
  /** A reply that forgets the headers, so that a loop of refreshes does not pile up Set-Cookie lines. */
  const discardedHeaders = { getHeader () {}, hasHeader: () => false, header () {} }
  let permanentCookie
  const work = {
    'open + save, session untouched' (request, reply) {
      request.session = sessionInterface.createSession(request.cookies.session, request.headers.cookie)
      sessionInterface.saveSession(request, reply)
    },
    'open + save, permanent session untouched (left as it came: an untouched route does not refresh it)' (request) {
      request.session = sessionInterface.createSession(permanentCookie, permanentCookie)
      sessionInterface.saveSession(request, discardedHeaders)
    },
    'config: { session: false } check' (request, reply) {
      if (request.routeOptions.config.session === false) request.session = null
      sessionInterface.saveSession(request, reply)
    },
    '@fastify/cookie parse (paid either way)' (request) {
      request.cookies = app.parseCookie(request.headers.cookie)
    }
  }
  app.get('/hook-work', (request, reply) => {
    permanentCookie = app.signSessionCookie({ username: 'alice', _permanent: true }).split('=')[1]
    const iterations = 20000
    const slices = Object.fromEntries(Object.keys(work).map((name) => [name, []]))
    for (let slice = 0; slice < 21; slice++) {
      for (const [name, run] of Object.entries(work)) {
        const start = process.hrtime.bigint()
        for (let index = 0; index < iterations; index++) run(request, reply)
        slices[name].push(Number(process.hrtime.bigint() - start) / iterations / 1000)
      }
    }
    for (const [name, micros] of Object.entries(slices)) console.log(`${name}: ${spread(micros.slice(1))} µs per request (21 slices of ${iterations}, the first dropped)`)
    reply.send('ok')
  })
}

main().catch((error) => { console.error(error); process.exitCode = 1 })
