import fastifyCookie from '@fastify/cookie'
import Fastify from 'fastify'
import t from 'tap'
import cookieSession, { fastifyCookieSession } from '../index.js'
import { SECRET } from './helpers.js'

async function registerWith (options: unknown): Promise<unknown> {
  const app = Fastify()
  try {
    await app.register(cookieSession, options as never)
    await app.ready()
    return undefined
  } catch (error) {
    return error
  } finally {
    await app.close()
  }
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
    app.get('/login', async (request) => { request.session.set('user', 'ann'); return 'ok' })
    app.get('/whoami', async (request) => request.session.get('user') ?? 'nobody')
    app.get('/anonymous', async (request) => request.session.get('user') ?? 'nobody')
    const login = await app.inject('/login')
    const cookie = login.cookies[0]
    t.equal((await app.inject({ url: '/whoami', cookies: { [cookie.name]: cookie.value } })).body, 'ann', `hook: ${hook}`)
    t.equal((await app.inject('/anonymous')).body, 'nobody', `hook: ${hook}, no cookie header`)
    await app.close()
  }
})
