import { createHmac } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { FORMATS } from '../../lib/formats/registry.js'
import { TaggedJsonSerializer } from '../../lib/payload/tagged-json.js'
import { Signer } from '../../lib/crypto/signer.js'
import { buildApp, expectSessionValue, setCookies, signByHand, signedParts, stubClock } from '../helpers.js'
import { cookieValue, payloadJson, type RefusedVector, secretOf, toJs, type ValidVector, vectors } from './vectors.js'

const DELETION = 'session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax'

/**
 * Valid vectors whose data has no exact JS form. Each says why, the JS data it stands for,
 * what the plugin reads from Flask's cookie and the exact JSON the plugin writes instead.
 */
const EXPRESSED_DIFFERENTLY: Record<string, { reason: string, data: Record<string, unknown>, json: string }> = {
  floats_python_text: {
    reason: 'a JS number does not know it was the Python float 1.0, -0.0, 1e+16 or 1000000000000000.0: whole numbers are written as integers, as Python writes an int',
    data: { f: [1, -0, 1e16, 1e21, 1e-7, 1e15] },
    json: '{"f":[1,0,10000000000000000,1e+21,1e-07,1000000000000000]}'
  },
  tuple: {
    reason: 'JS has no tuple: a tuple is read as an array and written back as a list',
    data: { t: [1, 'two', null] },
    json: '{"t":[1,"two",null]}'
  },
  nested_tuple_bytes: {
    reason: 'JS has no tuple: tuples are read as arrays and written back as lists; bytes keep their tag',
    data: { t: [1, [2, Buffer.from([0, 255])], [3, [4]]] },
    json: '{"t":[1,[2,{" b":"AP8="}],[3,[4]]]}'
  },
  uuid: {
    reason: 'a UUID is read as its canonical dashed string and written back as a string',
    data: { id: '12345678-1234-5678-1234-567812345678' },
    json: '{"id":"12345678-1234-5678-1234-567812345678"}'
  },
  markup: {
    reason: 'Markup is read as a string and written back as a plain string (Flask then escapes it when rendering)',
    data: { html: '<b>bold</b> &amp;' },
    json: '{"html":"<b>bold</b> &amp;"}'
  },
  all_tags_mixed: {
    reason: 'tuple, UUID and Markup come back to Flask as list, string and string; bytes and datetime keep their tags',
    data: { bytes: Buffer.from('hi'), dt: new Date('2000-01-01T00:00:00Z'), list: [1, [2]], markup: '<i>x</i>', tuple: [1, 2], uuid: '00000000-0000-0000-0000-000000000001' },
    json: '{"bytes":{" b":"aGk="},"dt":{" d":"Sat, 01 Jan 2000 00:00:00 GMT"},"list":[1,[2]],"markup":"<i>x</i>","tuple":[1,2],"uuid":"00000000-0000-0000-0000-000000000001"}'
  }
}

/** Lenient vectors are inputs Flask accepts though Flask never writes them; the plugin's reader is stricter on some, and says so here. */
const LENIENT_REFUSED: Record<string, string> = {
  signature_with_padding: 'a signature has one spelling: padding is refused',
  signature_standard_alphabet: 'a signature has one spelling: "+" and "/" are refused',
  signature_padding_bits_changed: 'a signature has one spelling: stray low bits are refused',
  json_nan: 'NaN is not JSON and could not be written back, so the cookie is refused rather than half read',
  json_null: 'a session is a JSON object; Flask also starts an empty session here',
  json_list_of_pairs: 'a session is a JSON object; Flask never writes a list of pairs'
}

interface Probe { data?: Record<string, unknown>, permanent?: boolean }

/** An app whose `/read` route hands back what the session holds and whose `/write` route stores `toWrite`. */
async function probeApp (t: Test, secret: Buffer | Buffer[], lifetimeSeconds: number) {
  const probe: Probe = {}
  const state: { toWrite: Record<string, unknown> } = { toWrite: {} }
  const built = await buildApp(t, { secret, lifetimeSeconds, format: 'flask' }, (app) => {
    app.get('/read', async (request) => {
      probe.data = request.session.toJSON()
      probe.permanent = request.session.permanent
      return 'read'
    })
    app.get('/set-again', async (request) => {
      for (const key of request.session.keys()) request.session.set(key, request.session.get(key))
      return 'set again'
    })
    app.get('/write', async (request) => {
      request.session.clear()
      for (const [key, value] of Object.entries(state.toWrite)) request.session.set(key, value)
      return 'written'
    })
  })
  return { ...built, probe, state }
}

