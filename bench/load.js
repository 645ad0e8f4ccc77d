'use strict'

// The load generator, a process of its own: `node bench/load.js '<json job>'`.
// Fetches the session cookies it needs from the server's /login, runs autocannon for the
// warm-up, prints "measuring", runs the measured part and prints its result as one JSON line,
// with, for our plugin, how often its codecs found a cookie in their cache during that part.
// (Cookies minted in the server process with fastify.inject left that process with several
// times the garbage-collection cost per request, so they come over HTTP like any client's.) Every response body is checked, so a session that silently stopped
// working shows up as mismatches instead of as a fast server.

const http = require('node:http')
const autocannon = require('autocannon')
const { COLD_COOKIE_COUNT, UNTOUCHED_COLD_COOKIE_COUNT, MANY_USERS_COUNT, VISIT_READS, DUPLICATE_COOKIE_COUNT, DUPLICATE_HEADER_BYTES, SESSION_DATA } = require('./variants.js')

const MINTING_CONCURRENCY = 50

const USERNAME_BODY = JSON.stringify({ username: SESSION_DATA.username })
const OK_BODY = '{"ok":true}'
const EXPECTED_BODY = {
  read: USERNAME_BODY,
  'read-cold': USERNAME_BODY,
  'permanent-read': USERNAME_BODY,
  write: OK_BODY,
  untouched: OK_BODY,
  'untouched-cold': OK_BODY,
  'duplicate-cookies': OK_BODY,
  'split-read': USERNAME_BODY,
  'split-write': OK_BODY
}

/** The query of the `/login` that mints a route's cookie. */
const LOGIN_QUERY = { 'permanent-read': 'permanent=1', 'split-read': 'bulk=1', 'split-write': 'bulk=1', 'many-users': 'permanent=1' }

/** The routes that need this many distinct sessions, one per user id. */
const DISTINCT_SESSIONS = { 'read-cold': COLD_COOKIE_COUNT, 'untouched-cold': UNTOUCHED_COLD_COOKIE_COUNT, 'many-users': MANY_USERS_COUNT }

/**
 * Each connection cycles through a share of its own, so concurrent connections never send the same
 * cookie, and a cookie comes back only after every other one was sent (more than the cache holds in
 * between). One prebuilt request per cookie in all, rather than the whole list per connection: the
 * load generator then holds 50 times fewer buffers, whose collection made it the bottleneck.
 */
function coldClientSetup (path, cookies, connections) {
  const share = Math.ceil(cookies.length / connections)
  let clientIndex = 0
  return function spreadCookies (client) {
    const first = (clientIndex++ % connections) * share
    client.setRequests(cookies.slice(first, first + share).map((cookie) => ({ method: 'GET', path, headers: { cookie } })))
  }
}

/** Users waiting for their next visit, first come first served: a ring as long as the list of users. */
class UserQueue {
  #ring
  #head = 0
  #size

  constructor (users) {
    this.#ring = [...users]
    this.#size = users.length
  }

  take () {
    const user = this.#ring[this.#head]
    this.#head = (this.#head + 1) % this.#ring.length
    this.#size--
    return user
  }

  giveBack (user) {
    this.#ring[(this.#head + this.#size) % this.#ring.length] = user
    this.#size++
  }
}

/** A browser's cookie jar for one site, as the `Cookie` header it sends. */
class CookieJar {
  #cookies = new Map()
  header = ''

  constructor (cookieHeader) {
    for (const pair of cookieHeader.split('; ')) this.#store(pair, false)
    this.#writeHeader()
  }

  /** Keeps what the response's Set-Cookie headers say; true when it had any. */
  receive (headers) {
    const setCookies = headers['set-cookie']
    if (setCookies === undefined) return false
    for (const setCookie of [].concat(setCookies)) {
      const end = setCookie.indexOf(';')
      this.#store(end === -1 ? setCookie : setCookie.slice(0, end), /;\s*max-age=0(;|$)/i.test(setCookie))
    }
    this.#writeHeader()
    return true
  }

  #store (pair, expired) {
    const equals = pair.indexOf('=')
    const value = pair.slice(equals + 1)
    if (expired || value === '') this.#cookies.delete(pair.slice(0, equals))
    else this.#cookies.set(pair.slice(0, equals), value)
  }

  #writeHeader () {
    this.header = Array.from(this.#cookies, ([name, value]) => `${name}=${value}`).join('; ')
  }
}

/**
 * The many-users load: each connection takes the next user from a shared queue, sends VISIT_READS
 * reads then a write with the cookies the user's last response left in its jar, and puts the user back.
 */
