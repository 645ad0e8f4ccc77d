import { deflateSync } from 'node:zlib'
import t from 'tap'
import { type SessionCodec, type VerifiedCookie, verifiedEntryBytes } from '../lib/codec/session-codec.js'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { FORMATS } from '../lib/formats/registry.js'
import { parseJson } from '../lib/payload/json-parse.js'
import { resolveOptions } from '../lib/plugin/options.js'
import { Refusal } from '../lib/base/refusal.js'
import { TaggedJsonSerializer } from '../lib/payload/tagged-json.js'
import { Signer } from '../lib/crypto/signer.js'

const flask = new TaggedJsonSerializer(FORMATS.flask.serializer)
const plain = new TaggedJsonSerializer(FORMATS.default.serializer)
const record = (entries: Record<string, unknown>) => new Map(Object.entries(entries))

t.test('the exact JSON reader keeps integers a double cannot hold', async (t) => {
  t.same(parseJson('{"a": [1, -2.5e3, true, false, null, "x\\u00e9"], "b": {}, "c": [], "n": 12345678901234567}', 64), {
    a: [1, -2500, true, false, null, 'xé'], b: {}, c: [], n: 12345678901234567n
  })
  t.ok(Array.isArray(parseJson('[9007199254740992]', 64)))
  t.equal((parseJson('[9007199254740992]', 64) as number[])[0], 9007199254740992, '2^53 is held exactly by a double, so it stays a number')
  t.equal((parseJson('[-1000000000000000000000000000000]', 64) as bigint[])[0], -1000000000000000000000000000000n)
  t.equal((parseJson('[1000000000000000.5]', 64) as number[])[0], 1000000000000000.5, 'fractions stay numbers')
  t.same(Object.keys(parseJson(' { "__proto__" : 1 , "k" : 2 }  ', 64) as object), ['__proto__', 'k'], 'a __proto__ key is an own property')
  for (const bad of ['{"a":1} x', '{"a" 1}', '{"a":1,}', '[1 2]', '{"a":-}', '{"a":"\u0001"}', '{1:2}', '[NaN]']) {
    t.throws(() => parseJson(bad + ' 12345678901234567', 64), SyntaxError, bad)
  }
})

t.test('Flask mode writes sorted keys by code point, ASCII only, compact', async (t) => {
  t.equal(flask.dumpJson(record({ b: 1, a: 'é\u007f', '\uffff': 1, '😀': 2, ab: [] })), '{"a":"\\u00e9\\u007f","ab":[],"b":1,"\\uffff":1,"\\ud83d\\ude00":2}')
  t.equal(plain.dumpJson(record({ b: 1, a: 'é' })), '{"b":1,"a":"é"}', 'the default format keeps insertion order and UTF-8')
  t.equal(flask.dumpJson(record({ k: { '😀a': 1, '😀': 2, '\uffff': 3 } })), '{"k":{"\\uffff":3,"\\ud83d\\ude00":2,"\\ud83d\\ude00a":1}}')
})

t.test('tags: dates, bytes, and the escape for a lone tag-like key', async (t) => {
  const when = new Date('2015-10-21T07:28:00.987Z')
  t.equal(flask.dumpJson(record({ when })), '{"when":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"}}', 'Flask dates have whole seconds')
  t.equal(plain.dumpJson(record({ when })), '{"when":{" d":"2015-10-21T07:28:00.987Z"}}')
  t.equal(flask.dumpJson(record({ b: new Uint8Array([0, 1, 98, 255]) })), '{"b":{" b":"AAFi/w=="}}')
  t.equal(flask.dumpJson(record({ ' t': [1, 2] })), '{" di":{" t__":[1,2]}}')
  t.equal(flask.dumpJson(record({ d: { ' t': 'x' }, e: { ' t__': 2 } })), '{"d":{" di":{" t__":"x"}},"e":{" t__":2}}')
})

t.test('reading tags, bottom-up as Flask', async (t) => {
  const loaded = flask.loadJson('{"t":{" t":[1,{" t":[2]}]},"b":{" b":"aGk="},"m":{" m":"<b>x</b>"},"u":{" u":"12345678123456781234567812345678"},' +
    '"d":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"},"bad":{" d":"not a date"},"e":{" di":{" t__":[1],"x__":2}},"plain":{" t":1,"other":2}}') as Map<string, unknown>
  t.same(loaded.get('t'), [1, [2]], 'a tuple reads as an array')
  t.same(loaded.get('b'), Buffer.from('hi'))
  t.equal(loaded.get('m'), '<b>x</b>')
  t.equal(loaded.get('u'), '12345678-1234-5678-1234-567812345678')
  t.same(loaded.get('d'), new Date('2015-10-21T07:28:00Z'))
  t.equal(loaded.get('bad'), null, 'an unparseable date is null, as in Flask')
  t.same(loaded.get('e'), { ' t': [1], x: 2 })
  t.same(loaded.get('plain'), { ' t': 1, other: 2 }, 'only one-key objects are tags')
})

t.test('compression is used only when it saves at least two bytes', async (t) => {
  t.notOk(flask.encodePayload('{"k":"abababababab"}').startsWith('.'))
  t.ok(flask.encodePayload('{"k":"ababababababab"}').startsWith('.'))
  t.notOk(plain.encodePayload('{"k":"ababababababab"}').startsWith('.'), 'the default format does not try below 256 bytes')
  t.same(flask.decodePayload(flask.encodePayload('{"k":"ababababababab"}')), { json: '{"k":"ababababababab"}' })
})

