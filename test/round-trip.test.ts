import { inspect, isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp, expectSessionValue, stubClock } from './helpers.js'

type Format = 'default' | 'flask'

/** An app whose `/set` stores `entries` and whose `/get` hands the session back through `seen`, both in-process, so no value passes through a JSON body. */
async function storeAndRead (t: Test, format: Format) {
  const state: { entries: Array<[string, unknown]>, refusal: unknown, seen: unknown } = { entries: [], refusal: undefined, seen: undefined }
  const { app } = await buildApp(t, { format, secret: 'a round-trip secret of at least 32 random bytes' }, (app: FastifyInstance) => {
    app.get('/set', async (request) => {
      try {
        for (const [key, value] of state.entries) request.session.set(key, value)
      } catch (error) {
        state.refusal = error
      }
      return 'ok'
    })
    app.get('/get', async (request) => { state.seen = request.session.toJSON(); return 'ok' })
  })
  return { app, state }
}

/** Never equal to anything read back: `set` must refuse what would come back changed. */
const LOST = Symbol('lost')

/** What a stored value reads back as: numbers are numbers (-0 is 0), bytes are Buffers, Flask-mode dates whole seconds. */
function readBackAs (value: unknown, format: Format): unknown {
  if (typeof value === 'number') return value === 0 ? 0 : value
  if (typeof value === 'bigint') {
    const text = String(value)
    // The reader's rule: integer text that is a double's shortest form is that double.
    if (String(Number(text)) !== text) return value
    return BigInt(Number(text)) === value ? Number(text) : LOST
  }
  if (value instanceof Date) return new Date(format === 'flask' ? Math.floor(value.getTime() / 1000) * 1000 : value.getTime())
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (Array.isArray(value)) return value.map((item) => readBackAs(item, format))
  if (typeof value === 'object' && value !== null) {
    const copy = {}
    for (const [key, inner] of Object.entries(value)) Object.defineProperty(copy, key, { value: readBackAs(inner, format), enumerable: true, writable: true, configurable: true })
    return copy
  }
  return value
}

/** A number as `JSON.parse` gives it for the text `12345678901234567890`: `JSON.stringify` writes it as `12345678901234567000`. */
const BIG_DOUBLE = Number('12345678901234567890')

t.test('a number stored from JS comes back as a number, and Python\'s big integers as bigints', async (t) => {
  for (const format of ['default', 'flask'] as const) {
    const { app } = await buildApp(t, { format }, (app) => {
      app.post('/limit', async (request) => { request.session.set('limit', (request.body as { limit: number }).limit); return 'ok' })
      app.get('/limit', async (request) => ({ limit: request.session.get('limit'), next: (request.session.get('limit') as number) + 1 }))
    })
    const stored = await app.inject({ method: 'POST', url: '/limit', payload: '{"limit":12345678901234567890}', headers: { 'content-type': 'application/json' } })
    const response = await app.inject({ url: '/limit', cookies: { session: expectSessionValue(stored) } })
    t.equal(response.statusCode, 200, format)
    t.same(response.json(), { limit: BIG_DOUBLE, next: BIG_DOUBLE + 1 }, format)
  }
})

// Flask 2.2 wrote this, with SECRET_KEY 'dev' at 1700000000, for session {'n': 2**1100, 'limit': 12345678901234567890}.
const FLASK_BIG_INTEGERS = '.eJxFkDtOBEAMQ--yNUV-jh1utBJQ0SHujreim5Edvzg_j6_HezZUJ9TFXAuaK7KRU2pc7ZLa6Jc4e52cwRxHyNs9FpUdHsLUpEasQF-FuoLYcMgLQNXWwSls9RDRtgLT5fC6Yyb8tVaK2LKa8txavontizZepZ2cyZ1VsIO7aqZBBpQdiyyepkFHOBkLdAP1KlIVHTI8SBBH8yvy5B3jRpoI0y5zs-w0i3I5I9Tr-yzHhJG9vHAqX8uguW-Pj-fn89tHdSUsdfH_-v0DBtZNIQ.ZVPxAA.jjbUxJZ7xOUTT_5Sje3KAlCisb0'