function manyUsersLoad (cookieHeaders) {
  const queue = new UserQueue(cookieHeaders.map((header) => new CookieJar(header)))
  const visiting = new Set()
  const tally = { responses: 0, settingCookies: 0, failures: 0 }
  const send = (request, context) => {
    request.headers.cookie = context.user.header
    return request
  }
  const receive = (expectedBody) => (status, body, context, headers) => {
    tally.responses++
    if (status !== 200 || body !== expectedBody) tally.failures++
    if (context.user.receive(headers)) tally.settingCookies++
  }
  const receiveRead = receive(USERNAME_BODY)
  const receiveWrite = receive(OK_BODY)
  const read = () => ({ method: 'GET', path: '/many-users/read', setupRequest: send, onResponse: receiveRead })
  const firstRead = {
    ...read(),
    setupRequest (request, context) {
      context.user = queue.take()
      visiting.add(context.user)
      return send(request, context)
    }
  }
  const write = {
    method: 'GET',
    path: '/many-users/write',
    setupRequest: send,
    onResponse (status, body, context, headers) {
      receiveWrite(status, body, context, headers)
      visiting.delete(context.user)
      queue.giveBack(context.user)
    }
  }
  return {
    requests: [firstRead, ...Array.from({ length: VISIT_READS - 1 }, read), write],
    tally,
    /** The users whose visit the end of a run cut short wait again, with the cookies they last received. */
    endRun () {
      for (const user of visiting) queue.giveBack(user)
      visiting.clear()
    }
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
  const query = LOGIN_QUERY[route] ?? ''
  const cookies = { session: await login(agent, port, query), distinct: [] }
  const count = DISTINCT_SESSIONS[route] ?? 0
  for (let first = 0; first < count; first += MINTING_CONCURRENCY) {
    const batch = []
    for (let id = first; id < Math.min(first + MINTING_CONCURRENCY, count); id++) batch.push(login(agent, port, `${query}&id=${100000 + id}`))
    cookies.distinct.push(...await Promise.all(batch))
  }
  agent.destroy()
  return cookies
}

/** What `/bench/cache-counters` says: whether the server counts (ours) and its codecs' counters so far (null: they do not count). */
function readCacheCounters (port) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/bench/cache-counters' }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => { body += chunk })
      response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`/bench/cache-counters answered ${response.statusCode}`))))
    }).on('error', reject)
  })
}

/** The cache hits and misses between two readings; 'n/a' when our codecs do not count, undefined for the peers. */
function cacheCountsBetween (before, after) {
  if (!after.counting) return undefined
  if (before.counters === null || after.counters === null) return 'n/a'
  return { hits: after.counters.hits - before.counters.hits, misses: after.counters.misses - before.counters.misses }
}

function run (options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

async function main () {
  const job = JSON.parse(process.argv[2])
  const cookies = await mintCookies(job.port, job.route)
  const manyUsers = job.route === 'many-users' ? manyUsersLoad(cookies.distinct) : undefined
  const options = manyUsers === undefined
    ? {
        url: `http://127.0.0.1:${job.port}/${job.route}`,
        connections: job.connections,
        headers: { cookie: job.route === 'duplicate-cookies' ? duplicateCookieHeader(cookies.session) : cookies.session },
        expectBody: EXPECTED_BODY[job.route],
        setupClient: cookies.distinct.length > 0 ? coldClientSetup(`/${job.route}`, cookies.distinct, job.connections) : undefined
      }
    : { url: `http://127.0.0.1:${job.port}`, connections: job.connections, requests: manyUsers.requests }
  await run({ ...options, duration: job.warmupSeconds })
  manyUsers?.endRun()
  const countersBefore = await readCacheCounters(job.port)
  process.stdout.write('measuring\n')
  const tallyBefore = { ...manyUsers?.tally }
  const result = await run({ ...options, duration: job.durationSeconds })
  const cache = cacheCountsBetween(countersBefore, await readCacheCounters(job.port))
  const visitFailures = manyUsers === undefined ? 0 : manyUsers.tally.failures - tallyBefore.failures
  process.stdout.write(JSON.stringify({
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches + visitFailures,
    cache,
    // How many responses renewed the user's cookie: 1 for a session renewed on every response, 0 for bare Fastify.
    responsesSettingCookies: manyUsers === undefined ? undefined : (manyUsers.tally.settingCookies - tallyBefore.settingCookies) / (manyUsers.tally.responses - tallyBefore.responses)
  }) + '\n')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
