import t from 'tap'
import { type SessionCodec, type VerifiedCookie, verifiedEntryBytes } from '../lib/codec/session-codec.js'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { FORMATS } from '../lib/formats/registry.js'
import { resolveOptions } from '../lib/plugin/options.js'
import { buildApp, expectSessionValue, NOW, setCookies } from './helpers.js'

const SECRET = Buffer.from('expensive-cookies-test-secret-32-bytes')

function codecWith (verifiedCacheBytes: number, maxJsonBytes = 16_384) {
  return createSessionCodec(resolveOptions({ secret: SECRET, lifetimeSeconds: 60, maxJsonBytes }), verifiedCacheBytes)
}

const isHit = (codec: SessionCodec, cookie: string) => (codec.verify(cookie, NOW) as { record?: unknown }).record === undefined

t.test('a cache entry is counted by what it holds: cookie, JSON text (twice for a flat record), two bytes a character beyond Latin-1', async (t) => {
  const codec = codecWith(0)
  const bytesOf = (data: Record<string, unknown>) => {
    const cookie = codec.seal(new Map(Object.entries(data)), NOW)
    const opened = codec.verify(cookie, NOW) as VerifiedCookie
    return { bytes: verifiedEntryBytes(cookie, opened), cookie, json: opened.json }
  }
  const flat = bytesOf({ user: 'ann', text: 'a'.repeat(8000) })
  t.equal(flat.bytes, 400 + flat.cookie.length + 2 * flat.json.length)
  const nested = bytesOf({ user: 'ann', list: ['a'.repeat(8000)] })
  t.equal(nested.bytes, 400 + nested.cookie.length + nested.json.length, 'a nested record is parsed anew on each hit, so only its JSON is kept')
  const wide = bytesOf({ user: 'ann', text: '€'.repeat(4000) })
  t.equal(wide.bytes, 400 + wide.cookie.length + 4 * wide.json.length)
})

t.test('the verification cache is bounded by bytes: large sessions push out many small ones, and one over the budget is not kept', async (t) => {
  const budget = 64 * 1024
  const codec = codecWith(budget)
  const small = Array.from({ length: 40 }, (_, n) => codec.seal(new Map([['n', n]]), NOW))
  for (const cookie of small) codec.verify(cookie, NOW)
  t.ok(small.every((cookie) => isHit(codec, cookie)), '40 small sessions fit')
  const large = Array.from({ length: 3 }, (_, n) => codec.seal(new Map<string, unknown>([['n', n], ['text', 'ab'.repeat(4000)]]), NOW))
  for (const cookie of large) codec.verify(cookie, NOW)
  // Checked newest first: a miss would verify the cookie again and put it back in.
  t.ok(large.every((cookie) => isHit(codec, cookie)), 'the three large sessions are kept')
  t.ok(isHit(codec, small[39]!), 'the newest small ones are kept')
  t.notOk(isHit(codec, small[0]!), 'the oldest small ones made room')
  const huge = codecWith(16 * 1024)
  const hugeCookie = huge.seal(new Map([['text', 'ab'.repeat(4000)]]), NOW)
  huge.verify(hugeCookie, NOW)
  t.notOk(isHit(huge, hugeCookie), 'an entry larger than the whole budget is verified every time')
})

t.test('a small cookie that unpacks past maxJsonBytes is refused: a fresh session, a debug line, a deletion', async (t) => {
  const { app: roomy } = await buildApp(t, { maxJsonBytes: 65_536 }, (app) => {
    app.get('/fill', async (request) => { request.session.set('text', 'a'.repeat(60_000)); return 'ok' })
  })
  const cookie = expectSessionValue(await roomy.inject('/fill'))
  t.ok(cookie.length < 300, `a ${cookie.length}-character cookie`)
  const { app, logs } = await buildApp(t, {}, (app) => {
    app.get('/whoami', async (request) => request.session.get('text') === undefined ? 'nobody' : 'data')
  })
  const response = await app.inject({ url: '/whoami', cookies: { session: cookie } })
  t.equal(response.body, 'nobody')
  t.match(setCookies(response), [/^session=; /])
  t.match(logs, [{ level: 20, reason: 'bad-payload', detail: 'payload decompresses to over 16384 bytes' }])
})

t.test('an uncompressed payload over maxJsonBytes is refused too', async (t) => {
  const json = JSON.stringify({ text: 'a'.repeat(2000) })
  const cookie = FORMATS.default.createSealer([SECRET], 'session', 4096).seal(Buffer.from(json).toString('base64url'), NOW)
  t.match(codecWith(0, 4096).verify(cookie, NOW), { json })
  t.match(codecWith(0, 1024).verify(cookie, NOW), { code: 'too-large', detail: 'payload is over 1024 bytes' })
})