t.test('integers of 1.8e308 and more read back as bigints: Flask\'s 2**1100, and our own -(10n ** 309n)', async (t) => {
  stubClock(t, 1_700_000_000)
  const { app } = await buildApp(t, { format: 'flask', secret: 'dev' }, (app) => {
    app.get('/show', async (request) => String(request.session.get('n')) + ' ' + typeof request.session.get('n') + ' ' + String(request.session.get('limit')) + ' ' + typeof request.session.get('limit'))
  })
  t.equal((await app.inject({ url: '/show', cookies: { session: FLASK_BIG_INTEGERS } })).body, `${2n ** 1100n} bigint 12345678901234567890 bigint`)
  for (const format of ['default', 'flask'] as const) {
    const { app, state } = await storeAndRead(t, format)
    state.entries = [['n', -(10n ** 309n)]]
    const cookie = expectSessionValue(await app.inject('/set'))
    await app.inject({ url: '/get', cookies: { session: cookie } })
    t.same(state.seen, { n: -(10n ** 309n) }, format)
  }
})

/** `levels` nested arrays around 1; with `tagged`, one-key objects `{" t": …}` that Flask escapes with a second object each. */
function nested (levels: number, tagged = false): unknown {
  let value: unknown = 1
  for (let level = 0; level < levels; level++) value = tagged ? { ' t': value } : [value]
  return value
}

t.test('nesting counts as the reader counts it: 64 levels in all are stored and read back, 65 are refused at set', async (t) => {
  for (const format of ['default', 'flask'] as const) {
    const { app, state } = await storeAndRead(t, format)
    // The session object is the first level.
    for (const value of [nested(63), nested(31, true)]) {
      state.entries = [['deep', value]]
      state.refusal = undefined
      const cookie = expectSessionValue(await app.inject('/set'))
      t.equal(state.refusal, undefined, `${format}: 64 levels are stored`)
      await app.inject({ url: '/get', cookies: { session: cookie } })
      t.ok(isDeepStrictEqual(state.seen, { deep: value }), `${format}: 64 levels read back equal`)
    }
    for (const value of [nested(64), nested(32, true), [[nested(31, true)]]]) {
      state.entries = [['deep', value]]
      state.refusal = undefined
      await app.inject('/set')
      t.match(state.refusal, { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /session value "deep" nests deeper than 64 levels/ }, `${format}: 65 levels are refused at set`)
    }
  }
})

t.test('JSON over maxJsonBytes is refused at set, even when it would compress into a small cookie', async (t) => {
  for (const format of ['default', 'flask'] as const) {
    const { app, state } = await storeAndRead(t, format)
    state.entries = [['text', 'a'.repeat(100_000)]]
    await app.inject('/set')
    t.match(state.refusal, { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /session value "text" is 100002 bytes of JSON, over maxJsonBytes \(16384\)/ }, format)
  }
})

t.test('a string is refused at set exactly when its JSON passes maxJsonBytes, however many bytes each character takes', async (t) => {
  // 16,384 bytes: 2 quotes and 16,382 bytes of text; a character escaped as \u0001 takes 6.
  const cases: Array<[string, string, number]> = [
    ['control characters (6 bytes each)', '\u0001', 6],
    ['lone surrogates (6 bytes each)', '\ud800', 6],
    ['plain letters (1 byte each)', 'a', 1]
  ]
  for (const format of ['default', 'flask'] as const) {
    const { app, state } = await storeAndRead(t, format)
    for (const [what, character, bytesEach] of cases) {
      const longest = Math.floor(16_382 / bytesEach)
      for (const [length, refused] of [[longest, false], [longest + 1, true]] as const) {
        state.entries = [['text', character.repeat(length)]]
        state.refusal = undefined
        await app.inject('/set')
        if (refused) t.match(state.refusal, { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /session value "text" is 1638\d bytes of JSON, over maxJsonBytes/ }, `${format}: ${length} ${what} are refused`)
        else t.equal(state.refusal, undefined, `${format}: ${length} ${what} pass set`)
      }
    }
  }
})

