'use strict'

// The load generator, a process of its own: `node bench/load.js '<json job>'`.
// Runs autocannon for the warm-up, prints "measuring", runs the measured part and prints its
// result as one JSON line. Every response body is checked, so a session that silently stopped
// working shows up as mismatches instead of as a fast server.

const { readFileSync } = require('node:fs')
const autocannon = require('autocannon')
const { SESSION_DATA } = require('./variants.js')

const EXPECTED_BODY = {
  read: JSON.stringify({ username: SESSION_DATA.username }),
  'read-cold': JSON.stringify({ username: SESSION_DATA.username }),
  'permanent-read': JSON.stringify({ username: SESSION_DATA.username }),
  write: '{"ok":true}',
  untouched: '{"ok":true}'
}

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

function run (options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

async function main () {
  const job = JSON.parse(process.argv[2])
  const cookies = JSON.parse(readFileSync(job.cookiesFile, 'utf8'))
  const cookie = job.route === 'permanent-read' ? cookies.permanent : cookies.session
  const options = {
    url: `http://127.0.0.1:${job.port}/${job.route}`,
    connections: job.connections,
    headers: { cookie },
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
