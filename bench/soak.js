'use strict'

// Soak test (not part of `npm test`): one million mixed requests (valid, tampered, expired,
// distinct forgeries, writes) over HTTP to a server in its own process, then the server's heap
// after a full GC, compared with its heap after a warm-up. The server is separate because
// `app.inject` itself retains memory per call in Fastify 5.12 (bare Fastify too), which would
// hide what the plugin does.
// Run: npm run soak (or, after npm run build, node bench/soak.js [requests])

const { fork } = require('node:child_process')
const http = require('node:http')

const TOTAL = Number(process.argv[2] ?? 1_000_000)
const CONCURRENCY = 64
const SECRET = 'soak-secret-that-is-at-least-32-bytes'
/** Longer than any run, so the valid cookie minted at the start stays valid to the end; the expired one is signed a lifetime ago. */
const LIFETIME_SECONDS = 3600

async function serve () {
  const Fastify = require('fastify')
  const cookieSession = require('../dist/index.js')
  const app = Fastify({ logger: false })
  await app.register(cookieSession, { secret: SECRET, lifetimeSeconds: LIFETIME_SECONDS })
  app.get('/login', async (request) => { request.session.set('user', 'ann'); return 'ok' })
  app.get('/login-long-ago', async (request) => {
    const realNow = Date.now
    Date.now = () => realNow() - (LIFETIME_SECONDS + 5) * 1000
    request.session.set('user', 'ann')
    // The cookie is signed in onSend, so the clock goes back only after the response is built.
    request.raw.once('close', () => { Date.now = realNow })
    return 'ok'
  })
  app.get('/read', async (request) => request.session.get('user') ?? 'nobody')
  app.get('/write', async (request) => {
    request.session.set('visits', (request.session.get('visits') ?? 0) + 1)
    return 'ok'
  })
  app.get('/heap', async () => {
    global.gc()
    global.gc()
    return { heapMiB: process.memoryUsage().heapUsed / 1024 / 1024 }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.send({ port: app.server.address().port })
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function get (port, path, cookie) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers: cookie === undefined ? {} : { cookie: `session=${cookie}` } }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => { body += chunk })
      response.on('end', () => resolve({ statusCode: response.statusCode, headers: response.headers, body }))
    })
    request.on('error', reject)
  })
}

const cookieOf = (response) => /^session=([^;]*)/.exec(response.headers['set-cookie'][0])[1]

async function soak () {
  const server = fork(__filename, ['--serve'], { execArgv: ['--expose-gc'] })
  const { port } = await new Promise((resolve) => server.once('message', resolve))
  try {
    const valid = cookieOf(await get(port, '/login'))
    const expired = cookieOf(await get(port, '/login-long-ago'))
    const tampered = 'A' + valid.slice(1)
    // Each kind of request, and what its answer must be.
    const kinds = [
      { name: 'valid read', path: '/read', cookie: () => valid, expect: (r) => r.body === 'ann' },
      { name: 'tampered', path: '/read', cookie: () => tampered, expect: (r) => r.body === 'nobody' },
      { name: 'expired', path: '/read', cookie: () => expired, expect: (r) => r.body === 'nobody' },
      // A new forged value every time: the verification cache must not grow with them.
      { name: 'distinct forgeries', path: '/read', cookie: (n) => `${n.toString(36)}${valid.slice(8)}`, expect: (r) => r.body === 'nobody' },
      { name: 'write', path: '/write', cookie: () => valid, expect: (r) => r.statusCode === 200 && r.headers['set-cookie'] !== undefined }
    ]
    const counts = kinds.map(() => ({ sent: 0, wrong: 0, serverErrors: 0 }))

    async function run (count, offset) {
      let next = 0
      async function worker () {
        while (next < count) {
          const n = offset + next++
          const kind = kinds[n % kinds.length]
          const count = counts[n % kinds.length]
          const response = await get(port, kind.path, kind.cookie(n))
          count.sent++
          if (response.statusCode >= 500) count.serverErrors++
          if (!kind.expect(response)) count.wrong++
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    }

    const warmUp = Math.min(50_000, TOTAL)
    await run(warmUp, 0)
    const heapBefore = JSON.parse((await get(port, '/heap')).body).heapMiB
    const started = process.hrtime.bigint()
    await run(TOTAL, warmUp)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const heapAfter = JSON.parse((await get(port, '/heap')).body).heapMiB

    console.log(`${TOTAL.toLocaleString('en')} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds).toLocaleString('en')}/s), after ${warmUp.toLocaleString('en')} warm-up requests`)
    console.log('kind (warm-up included)  sent   wrong answers   5xx')
    kinds.forEach((kind, index) => {
      const { sent, wrong, serverErrors } = counts[index]
      console.log(`${kind.name.padEnd(20)} ${String(sent).padStart(8)}  ${String(wrong).padStart(14)}  ${String(serverErrors).padStart(4)}`)
    })
    const growth = heapAfter - heapBefore
    console.log(`server heap after warm-up ${heapBefore.toFixed(1)} MiB, after the run ${heapAfter.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB)`)
    const failures = counts.reduce((sum, count) => sum + count.wrong + count.serverErrors, 0)
    // Flat means within a few MiB: V8's heap moves a little between full GCs.
    const flat = growth < 5
    console.log(failures === 0 && flat ? 'PASS: no errors, memory flat' : `FAIL: ${failures} wrong answers or 5xx, heap ${flat ? 'flat' : 'grew'}`)
    process.exitCode = failures === 0 && flat ? 0 : 1
  } finally {
    agent.destroy()
    server.kill()
  }
}

if (process.argv[2] === '--serve') serve()
else soak()
