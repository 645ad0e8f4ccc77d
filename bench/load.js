'use strict'

// The load generator, a process of its own: `node bench/load.js '<json job>'`.
// Fetches the session cookies it needs from the server's /login, runs autocannon for the
// warm-up, prints "measuring", runs the measured part and prints its result as one JSON line.
// (Cookies minted in the server process with fastify.inject left that process with several
// times the garbage-collection cost per request, so they come over HTTP like any client's.) Every response body is checked, so a session that silently stopped
// working shows up as mismatches instead of as a fast server.

const http = require('node:http')
const autocannon = require('autocannon')
const { COLD_COOKIE_COUNT, DUPLICATE_COOKIE_COUNT, DUPLICATE_HEADER_BYTES, SESSION_DATA } = require('./variants.js')

const MINTING_CONCURRENCY = 50

const EXPECTED_BODY = {
  read: JSON.stringify({ username: SESSION_DATA.username }),
  'read-cold': JSON.stringify({ username: SESSION_DATA.username }),
  'permanent-read': JSON.stringify({ username: SESSION_DATA.username }),
  write: '{"ok":true}',
  untouched: '{"ok":true}',
  'duplicate-cookies': '{"ok":true}',
  'split-read': JSON.stringify({ username: SESSION_DATA.username }),
  'split-write': '{"ok":true}'
}

/** The query of the `/login` that mints a route's cookie. */
const LOGIN_QUERY = { 'permanent-read': 'permanent=1', 'split-read': 'bulk=1', 'split-write': 'bulk=1' }

function coldClientSetup (cookies) {
  // Each connection starts at its own place in the list, so concurrent connections do not send the same cookie.
  const stride = Math.floor(cookies.length / 50)
  let clientIndex = 0
  return function spreadCookies (client) {
    const offset = (clientIndex++ * stride) % cookies.length
    const rotated = cookies.slice(offset).concat(cookies.slice(0, offset))
    client.setRequests(rotated.map((cookie) => ({ method: 'GET', path: '/read-cold', headers: { cookie } })))
  }
}

/** The attack's Cookie header: distinct forgeries shaped like `cookie` (its timestamp, a signature of its length). */
function duplicateCookieHeader (cookie) {
  const [timestamp, signature] = cookie.split('.').slice(-2)
  const copies = []
  for (let index = 0; index < DUPLICATE_COOKIE_COUNT; index++) {
    const copy = `session=f${index}.${timestamp}.${signature.slice(0, -4)}${String(index).padStart(4, '0')}`
    if ((copies.length + 1) * (copy.length + 2) > DUPLICATE_HEADER_BYTES) break
    copies.push(copy)
  }
  return copies.join('; ')
}

/** The `Cookie` header (`name=value`, or every piece of a split session) of the session that `/login?<query>` sets. */
function login (agent, port, query) {
  return new Promise((resolve, reject) => {
    http.get({ agent, host: '127.0.0.1', port, path: `/login?${query}` }, (response) => {
      response.resume()
      const setCookies = (response.headers['set-cookie'] ?? []).filter((header) => header.startsWith('session'))
      if (response.statusCode !== 200 || setCookies.length === 0) reject(new Error(`/login?${query} answered ${response.statusCode} without a session cookie`))
      else resolve(setCookies.map((header) => header.slice(0, header.indexOf(';'))).join('; '))
    }).on('error', reject)
  })
}

async function mintCookies (port, route) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MINTING_CONCURRENCY })
  const cookies = { session: await login(agent, port, LOGIN_QUERY[route] ?? ''), cold: [] }
  if (route === 'read-cold') {
    for (let first = 0; first < COLD_COOKIE_COUNT; first += MINTING_CONCURRENCY) {
      const batch = []
      for (let id = first; id < Math.min(first + MINTING_CONCURRENCY, COLD_COOKIE_COUNT); id++) batch.push(login(agent, port, `id=${100000 + id}`))
      cookies.cold.push(...await Promise.all(batch))
    }
  }
  agent.destroy()
  return cookies
}

function run (options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

async function main () {
  const job = JSON.parse(process.argv[2])
  const cookies = await mintCookies(job.port, job.route)
  const options = {
    url: `http://127.0.0.1:${job.port}/${job.route}`,
    connections: job.connections,
    headers: { cookie: job.route === 'duplicate-cookies' ? duplicateCookieHeader(cookies.session) : cookies.session },
    expectBody: EXPECTED_BODY[job.route],
    setupClient: job.route === 'read-cold' ? coldClientSetup(cookies.cold) : undefined
  }
  await run({ ...options, duration: job.warmupSeconds })
  process.stdout.write('measuring\n')
  const result = await run({ ...options, duration: job.durationSeconds })
  process.stdout.write(JSON.stringify({
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches
  }) + '\n')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