t.test('Flask mode derives Flask\'s signing key from each secret and signs as itsdangerous', async (t) => {
  t.equal(vectors.keys.length, 4)
  for (const key of vectors.keys) {
    const secret = Buffer.from(key.secret_hex, 'hex')
    t.equal(createHmac('sha1', secret).update('cookie-session').digest('hex'), key.derived_key_hex, `${key.label}: K = HMAC-SHA1(secret, "cookie-session")`)
    const sealer = FORMATS.flask.createSealer([secret], 'session', 4096)
    const input = 'eyJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA'
    t.equal(sealer.seal('eyJ1c2VybmFtZSI6ImFsaWNlIn0', 1_700_000_000), input + '.' + createHmac('sha1', Buffer.from(key.derived_key_hex, 'hex')).update(input).digest('base64url'), `${key.label}: signature keyed with K`)
    t.equal(FORMATS.flask.createSealer([secret], 'sid', 4096).seal('e30', 1), sealer.seal('e30', 1), `${key.label}: the key does not depend on the cookie name, as in Flask`)
  }
  // The derivation is a parameter: the vector signed with itsdangerous' default derivation verifies under it, and only under it.
  const concat = vectors.invalid.find((vector) => vector.name === 'wrong_key_derivation')
  if (concat === undefined) throw new Error('vector wrong_key_derivation is missing')
  const [payload, timestamp, signature] = signedParts(concat.cookie)
  const concatSigner = new Signer({ secrets: [Buffer.from('dev')], salt: 'cookie-session', digest: 'sha1', keyDerivation: 'django-concat' })
  t.equal(concatSigner.verify(`${payload}.${timestamp}`, signature), 0, 'django-concat derivation verifies its own vector')
  t.equal(concatSigner.sign(`${payload}.${timestamp}`), signature)
})

t.test('every valid Flask cookie verifies and decodes to its data', async (t) => {
  t.equal(vectors.valid.length, 33)
  for (const vector of vectors.valid) {
    t.test(vector.name, async (t) => {
      const clock = stubClock(t, vector.verify.now)
      const { app, probe, logs } = await probeApp(t, secretOf(vector), vector.verify.max_age)
      const response = await app.inject({ url: '/read', headers: { cookie: `session=${vector.cookie}` } })
      t.equal(response.statusCode, 200)
      t.same(logs.filter((line) => line.reason !== undefined), [], 'the cookie was not refused')
      const expected = EXPRESSED_DIFFERENTLY[vector.name]?.data ?? toJs(vector.decoded)
      t.strictSame(probe.data, expected)
      const permanent = vector.decoded._permanent === true
      t.equal(probe.permanent, permanent)
      // Flask's refresh of a cookie signed this very second would be the same bytes, so it is not sent.
      t.equal(setCookies(response).length, permanent && vector.timestamp !== vector.verify.now ? 1 : 0, 'an unchanged session sends no cookie, nor does a permanent one signed this very second')
      if (permanent) {
        clock.seconds = vector.timestamp + 1
        const later = await app.inject({ url: '/read', headers: { cookie: `session=${vector.cookie}` } })
        t.equal(signedParts(expectSessionValue(later))[0], vector.payload, 'a second later, the permanent session is refreshed: its payload re-signed as it came')
      }
    })
  }
})

t.test('Python float text reads as the nearest JS number, -0.0 included', async (t) => {
  const vector = vectors.valid.find((item) => item.name === 'floats_python_text') as ValidVector
  stubClock(t, vector.verify.now)
  const { app, probe } = await probeApp(t, secretOf(vector), vector.verify.max_age)
  await app.inject({ url: '/read', headers: { cookie: `session=${vector.cookie}` } })
  const floats = probe.data?.f as number[]
  t.ok(Object.is(floats[1], -0), '-0.0 is -0')
  t.ok(Object.is(floats[0], 1))
})

