import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildDemoApp } from '../../examples/app.js'
import { PYTHON, testWithFlask } from './flask-python.js'
import { cookieValue } from './vectors.js'

const LIFETIME_SECONDS = 2_678_400
/** Long enough for zlib to pay, short enough for Fastify's 100-character route parameter limit. */
const LONG_USERNAME = 'ab'.repeat(45)
const FLASK_DELETION = 'session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax'

/** One browser: it keeps the `session` cookie both apps share, as one host would. */
class Browser {
  cookie: string | undefined

  receive (headers: string[]): void {
    const value = cookieValue(headers)
    if (value === undefined) return
    this.cookie = value === '' || /; Max-Age=0(;|$)/.test(headers[0]!) ? undefined : value
  }

  get headers (): Record<string, string> {
    return this.cookie === undefined ? {} : { cookie: `session=${this.cookie}` }
  }
}

interface Reply { status: number, body: string, setCookie: string[] }

async function startFlask (secret: string): Promise<{ port: number, child: ChildProcess }> {
  const child = spawn(PYTHON, [join(__dirname, 'app.py')], { env: { ...process.env, SECRET_KEY: secret }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    child.once('exit', (code) => reject(new Error(`the Flask app exited (${code}) before listening: ${stderr}`)))
    child.once('error', reject)
  })
  return { port, child }
}

/** Signing time of a cookie value: its timestamp segment, big-endian seconds. */
function signedAtSeconds (value: string): number {
  const segments = value.split('.')
  return Buffer.from(segments[segments.length - 2]!, 'base64url').reduce((seconds, byte) => seconds * 256 + byte, 0)
}

/**
 * Waits for the wall clock's next whole second: the plugin sends no refresh of a permanent
 * cookie signed in the current second, since it would be the same bytes.
 */
async function intoNextSecond (): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5)
}

function expiresSeconds (header: string): number {
  return Date.parse(/; Expires=([^;]+)/.exec(header)?.[1] ?? '') / 1000
}

