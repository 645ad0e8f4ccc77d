import { deflateSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import cookieSession from '../index.js'
import { ERROR_CODES } from '../lib/base/errors.js'
import { FORMATS } from '../lib/formats/registry.js'
import { vectors } from './flask/vectors.js'
import { addLoginRoutes, buildApp, expectSessionValue, registrationError, SECRET, setCookies, stubClock, whoami } from './helpers.js'

/** A cookie Flask 2.2 wrote with the secret 'dev' at 1 700 000 000 for `{"username": "alice"}`. */
const flaskVector = vectors.valid.find((vector) => vector.name === 'username')
if (flaskVector === undefined) throw new Error('vector username is missing')
const FLASK_COOKIE = flaskVector.cookie

function routes (app: FastifyInstance): void {
  addLoginRoutes(app, { key: 'username', user: 'bob' })
}

t.test('fallbackFormats: [\'flask\'] reads a real Flask cookie in the encrypted format and seals it again, encrypted', async (t) => {
  const clock = stubClock(t, flaskVector.verify.now)
  // The new 32-byte secret seals; Flask's old 'dev' is too short for the encrypted format, so it only reads Flask cookies.
  const { app } = await buildApp(t, { format: 'encrypted', fallbackFormats: ['flask'], secret: [SECRET, 'dev'] }, routes)
  const response = await app.inject({ url: '/whoami', cookies: { session: FLASK_COOKIE } })
  t.equal(response.body, 'alice', 'the user is still logged in')
  const migrated = expectSessionValue(response)
  t.match(migrated, /^[\w-]+$/, 'the response carries the session again, now encrypted')
  t.notOk(Buffer.from(migrated, 'base64url').includes('alice'))

  const encryptedOnly = await buildApp(t, { format: 'encrypted' }, routes)
  t.equal(await whoami(encryptedOnly.app, migrated), 'alice', 'an app without the fallback reads the migrated cookie')
  t.equal(await whoami(encryptedOnly.app, FLASK_COOKIE), 'nobody', 'and refuses the Flask one')
  clock.seconds += 1
  t.same(setCookies(await app.inject({ url: '/whoami', cookies: { session: migrated } })), [], 'a cookie already in the current format is not sealed again')
  // This app remembers the cookie it sealed; another instance opens it with the current format first.
  const otherInstance = await buildApp(t, { format: 'encrypted', fallbackFormats: ['flask'], secret: [SECRET, 'dev'] }, routes)
  const read = await otherInstance.app.inject({ url: '/whoami', cookies: { session: migrated } })
  t.equal(read.body, 'alice')
  t.same(setCookies(read), [], 'nor by another instance, which reads it in the current format')
})

t.test('a changed session from a Flask cookie is saved in the current format, and the Flask age rules still hold', async (t) => {
  const clock = stubClock(t, flaskVector.verify.now)
  const { app, logs } = await buildApp(t, { format: 'encrypted', fallbackFormats: ['flask'], secret: [SECRET, 'dev'], lifetimeSeconds: 60 }, routes)
  const changed = await app.inject({ url: '/login', cookies: { session: FLASK_COOKIE } })
  const { app: encryptedOnly } = await buildApp(t, { format: 'encrypted', lifetimeSeconds: 60 }, routes)
  t.equal(await whoami(encryptedOnly, expectSessionValue(changed)), 'bob')
  clock.seconds += 61
  const expired = await app.inject({ url: '/whoami', cookies: { session: FLASK_COOKIE } })
  t.equal(expired.body, 'nobody', 'an old-format cookie past the lifetime is refused')
  t.match(setCookies(expired), [/^session=; Expires=Thu, 01 Jan 1970/])
  t.ok(logs.some((line) => line.reason === 'expired' && line.detail === 'signature expired: 61 s old, lifetime 60 s'), 'the log says why')
  const unknown = await app.inject({ url: '/whoami', cookies: { session: 'eyJ2' + FLASK_COOKIE.slice(4) } })
  t.equal(unknown.body, 'nobody')
  t.ok(logs.some((line) => line.reason === 'malformed' && line.detail === 'cookie is not an encrypted value'), 'when no format opens a cookie, the log gives the current format\'s reason')
})

t.test('an old-format cookie that verifies but does not decode is refused for that reason', async (t) => {
  stubClock(t, flaskVector.verify.now)
  const { app, logs } = await buildApp(t, { format: 'encrypted', fallbackFormats: ['flask'], secret: [SECRET, 'dev'] }, routes)
  const bomb = '.' + deflateSync(Buffer.alloc(100_000, 32)).toString('base64url')
  const signedBomb = FORMATS.flask.createSealer([Buffer.from('dev')], 'session', 4096).seal(bomb, flaskVector.verify.now)
  t.equal(await whoami(app, signedBomb), 'nobody')
  t.ok(logs.some((line) => line.reason === 'bad-payload' && line.detail === 'payload decompresses to over 16384 bytes'))
})

t.test('default → encrypted, and encrypted → default, keep everyone logged in', async (t) => {
  for (const [from, to] of [['default', 'encrypted'], ['encrypted', 'default']] as const) {
    const before = await buildApp(t, { format: from }, routes)
    const oldCookie = expectSessionValue(await before.app.inject('/login'))
    const after = await buildApp(t, { format: to, fallbackFormats: [from] }, routes)
    const response = await after.app.inject({ url: '/whoami', cookies: { session: oldCookie } })
    t.equal(response.body, 'bob', `${from} → ${to}`)
    const current = await buildApp(t, { format: to }, routes)
    t.equal(await whoami(current.app, expectSessionValue(response)), 'bob', `sealed again in ${to}`)
  }
})

t.test('a fallback format reads with every secret, rotated ones too, and a cookie in an unlisted format is refused', async (t) => {
  const OLD = 'the-old-secret-that-is-32-bytes-long'
  const before = await buildApp(t, { secret: OLD }, routes)
  const oldCookie = expectSessionValue(await before.app.inject('/login'))
  const after = await buildApp(t, { format: 'encrypted', fallbackFormats: ['default'], secret: [SECRET, OLD] }, routes)
  t.equal(await whoami(after.app, oldCookie), 'bob')
  const flaskOnly = await buildApp(t, { format: 'encrypted', fallbackFormats: ['flask'], secret: [SECRET, OLD] }, routes)
  t.equal(await whoami(flaskOnly.app, oldCookie), 'nobody')
})

async function registerWith (options: Record<string, unknown>): Promise<unknown> {
  return registrationError((app) => app.register(cookieSession, { secret: SECRET, ...options }))
}

t.test('fallbackFormats is checked at register', async (t) => {
  t.match(await registerWith({ fallbackFormats: 'flask' }), { code: ERROR_CODES.INVALID_OPTION, message: /option "fallbackFormats" must be an array of format names, such as \['flask'\], got "flask"/ })
  t.match(await registerWith({ fallbackFormats: ['json'] }), { message: /option "fallbackFormats\[0\]" must be one of "default", "flask", "encrypted", got "json"/ })
  t.match(await registerWith({ format: 'encrypted', fallbackFormats: ['encrypted'] }), { message: /option "fallbackFormats" lists "encrypted", the format itself/ })
  t.match(await registerWith({ fallbackFormats: [] }), undefined)
  t.match(await registerWith({ fallbackFormats: ['flask', 'flask'] }), { message: /option "fallbackFormats" lists "flask" twice/ })
  t.match(await registerWith({ format: 'encrypted', fallbackFormats: ['flask'], secret: ['dev', SECRET] }), {
    code: ERROR_CODES.WEAK_SECRET, message: /option "secret" starts with a secret of 3 bytes; the first secret seals cookies, and the "encrypted" format needs at least 32/
  })
  t.match(await registerWith({ format: 'flask', fallbackFormats: ['default'], secret: 'dev' }), {
    code: ERROR_CODES.WEAK_SECRET, message: /option "fallbackFormats" lists "default", whose cookies need a secret of at least 32 bytes, and option "secret" has none that long/
  })
  t.match(await registerWith({ format: 'encrypted', secret: [SECRET, 'dev'] }), { message: /option "secret\[1\]" is 3 bytes; it needs at least 32/, }, 'without a Flask fallback a short secret is refused, as before')
  t.equal(await registerWith({ format: 'flask', fallbackFormats: ['default', 'encrypted'], secret: [SECRET, 'dev'] }), undefined)
})
