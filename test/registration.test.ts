import { randomBytes } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import Fastify from 'fastify'
import t from 'tap'
import cookieSession, { fastifyCookieSession } from '../index.js'
import { secretWarnings } from '../lib/plugin/options.js'
import { addLoginRoutes, registrationError, SECRET } from './helpers.js'

async function registerWith (options: unknown): Promise<unknown> {
  return registrationError((app) => app.register(cookieSession, options as never))
}

t.test('exports the plugin as default, named and CommonJS export', async (t) => {
  t.equal(fastifyCookieSession, cookieSession)
  t.equal(cookieSession.default, cookieSession)
  t.equal(cookieSession.errorCodes.WEAK_SECRET, 'FST_COOKIE_SESSION_WEAK_SECRET')
})

t.test('a secret is a string, a Buffer or an array of them', async (t) => {
  t.equal(await registerWith({ secret: SECRET }), undefined)
  t.equal(await registerWith({ secret: Buffer.alloc(32, 1) }), undefined)
  t.equal(await registerWith({ secret: [SECRET, Buffer.alloc(40, 2)] }), undefined)
})

t.test('a missing, empty or short secret fails register and says how to make one', async (t) => {
  for (const options of [{}, { secret: [] }, { secret: null }]) {
    t.match(await registerWith(options), { code: 'FST_COOKIE_SESSION_WEAK_SECRET', message: /option "secret" is required.*randomBytes\(32\)/ })
  }
  t.match(await registerWith({ secret: 'short' }), { code: 'FST_COOKIE_SESSION_WEAK_SECRET', message: /option "secret" is 5 bytes; it needs at least 32/ })
  t.match(await registerWith({ secret: '' }), { message: /option "secret" is 0 bytes/ })
  t.match(await registerWith({ secret: [SECRET, 'old'] }), { message: /option "secret\[1\]" is 3 bytes/ })
  t.match(await registerWith({ secret: [SECRET, 42] }), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message: /option "secret\[1\]" must be a string or a Buffer, got number/ })
})

t.test('Flask mode has no secret length rule, as Flask', async (t) => {
  t.equal(await registerWith({ secret: 'dev', format: 'flask' }), undefined)
  t.match(await registerWith({ secret: '', format: 'flask' }), { message: /option "secret" is 0 bytes; it needs at least 1/ })
})

t.test('the encrypted format takes the same secrets as the default: at least 32 bytes, one or an array', async (t) => {
  t.equal(await registerWith({ secret: [SECRET, Buffer.alloc(32, 2)], format: 'encrypted' }), undefined)
  t.match(await registerWith({ secret: 'dev', format: 'encrypted' }), { code: 'FST_COOKIE_SESSION_WEAK_SECRET', message: /option "secret" is 3 bytes; it needs at least 32/ })
})

t.test('an unknown option or a wrong type fails register, naming it', async (t) => {
  t.match(await registerWith({ secret: SECRET, colour: 'red' }), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message: /unknown option "colour"; known options: secret, cookieName/ })
  t.match(await registerWith({ secret: SECRET, maxAge: 60 }), { message: /unknown option "maxAge"; did you mean "lifetimeSeconds"\?/ })
  t.match(await registerWith({ secret: SECRET, keys: ['a'] }), { message: /unknown option "keys"; did you mean "secret"\?/ })
  t.match(await registerWith({ secret: SECRET, cookieName: 7 }), { message: /option "cookieName" must be a string, got number/ })
  t.match(await registerWith({ secret: SECRET, cookieName: 'my session' }), { message: /option "cookieName" must be a cookie name token/ })
  for (const lifetimeSeconds of [0, -1, 1.5, '60', Infinity]) {
    t.match(await registerWith({ secret: SECRET, lifetimeSeconds }), { message: /option "lifetimeSeconds" must be a positive whole number of seconds/ })
  }
  t.match(await registerWith({ secret: SECRET, absoluteLifetimeSeconds: 0 }), { message: /option "absoluteLifetimeSeconds" must be a positive whole number of seconds, got 0/ })
  t.match(await registerWith({ secret: SECRET, refreshEachRequest: 'yes' }), { message: /option "refreshEachRequest" must be one of true, false, got "yes"/ })
  t.match(await registerWith({ secret: SECRET, format: 'json' }), { message: /option "format" must be one of "default", "flask", "encrypted", got "json"/ })
  t.match(await registerWith({ secret: SECRET, oversizedCookie: 'drop' }), { message: /option "oversizedCookie" must be one of "error", "warn"/ })
})