t.test('our encoder writes each vector\'s data as Flask did: byte for byte when uncompressed, the same JSON when compressed', async (t) => {
  for (const vector of vectors.valid) {
    t.test(vector.name, async (t) => {
      stubClock(t, vector.timestamp)
      const secret = secretOf(vector)
      const { app, state } = await probeApp(t, secret, vector.verify.max_age)
      const different = EXPRESSED_DIFFERENTLY[vector.name]
      state.toWrite = different?.data ?? toJs(vector.value) as Record<string, unknown>
      const response = await app.inject({ url: '/write' })
      t.equal(response.statusCode, 200)
      if (vector.name === 'empty_session_object') {
        // Flask never sends an empty session: save_session deletes the cookie, and so does the plugin.
        t.strictSame(setCookies(response), [DELETION])
        t.equal(new TaggedJsonSerializer(FORMATS.flask.serializer).dumpJson(new Map()), vector.tagged_json)
        return
      }
      const written = expectSessionValue(response)
      t.equal(written, signByHand(written.slice(0, written.lastIndexOf('.')), { secret, format: 'flask' }), 'signed with Flask\'s key and HMAC-SHA1')
      if (different !== undefined) {
        t.comment(`${vector.name}: not Flask's bytes, because ${different.reason}`)
        t.equal(payloadJson(written), different.json)
        t.not(different.json, vector.tagged_json)
      } else {
        t.equal(written.startsWith('.'), vector.compressed, 'compressed exactly when Flask compressed')
        t.equal(payloadJson(written), vector.tagged_json, 'the same tagged JSON')
        if (!vector.compressed) t.equal(written, vector.cookie, 'byte-identical to Flask\'s cookie')
      }
    })
  }
})

t.test('values set to what they were seal the incoming payload again: no zlib work, and Flask\'s own compressed bytes', async (t) => {
  const payloadSegment = (value: string) => value.slice(0, value.lastIndexOf('.', value.lastIndexOf('.') - 1))
  const compressed = vectors.valid.filter((vector) => vector.compressed && EXPRESSED_DIFFERENTLY[vector.name] === undefined)
  const zlibWritesOtherBytes = compressed.filter((vector) => '.' + deflateSync(vector.tagged_json).toString('base64url') !== vector.payload)
  t.ok(zlibWritesOtherBytes.length > 0, 'Node\'s zlib compresses some of them to other bytes than Python\'s, so a payload made again would show')
  const clock = stubClock(t, 0)
  for (const vector of compressed) {
    const { app } = await probeApp(t, secretOf(vector), vector.verify.max_age)
    clock.seconds = vector.verify.now
    const response = await app.inject({ url: '/set-again', headers: { cookie: `session=${vector.cookie}` } })
    t.equal(payloadSegment(expectSessionValue(response)), vector.payload, `${vector.name}: the payload as Flask wrote it`)
  }
})

t.test('numbers below 1e-4 are spelled as Python spells them', async (t) => {
  const serializer = new TaggedJsonSerializer(FORMATS.flask.serializer)
  const json = serializer.dumpJson(new Map<string, unknown>([['f', [0.0001, 0.00001, -1.5e-7, 2e-300, 0.1]]]))
  // Python: json.dumps([0.0001, 0.00001, -1.5e-7, 2e-300, 0.1]) as Flask writes it.
  t.equal(json, '{"f":[0.0001,1e-05,-1.5e-07,2e-300,0.1]}')
  t.same(JSON.parse(json).f, [0.0001, 0.00001, -1.5e-7, 2e-300, 0.1], 'any JSON reader reads the same numbers')
})

async function expectRefused (t: Test, vector: RefusedVector): Promise<void> {
  stubClock(t, vector.now)
  const { app, probe, logs } = await probeApp(t, secretOf(vector), vector.max_age)
  const response = await app.inject({ url: '/read', headers: { cookie: `session=${vector.cookie}` } })
  t.equal(response.statusCode, 200, `never a 5xx (Flask: ${vector.flask.status})`)
  t.strictSame(probe.data, {}, 'a fresh empty session')
  if (vector.cookie === '') {
    t.strictSame(setCookies(response), [], 'an empty cookie is no cookie: nothing to delete')
    return
  }
  t.strictSame(setCookies(response), [DELETION], 'the bad cookie is deleted')
  t.match(logs.filter((line) => line.reason !== undefined), [{ level: 20, msg: 'fastify-cookie-session: ignored the session cookie', reason: String }], 'a debug line says why')
}