t.test('the compress-or-not decision is Flask\'s rule, with Node\'s zlib, on 3,000 generated sessions', async (t) => {
  // Short sessions of a few repeated words sit near the two-byte edge; longer ones, with random hex, on either side of 256 bytes.
  let state = 7
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648
  const words = ['ab', 'user', 'id', '1', 'x', 'token', 'é']
  let compressedCount = 0
  let atTheEdge = 0
  for (let index = 0; index < 3000; index++) {
    const data: Record<string, string> = {}
    const keys = 1 + Math.floor(random() * 4)
    for (let key = 0; key < keys; key++) {
      const pieces = Array.from({ length: Math.floor(random() * (index % 2 === 0 ? 12 : 60)) }, () => random() < 0.3 ? Math.floor(random() * 0xffffff).toString(16) : words[Math.floor(random() * words.length)])
      data[`k${key}`] = pieces.join('')
    }
    const json = flask.dumpJson(record(data))
    const bytes = Buffer.from(json)
    const deflated = deflateSync(bytes)
    // Flask: `if len(compressed) < (len(json) - 1)`.
    const flaskCompresses = deflated.length < bytes.length - 1
    if (Math.abs(deflated.length - (bytes.length - 2)) <= 1) atTheEdge++
    if (flaskCompresses) compressedCount++
    const expected = flaskCompresses ? '.' + deflated.toString('base64url') : bytes.toString('base64url')
    if (flask.encodePayload(json) !== expected) t.fail(`${json}: compressed ${flaskCompresses}`)
    const defaultExpected = flaskCompresses && bytes.length >= 256 ? expected : bytes.toString('base64url')
    if (plain.encodePayload(json) !== defaultExpected) t.fail(`default format, ${json}`)
  }
  t.ok(compressedCount > 300 && compressedCount < 2700, `both sides of the rule were tried: ${compressedCount} of 3,000 compressed`)
  t.ok(atTheEdge > 50, `${atTheEdge} sessions within a byte of the edge`)
})

function codecWith (lifetimeSeconds: number, verifiedCacheBytes: number) {
  return createSessionCodec(resolveOptions({ secret: Buffer.alloc(32, 7), lifetimeSeconds }), verifiedCacheBytes)
}

t.test('the codec refuses an expired cookie on its first verification too', async (t) => {
  const codec = codecWith(60, 64 * 1024)
  const cookie = codec.seal(record({ a: 1 }), 1000)
  t.match(codec.verify(cookie, 1061), { code: 'expired', detail: 'signature expired: 61 s old, lifetime 60 s' })
  t.match(codec.verify(cookie, 1060), { keyIndex: 0, timestampSeconds: 1000, permanent: false })
})

t.test('the verification cache stays bounded, oldest out first, and a hit gives the same answer', async (t) => {
  const sizer = codecWith(60, 0)
  const cookies = [1, 2, 3].map((n) => sizer.seal(record({ n, _permanent: n === 3 }), 1000))
  // Room for the last two entries only.
  const codec = codecWith(60, cookies.slice(1).reduce((bytes, cookie) => bytes + verifiedEntryBytes(cookie, sizer.verify(cookie, 1000) as VerifiedCookie), 0))
  const first = cookies.map((cookie) => codec.verify(cookie, 1000))
  t.ok(first.every((opened) => !(opened instanceof Refusal) && opened.record !== undefined), 'a miss comes with parsed data')
  const hit = codec.verify(cookies[2]!, 1001)
  t.equal((hit as { record?: unknown }).record, undefined, 'a hit has no parsed data yet')
  t.match(codec.verify(cookies[0]!, 1001), { record: Map }, 'the oldest was evicted and is verified again')
  t.match(hit, { permanent: true })
  t.same(codec.parse(hit as never), record({ n: 3, _permanent: true }))
})

t.test('a cache hit hands out its own copy of the data, flat or nested', async (t) => {
  const codec = codecWith(60, 64 * 1024)
  for (const data of [{ user: 'ann', n: 1, ok: true, none: null }, { user: 'ann', tags: ['a'] }]) {
    const cookie = codec.seal(record(data), 1000)
    codec.verify(cookie, 1000)
    const hit = codec.verify(cookie, 1000) as Parameters<SessionCodec['parse']>[0]
    const first = codec.parse(hit)
    first.set('user', 'bob')
    first.delete('n')
    t.not(codec.parse(hit), first)
    t.same(codec.parse(hit), record(data), 'a change to one request\'s data is not seen by the next')
  }
})

t.test('the signer refuses a signature of the right length in characters but not plain base64url', async (t) => {
  const signer = new Signer({ secrets: [Buffer.alloc(32, 7)], salt: 'salt', digest: 'sha256', keyDerivation: 'hmac' })
  const signature = signer.sign('payload')
  t.equal(signer.verify('payload', signature), 0)
  // 0x100 + c has the low byte of c: a Latin-1 view of the text would let it pass for the real one.
  const lookalike = signature.slice(0, -1) + String.fromCharCode(0x100 + signature.charCodeAt(signature.length - 1))
  t.equal(lookalike.length, signature.length)
  t.equal(signer.verify('payload', lookalike), -1)
  t.equal(signer.verify('payload', signature.slice(0, -1)), -1)
})
