'use strict'

// What a route that never needs a session (static files, health checks) pays for the plugin:
// `npm run build && node bench/session-off.js [rounds] [requestsPerBatch]`. One process, three
// apps serving the same 1 KB constant: bare Fastify, Fastify with the plugin, and the plugin with
// the route's `config: { session: false }`. Every request carries the session cookie a logged-in
// browser sends with every request. Requests go through `inject` (no sockets, so the numbers
// include light-my-request's own cost, the same for all three); each round runs one batch per app,
// in a rotating order, and times it in CPU µs (process.cpuUsage). The differences to bare are
// paired per round, so a busy moment of the shared machine lands on both sides of a difference.

const Fastify = require('fastify')
const cookieSession = require('../dist/index.js')

const VARIANTS = ['bare', 'plugin', 'session-off']
const SECRET = 'bench-secret-0123456789-0123456789-0123456789'
const ASSET = 'x'.repeat(1024)

async function build (variant) {
  const app = Fastify()
  if (variant !== 'bare') await app.register(cookieSession, { secret: SECRET })
  app.get('/login', async (request) => { request.session.set('username', 'alice'); return 'ok' })
  app.get('/static/app.css', { config: { session: variant !== 'session-off' } }, async (request, reply) => reply.type('text/css').send(ASSET))
  await app.ready()
  return app
}

/** CPU µs per request of one batch. */
async function batch (app, cookie, requests) {
  const before = process.cpuUsage()
  for (let index = 0; index < requests; index++) {
    const response = await app.inject({ url: '/static/app.css', headers: { cookie } })
    if (response.statusCode !== 200 || response.headers['set-cookie'] !== undefined) throw new Error(`unexpected response ${response.statusCode}`)
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
  const login = await apps.plugin.inject('/login')
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
  console.log(`${rounds} rounds of ${requestsPerBatch} requests per app; CPU µs per request, median (min..max)`)
  for (const variant of VARIANTS) console.log(`${variant}: ${spread(samples[variant])}`)
  for (const variant of ['plugin', 'session-off']) {
    console.log(`${variant} - bare, paired per round: ${spread(samples[variant].map((micros, round) => micros - samples.bare[round]))}`)
  }
  console.log(`plugin - session-off, paired per round: ${spread(samples.plugin.map((micros, round) => micros - samples['session-off'][round]))}`)
  await Promise.all(VARIANTS.map((variant) => apps[variant].close()))
}

main().catch((error) => { console.error(error); process.exitCode = 1 })