t.test('every invalid Flask cookie is refused: a fresh empty session, never a 5xx', async (t) => {
  t.equal(vectors.invalid.length, 25)
  for (const vector of vectors.invalid) {
    t.test(`${vector.name} (${vector.description})`, (t) => expectRefused(t, vector))
  }
})

t.test('the spec\'s bad cases without a vector are refused too: a JSON list, a timestamp that decodes to nothing', async (t) => {
  const dev = Buffer.from('dev')
  const signed = (input: string): string => signByHand(input, { secret: dev, format: 'flask' })
  const cases: Array<[string, string]> = [
    ['signed_json_empty_list', signed(`${Buffer.from('[]').toString('base64url')}.ZVPxAA`)],
    ['timestamp_junk', signed(`${Buffer.from('{"a":1}').toString('base64url')}.A`)]
  ]
  for (const [name, cookie] of cases) {
    t.test(name, (t) => expectRefused(t, { name, description: name, secret_hex: dev.toString('hex'), cookie, now: 1_700_000_000, max_age: 2_678_400, flask: { result: 'empty_session', status: 200 } }))
  }
})

t.test('lenient Flask inputs: Flask\'s result where the reader accepts them, a fresh session where it is stricter', async (t) => {
  t.equal(vectors.lenient.length, 10)
  for (const vector of vectors.lenient) {
    const refusal = LENIENT_REFUSED[vector.name]
    if (refusal !== undefined) {
      t.test(`${vector.name}: refused, because ${refusal}`, (t) => expectRefused(t, vector))
      continue
    }
    t.test(`${vector.name}: read as Flask reads it`, async (t) => {
      stubClock(t, vector.now)
      const { app, probe } = await probeApp(t, secretOf(vector), vector.max_age)
      const response = await app.inject({ url: '/read', headers: { cookie: `session=${vector.cookie}` } })
      t.equal(response.statusCode, 200)
      t.strictSame(probe.data, toJs(vector.flask.session))
      t.strictSame(setCookies(response), [])
    })
  }
})

t.test('a dict tag holding anything but a plain object is refused, as Flask fails on it', async (t) => {
  const serializer = new TaggedJsonSerializer(FORMATS.flask.serializer)
  for (const json of ['{"x":{" di":[1]}}', '{"x":{" di":{" t":[1]}}}', '{"x":{" di":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"}}}', '{"x":{" di":1}}']) {
    t.match(serializer.loadJson(json), { code: 'bad-payload', detail: 'payload has a malformed dict tag' }, json)
  }
  t.strictSame(serializer.loadJson('{"x":{" di":{" t__":{" t":[1]}}}}'), new Map([['x', { ' t': [1] }]]), 'the escaped key\'s value is untagged')
})

t.test('secret: [current, ...fallbacks] reads cookies of any of them and re-signs with the current one (SECRET_KEY_FALLBACKS)', async (t) => {
  const signedWithOld = vectors.valid.find((item) => item.name === 'username') as ValidVector
  const signedWithCurrent = vectors.valid.find((item) => item.name === 'secret_unicode') as ValidVector
  t.equal(signedWithOld.timestamp, signedWithCurrent.timestamp)
  stubClock(t, signedWithOld.timestamp)
  const { app, probe } = await probeApp(t, [secretOf(signedWithCurrent), secretOf(signedWithOld)], 2_678_400)
  const fromFallback = await app.inject({ url: '/read', headers: { cookie: `session=${signedWithOld.cookie}` } })
  t.strictSame(probe.data, { username: 'alice' })
  t.equal(cookieValue(setCookies(fromFallback)), signedWithCurrent.cookie, 're-signed with the current secret: Flask\'s own cookie for it')
  const fromCurrent = await app.inject({ url: '/read', headers: { cookie: `session=${signedWithCurrent.cookie}` } })
  t.strictSame(probe.data, { username: 'alice' })
  t.strictSame(setCookies(fromCurrent), [], 'a cookie of the current secret is left alone')
})