async function liveInterop (t: Test): Promise<void> {
  const secret = randomBytes(32).toString('base64url')
  const { port, child } = await startFlask(secret)
  t.teardown(() => { child.kill() })
  const fastify: FastifyInstance = await buildDemoApp({ secret, format: 'flask' })
  fastify.get('/typed/store', async (request) => {
    request.session.set('when', new Date('2015-10-21T07:28:00Z'))
    request.session.set('blob', Buffer.from([0, 1, 2, 255]))
    request.session.set('pair', [1, 'two'])
    return 'stored\n'
  })
  fastify.get('/typed/show', async (request) => {
    const when = request.session.get('when')
    const blob = request.session.get('blob')
    return { when: when instanceof Date ? when.toISOString() : null, blob: Buffer.isBuffer(blob) ? blob.toString('hex') : null, pair: request.session.get('pair') }
  })
  fastify.get('/typed/touch', async (request) => {
    request.session.set('visited', 'fastify')
    return 'touched\n'
  })
  t.teardown(() => fastify.close())

  async function onFlask (browser: Browser, path: string): Promise<Reply> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: browser.headers, redirect: 'manual' })
    const reply = { status: response.status, body: await response.text(), setCookie: response.headers.getSetCookie() }
    browser.receive(reply.setCookie)
    return reply
  }

  async function onFastify (browser: Browser, path: string): Promise<Reply> {
    const response = await fastify.inject({ url: path, headers: browser.headers })
    const header = response.headers['set-cookie']
    const reply = { status: response.statusCode, body: response.body, setCookie: header === undefined ? [] : ([] as string[]).concat(header) }
    browser.receive(reply.setCookie)
    return reply
  }

  const sides = { Flask: onFlask, Fastify: onFastify }
  for (const [first, second] of [['Flask', 'Fastify'], ['Fastify', 'Flask']] as const) {
    t.test(`log in on ${first}, read the profile on ${second}`, async (t) => {
      for (const username of ['alice', 'Zoë ☃ 😀', LONG_USERNAME]) {
        const browser = new Browser()
        t.equal((await sides[first](browser, `/login/${encodeURIComponent(username)}`)).body, `Logged in as ${username}\n`)
        if (username === LONG_USERNAME) t.ok(browser.cookie?.startsWith('.'), 'a long session is compressed')
        t.equal((await sides[second](browser, '/profile')).body, `User: ${username}\n`)
      }
    })

    t.test(`log in on ${first}, log out on ${second}: logged out on both`, async (t) => {
      const browser = new Browser()
      await sides[first](browser, '/login/alice')
      const logout = await sides[second](browser, '/logout')
      t.strictSame(logout.setCookie, [FLASK_DELETION], 'the same deletion header from either app')
      t.equal(browser.cookie, undefined)
      t.equal((await sides[first](browser, '/profile')).body, 'Not logged in\n')
      t.equal((await sides[second](browser, '/profile')).body, 'Not logged in\n')
    })

    t.test(`permanent on ${first} stays permanent on ${second}`, async (t) => {
      const browser = new Browser()
      await sides[first](browser, '/login/alice')
      const made = await sides[first](browser, '/permanent')
      t.match(made.setCookie[0], /; Expires=[^;]+; /)
      await intoNextSecond()
      const refreshed = await sides[second](browser, '/profile')
      t.equal(refreshed.body, 'User: alice\n')
      t.equal(refreshed.setCookie.length, 1, 'a permanent session is refreshed on every response')
      const ageSeconds = expiresSeconds(refreshed.setCookie[0]!) - signedAtSeconds(browser.cookie as string)
      if (second === 'Fastify') {
        t.match(refreshed.setCookie[0], `; Max-Age=${LIFETIME_SECONDS}; `)
        t.equal(ageSeconds, LIFETIME_SECONDS, 'Expires is the signing time plus the lifetime')
      } else {
        // Flask sends no Max-Age, and takes its clock twice: Expires may be one second short.
        t.notMatch(refreshed.setCookie[0], 'Max-Age')
        t.ok(ageSeconds === LIFETIME_SECONDS || ageSeconds === LIFETIME_SECONDS - 1, `Expires is the signing time plus the lifetime (${ageSeconds} s)`)
      }
      await intoNextSecond()
      t.equal((await sides[first](browser, '/profile')).setCookie.length, 1, 'and stays permanent back on the first app')
    })
  }

  t.test('a date, bytes and a tuple survive Flask → Fastify → Flask', async (t) => {
    const browser = new Browser()
    await onFlask(browser, '/typed/store')
    t.strictSame(JSON.parse((await onFastify(browser, '/typed/show')).body), { when: '2015-10-21T07:28:00.000Z', blob: '000102ff', pair: [1, 'two'] })
    t.equal((await onFastify(browser, '/typed/touch')).setCookie.length, 1, 'Fastify rewrites the whole session')
    t.strictSame(JSON.parse((await onFlask(browser, '/typed/show')).body), {
      when: { type: 'datetime', value: '2015-10-21T07:28:00+00:00' },
      blob: { type: 'bytes', value: '000102ff' },
      // JS has no tuple: it comes back to Flask as a list.
      pair: { type: 'list', value: [1, 'two'] },
      visited: 'fastify'
    })
  })

  t.test('a date, bytes and an array stored on Fastify are a datetime, bytes and a list on Flask', async (t) => {
    const browser = new Browser()
    await onFastify(browser, '/typed/store')
    t.strictSame(JSON.parse((await onFlask(browser, '/typed/show')).body), {
      when: { type: 'datetime', value: '2015-10-21T07:28:00+00:00' },
      blob: { type: 'bytes', value: '000102ff' },
      pair: { type: 'list', value: [1, 'two'] },
      visited: null
    })
  })
}

testWithFlask('live interop with a real Flask app sharing the secret', liveInterop)