t.test('JSON over maxJsonBytes in all is refused at save, through the error handler', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/fill', async (request) => {
      for (let index = 0; index < 3; index++) request.session.set(`part${index}`, 'a'.repeat(6000))
      return 'ok'
    })
  })
  const response = await app.inject('/fill')
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /the session is 180\d\d bytes of JSON, over maxJsonBytes \(16384\)/ })
})

const tagLikeKey = fc.constantFrom(' t', ' di', ' d', ' b', ' m', ' u', ' t__', '__proto__', 'constructor', '_permanent')
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }), tagLikeKey)
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(BIG_DOUBLE, -0, 2 ** 64, 1e21, 1.7976931348623157e308, 123456789012345680000),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.bigInt({ min: -(10n ** 330n), max: 10n ** 330n }),
  fc.constantFrom(12345678901234567000n, 2n ** 64n, 10n ** 20n, 10n ** 308n * 18n, -(10n ** 309n)),
  fc.boolean(),
  fc.constant(null),
  fc.date(),
  fc.uint8Array({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes))
)
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 }))
}))

t.test('whatever set accepts reads back equal on the next request (fast-check, both formats)', async (t) => {
  for (const format of ['default', 'flask'] as const) {
    const { app, state } = await storeAndRead(t, format)
    let accepted = 0
    await fc.assert(fc.asyncProperty(fc.dictionary(key, value, { minKeys: 1, maxKeys: 3 }), async (data) => {
      state.entries = Object.entries(data)
      state.refusal = undefined
      state.seen = undefined
      const stored = await app.inject('/set')
      if (state.refusal !== undefined) {
        if ((state.refusal as { code?: string }).code !== 'FST_COOKIE_SESSION_UNSTORABLE_VALUE') throw state.refusal
        return
      }
      if (stored.statusCode !== 200) {
        // A clear error at save, through the error handler (a lone tag key at the top adds a level; too large for a cookie).
        if (!['FST_COOKIE_SESSION_COOKIE_TOO_LARGE', 'FST_COOKIE_SESSION_UNSTORABLE_VALUE'].includes(stored.json().code)) throw new Error(`save failed: ${stored.body}`)
        return
      }
      accepted++
      await app.inject({ url: '/get', cookies: { session: expectSessionValue(stored) } })
      const expected = readBackAs(data, format)
      if (!isDeepStrictEqual(state.seen, expected)) throw new Error(`read back ${inspect(state.seen)}, not ${inspect(expected)}`)
    }), { numRuns: 400 })
    t.ok(accepted > 200, `${format}: most generated sessions were stored (${accepted} of 400)`)
  }
})

t.test('a bigint that would read back as a JS number of another value is refused at set', async (t) => {
  const { app, state } = await storeAndRead(t, 'default')
  state.entries = [['n', 12345678901234567000n]]
  await app.inject('/set')
  t.match(state.refusal, { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: /session value "n" is the bigint 12345678901234567000n, which would read back as the number 12345678901234567168.*store it as a string/ })
  state.entries = [['n', 10n ** 20n]]
  state.refusal = undefined
  const cookie = expectSessionValue(await app.inject('/set'))
  t.equal(state.refusal, undefined)
  await app.inject({ url: '/get', cookies: { session: cookie } })
  t.same(state.seen, { n: 1e20 }, 'one of the same value reads back as that number')
})

t.test('in Flask mode a Date outside the years 100 to 9999 is refused at set', async (t) => {
  const { app, state } = await storeAndRead(t, 'flask')
  for (const year of [99, 10000]) {
    const when = new Date(0)
    when.setUTCFullYear(year)
    state.entries = [['when', when]]
    state.refusal = undefined
    await app.inject('/set')
    t.match(state.refusal, { code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message: `session value "when" is a Date in the year ${year}; Flask's date format carries the years 100 to 9999` })
  }
})
