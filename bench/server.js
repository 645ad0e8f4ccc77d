'use strict'

// One benchmark server: `node bench/server.js <variant> [route]`. It listens on 127.0.0.1 on a free
// port and prints that port on stdout. `/login` hands out a session cookie; the load generator
// fetches the cookies it needs from there, over HTTP, before it starts. The route only matters
// for `many-users`, whose peers are registered with permanent sessions. `/bench/cache-counters`
// tells the load generator how often our codecs found a cookie in their cache.

const { spawn } = require('node:child_process')
const { mkdtempSync, rmSync } = require('node:fs')
const { createServer } = require('node:net')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const Fastify = require('fastify')
const { resolveOptions } = require('../dist/lib/plugin/options.js')
const { createSessionCodec } = require('../dist/lib/codec/create-codec.js')
const { VARIANTS, SESSION_DATA, BULK_TEXT, PERMANENT_SECONDS } = require('./variants.js')

const SECRET = 'bench-secret-0123456789-0123456789-0123456789'
const SECURE_SESSION_KEY = Buffer.alloc(32, 7)
const USERNAME_REPLY = JSON.stringify({ username: SESSION_DATA.username })
const OK_REPLY = '{"ok":true}'
/** Sessions revoked before the revocation variant is measured, so the mirror it checks is not empty. */
const REVOKED_SESSIONS = 1000
const REDIS_STARTUP_BUDGET_MS = 10_000

/** The route bodies of every plugin whose session has `get` and `set`: ours and both peers. */
const SESSION_GET_SET_ROUTES = {
  login (request, reply, data) {
    for (const key of Object.keys(data)) request.session.set(key, data[key])
  },
  read (request) { return JSON.stringify({ username: request.session.get('username') }) },
  write (request, reply, visits) {
    request.session.set('theme', 'dark')
    request.session.set('visits', visits)
  }
}

/**
 * Each variant: how to register its session machinery (with `permanent`, sessions that last
 * PERMANENT_SECONDS and are renewed on every response), and the route bodies in its own API.
 * `rollingRead`, where a plugin does not renew a permanent session by itself, is its read that does.
 */