t.test('bad cookie attributes fail register with the fix', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    ['none', /option "cookie" must be an object/],
    [{ maxAge: 1 }, /unknown option "cookie.maxAge"; known: path, domain/],
    [{ path: 'app' }, /option "cookie.path" must start with "\/"/],
    [{ path: '/a;b' }, /option "cookie.path" must start with "\/"/],
    [{ path: 1 }, /option "cookie.path" must be a string, got number/],
    [{ domain: 'exa mple.com' }, /option "cookie.domain" is not a valid domain/],
    [{ httpOnly: 'yes' }, /option "cookie.httpOnly" must be a boolean/],
    [{ secure: 'always' }, /option "cookie.secure" must be a boolean/],
    [{ partitioned: 1 }, /option "cookie.partitioned" must be a boolean/],
    [{ sameSite: 'lenient' }, /option "cookie.sameSite" must be 'lax', 'strict', 'none' or false/],
    [{ sameSite: 'none' }, /browsers only accept on a Secure cookie: set cookie.secure to true or 'auto'/],
    [{ partitioned: true }, /option "cookie.partitioned" needs a Secure cookie/]
  ]
  for (const [cookie, message] of cases) t.match(await registerWith({ secret: SECRET, cookie }), { message }, JSON.stringify(cookie))
  t.match(await registerWith({ secret: SECRET, cookieName: '__Secure-sid' }), { message: /__Secure- prefix, which browsers only accept with cookie.secure: true/ })
  t.match(await registerWith({ secret: SECRET, cookieName: '__Host-sid', cookie: { secure: true, domain: 'example.com' } }), { message: /__Host- prefix.*no cookie.domain/ })
  t.match(await registerWith({ secret: SECRET, cookieName: '__Host-sid', cookie: { secure: true, path: '/app' } }), { message: /__Host- prefix/ })
  t.equal(await registerWith({ secret: SECRET, cookieName: '__Host-sid', cookie: { secure: true } }), undefined)
  t.equal(await registerWith({ secret: SECRET, cookieName: '__Secure-sid', cookie: { secure: true, sameSite: 'none', partitioned: true } }), undefined)
})

t.test('works when the app registered @fastify/cookie itself, even with its parsing hook off', async (t) => {
  for (const hook of ['onRequest', false] as const) {
    const app = Fastify()
    await app.register(fastifyCookie, { hook })
    await app.register(cookieSession, { secret: SECRET })
    addLoginRoutes(app)
    const login = await app.inject('/login')
    const cookie = login.cookies[0]!
    t.equal((await app.inject({ url: '/whoami', cookies: { [cookie.name]: cookie.value } })).body, 'ann', `hook: ${hook}`)
    t.equal((await app.inject('/whoami')).body, 'nobody', `hook: ${hook}, no cookie header`)
    await app.close()
  }
})

t.test('maxJsonBytes is a whole number of bytes from 1024 to 65536', async (t) => {
  for (const maxJsonBytes of [1024, 65536]) t.equal(await registerWith({ secret: SECRET, maxJsonBytes }), undefined)
  for (const maxJsonBytes of [1023, 65537, 2048.5, '16384']) {
    t.match(await registerWith({ secret: SECRET, maxJsonBytes }), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message: /option "maxJsonBytes" must be a whole number of bytes from 1024 to 65536, got .*; the default, 16384/ })
  }
})

t.test('a lifetime over 400 days fails register with the reason (RFC 6265bis caps a cookie\'s life at 400 days)', async (t) => {
  for (const name of ['lifetimeSeconds', 'absoluteLifetimeSeconds']) {
    t.equal(await registerWith({ secret: SECRET, [name]: 34_560_000 }), undefined, `${name}: 400 days`)
    for (const seconds of [34_560_001, 1e13]) {
      t.match(await registerWith({ secret: SECRET, [name]: seconds }), {
        code: 'FST_COOKIE_SESSION_INVALID_OPTION',
        message: new RegExp(`option "${name}" is ${seconds} s, over 400 days \\(34560000 s\\): browsers keep a cookie at most 400 days \\(RFC 6265bis\\)`)
      })
    }
  }
})

async function registerLogging (secret: unknown, format?: string): Promise<Array<{ level: number, msg: string }>> {
  const logs: Array<{ level: number, msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  await app.register(cookieSession, { secret, format } as never)
  await app.ready()
  await app.close()
  return logs
}

t.test('a secret with too little variety to be random logs a warning at register, with how to make a good one', async (t) => {
  for (const secret of ['a'.repeat(32), Buffer.alloc(32), 'abcabcabcabcabcabcabcabcabcabcab', [SECRET, Buffer.alloc(40, 1)]]) {
    const logs = await registerLogging(secret)
    t.equal(logs.length, 1, String(secret))
    t.match(logs[0], { level: 40, msg: /fastify-cookie-session: option "secret(\[1\])?" has only \d different byte values, too few for random bytes; anyone who guesses it can sign any session: make one with: node -e/ })
  }
  t.match(await registerLogging('dev', 'flask'), [{ level: 40, msg: /option "secret" has only 3 different byte values/ }], 'Flask mode too')
})

t.test('random secrets never get that warning', async (t) => {
  let warned = 0
  for (let index = 0; index < 3000; index++) {
    const bytes = randomBytes(24 + (index % 9))
    for (const secret of [bytes, bytes.toString('base64url'), bytes.toString('hex')]) {
      if (secretWarnings([Buffer.from(secret)]).length > 0) warned++
    }
  }
  t.equal(warned, 0)
  t.same(await registerLogging(randomBytes(32).toString('base64url')), [])
})

t.test('a cookie domain that is a bare top-level domain fails register; localhost is fine', async (t) => {
  for (const domain of ['com', '.com', 'internal']) {
    t.match(await registerWith({ secret: SECRET, cookie: { domain } }), {
      code: 'FST_COOKIE_SESSION_INVALID_OPTION',
      message: /option "cookie.domain" is the top-level domain ".*", for which browsers refuse cookies; use your site's domain \("example.com"\), or leave it out for a host-only cookie/
    }, domain)
  }
  for (const domain of ['localhost', '.localhost', 'example.com', '.example.com', '127.0.0.1']) {
    t.equal(await registerWith({ secret: SECRET, cookie: { domain } }), undefined, domain)
  }
})