const SETUPS = {
  bare: {
    async register () {},
    // bare Fastify ignores the cookie, but gets one of the plugin's, so its requests are the same size.
    login (request, reply, data) {
      const value = bareCookieCodec.seal(new Map(Object.entries(data)), Math.floor(Date.now() / 1000))
      reply.header('set-cookie', `session=${value}; Path=/`)
    },
    read () { return USERNAME_REPLY },
    write () {}
  },
  ours: {
    usesOurCodec: true,
    async register (app, { format, split }) {
      await app.register(require('../dist/index.js'), { secret: SECRET, format, oversizedCookie: split ? 'split' : 'error' })
    },
    ...SESSION_GET_SET_ROUTES,
    permanentLogin (request, reply, data) {
      this.login(request, reply, data)
      request.session.permanent = true
    }
  },
  revocation: {
    usesOurCodec: true,
    async register (app, { format }) {
      const Redis = require('ioredis')
      // ioredis retries until redis-server listens; its refusals meanwhile are expected.
      const client = new Redis({ host: '127.0.0.1', port: await startRedis() })
      client.on('error', () => {})
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server did not answer within ${REDIS_STARTUP_BUDGET_MS} ms`)), REDIS_STARTUP_BUDGET_MS)
        client.once('ready', () => { clearTimeout(timer); resolve() })
      })
      const { redisRevocationStore } = require('../dist/index.js')
      await app.register(require('../dist/index.js'), { secret: SECRET, format, revocation: { store: redisRevocationStore({ client }), userKey: 'user_id' } })
      for (let index = 0; index < REVOKED_SESSIONS; index++) await app.revokeSession(`bench-revoked-${index}`)
      app.addHook('onClose', async () => { client.disconnect() })
    },
    ...SESSION_GET_SET_ROUTES
  },
  'secure-session': {
    async register (app, variant, { permanent }) {
      // Its session expires `expiry` seconds after the last `touch()`; the cookie's Max-Age makes the browser keep it as long.
      const lifetime = permanent ? { expiry: PERMANENT_SECONDS, cookie: { path: '/', httpOnly: true, maxAge: PERMANENT_SECONDS } } : { cookie: { path: '/', httpOnly: true } }
      await app.register(require('@fastify/secure-session'), { key: SECURE_SESSION_KEY, ...lifetime })
    },
    ...SESSION_GET_SET_ROUTES,
    // touch() stamps the session anew, so it is encrypted and sent again.
    rollingRead (request) {
      request.session.touch()
      return this.read(request)
    }
  },
  session: {
    async register (app, variant, { permanent }) {
      await app.register(require('@fastify/cookie'))
      // secure: false because the benchmark speaks plain http; with the default the session is never saved.
      // Its default `rolling: true` saves the session and sets the cookie again on every response.
      const lifetime = permanent ? { maxAge: PERMANENT_SECONDS * 1000 } : {}
      await app.register(require('@fastify/session'), { secret: SECRET, cookie: { secure: false, ...lifetime } })
    },
    ...SESSION_GET_SET_ROUTES
  },
  cookie: {
    async register (app, variant, { permanent }) {
      this.cookieOptions = { signed: true, path: '/', httpOnly: true, ...(permanent ? { maxAge: PERMANENT_SECONDS } : {}) }
      await app.register(require('@fastify/cookie'), { secret: SECRET })
    },
    login (request, reply, data) {
      reply.setCookie('session', JSON.stringify(data), this.cookieOptions)
    },
    read (request, reply) {
      const data = openSignedCookie(request)
      if (data === null) return reply.code(401).send()
      return JSON.stringify({ username: data.username })
    },
    // The cookie is signed and set again, as a permanent session is renewed.
    rollingRead (request, reply) {
      const data = openSignedCookie(request)
      if (data === null) return reply.code(401).send()
      reply.setCookie('session', JSON.stringify(data), this.cookieOptions)
      return JSON.stringify({ username: data.username })
    },
    // Read-modify-write, as the session plugins do: verify and parse, change two keys, sign.
    write (request, reply, visits) {
      const data = openSignedCookie(request) ?? {}
      data.theme = 'dark'
      data.visits = visits
      reply.setCookie('session', JSON.stringify(data), this.cookieOptions)
    }
  }
}

const bareCookieCodec = createSessionCodec(resolveOptions({ secret: SECRET }), 0)

/** A redis-server of this process's own, on a free port, with nothing saved; killed when this process exits. Returns its port. */
async function startRedis () {
  const probe = createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  const directory = mkdtempSync(join(tmpdir(), 'bench-redis-'))
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  process.on('exit', () => {
    redis.kill('SIGKILL')
    rmSync(directory, { recursive: true, force: true })
  })
  return port
}

/**
 * Our codecs, each noticed the first time it verifies a cookie (by wrapping
 * `SessionCodec.prototype.verify`), so that their cache counters can be read.
 */
function watchOurCodecs () {
  const { SessionCodec } = require('../dist/lib/codec/session-codec.js')
  const codecs = new Set()
  const verify = SessionCodec.prototype.verify
  SessionCodec.prototype.verify = function watchedVerify (...args) {
    codecs.add(this)
    return verify.apply(this, args)
  }
  return codecs
}

/**
 * The summed `cacheCounters` ({ hits, misses }: a hit is a cookie the codec already knew, a miss
 * a full verification) of the codecs, or null when the codecs do not count.
 */
function cacheCountersOf (codecs) {
  const sum = { hits: 0, misses: 0 }
  for (const { cacheCounters } of codecs) {
    if (cacheCounters === undefined) return null
    sum.hits += cacheCounters.hits
    sum.misses += cacheCounters.misses
  }
  return sum
}

function openSignedCookie (request) {
  const cookie = request.cookies.session
  if (cookie === undefined) return null
  const unsigned = request.unsignCookie(cookie)
  return unsigned.valid ? JSON.parse(unsigned.value) : null
}

async function main () {
  const [variantName, route] = process.argv.slice(2)
  const variant = VARIANTS[variantName]
  if (variant === undefined) throw new Error(`unknown variant ${variantName}; known: ${Object.keys(VARIANTS).join(', ')}`)
  const setup = SETUPS[variant.setup]
  const ourCodecs = setup.usesOurCodec ? watchOurCodecs() : undefined
  const app = Fastify({ logger: false })
  await setup.register(app, variant, { permanent: route === 'many-users' })
  let visits = 0

  app.get('/login', (request, reply) => {
    const data = { ...SESSION_DATA, user_id: Number(request.query.id ?? SESSION_DATA.user_id), ...(request.query.bulk === '1' ? { bulk: BULK_TEXT } : {}) }
    // The peers' sessions are permanent by their registration (see `register`); ours by a flag in the session.
    if (request.query.permanent === '1' && setup.permanentLogin !== undefined) setup.permanentLogin(request, reply, data)
    else setup.login(request, reply, data)
    reply.type('application/json')
    return OK_REPLY
  })
  app.get('/read', (request, reply) => {
    reply.type('application/json')
    return setup.read(request, reply)
  })
  app.get('/permanent-read', (request, reply) => {
    reply.type('application/json')
    return setup.read(request, reply)
  })
  app.get('/read-cold', (request, reply) => {
    reply.type('application/json')
    return setup.read(request, reply)
  })
  app.get('/many-users/read', (request, reply) => {
    reply.type('application/json')
    return setup.rollingRead === undefined ? setup.read(request, reply) : setup.rollingRead(request, reply)
  })
  app.get('/split-read', (request, reply) => {
    reply.type('application/json')
    return setup.read(request, reply)
  })
  for (const path of ['/write', '/split-write', '/many-users/write']) {
    app.get(path, (request, reply) => {
      setup.write(request, reply, ++visits)
      reply.type('application/json')
      return OK_REPLY
    })
  }
  for (const path of ['/untouched', '/untouched-cold']) {
    app.get(path, (request, reply) => {
      reply.type('application/json')
      return OK_REPLY
    })
  }
  app.get('/bench/cache-counters', () => ({ counting: ourCodecs !== undefined, counters: ourCodecs === undefined ? null : cacheCountersOf(ourCodecs) }))
  app.get('/duplicate-cookies', (request, reply) => {
    reply.type('application/json')
    return OK_REPLY
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.stdout.write(`${app.server.address().port}\n`)
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
