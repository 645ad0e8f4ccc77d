import { createHash } from 'node:crypto'
import t from 'tap'
import type { VerifiedCookie } from '../lib/codec/session-codec.js'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { resolveOptions } from '../lib/plugin/options.js'
import { Refusal } from '../lib/base/refusal.js'
import { NOW } from './helpers.js'

const SECRET = Buffer.from('verification-cache-test-secret-32-bytes')

function codecWith (verifiedCacheBytes: number) {
  return createSessionCodec(resolveOptions({ secret: SECRET, lifetimeSeconds: 60 }), verifiedCacheBytes)
}

t.test('cacheCounters: a verification served from the cache is a hit, a full one a miss', async (t) => {
  const sealer = codecWith(0)
  const codec = codecWith(64 * 1024)
  t.same(codec.cacheCounters, { hits: 0, misses: 0 })
  const cookie = sealer.seal(new Map([['user', 'ann']]), NOW)
  codec.verify(cookie, NOW)
  t.same(codec.cacheCounters, { hits: 0, misses: 1 }, 'the first verification is in full')
  codec.verify(cookie, NOW)
  codec.verify(cookie, NOW + 1)
  t.same(codec.cacheCounters, { hits: 2, misses: 1 }, 'the next ones come from the cache')
  t.type(codec.verify(cookie, NOW + 61), Refusal, 'expired')
  t.same(codec.cacheCounters, { hits: 3, misses: 1 }, 'a remembered cookie refused for its age is a hit: no MAC ran')
  t.type(codec.verify(cookie.slice(0, -2) + 'AA', NOW), Refusal, 'forged')
  t.type(codec.verify('junk', NOW), Refusal, 'not a cookie')
  t.same(codec.cacheCounters, { hits: 3, misses: 3 }, 'a cookie that was not remembered is a miss, whatever refused it')
  sealer.verify(cookie, NOW)
  sealer.verify(cookie, NOW)
  t.same(sealer.cacheCounters, { hits: 0, misses: 2 }, 'with no cache, every verification is a miss')
})

const FORMAT_NAMES = ['default', 'flask', 'encrypted'] as const

t.test('a cookie this codec sealed is a hit on its first read, with the data a full verification gives', async (t) => {
  for (const format of FORMAT_NAMES) {
    const options = resolveOptions({ secret: SECRET, format, lifetimeSeconds: 60 })
    const codec = createSessionCodec(options, 64 * 1024)
    // Values that read back otherwise than they were set: the data comes from the cookie's JSON, never from the record sealed.
    const record = new Map<string, unknown>([['user', 'ann'], ['count', 5n], ['when', new Date(NOW * 1000 + 123)], ['list', [1, { a: 'é' }]], ['_permanent', true]])
    const cookie = codec.seal(record, NOW)
    const fromMemory = codec.verify(cookie, NOW + 1)
    t.same(codec.cacheCounters, { hits: 1, misses: 0 }, `${format}: no MAC`)
    const fromFullVerification = createSessionCodec(options, 0).verify(cookie, NOW + 1)
    t.strictSame(fromMemory, fromFullVerification, `${format}: the same stamps and data`)
    t.ok(!(fromMemory instanceof Refusal) && fromMemory.record?.get('count') === 5, `${format}: the bigint reads back as the number the JSON holds`)
    const again = codec.verify(cookie, NOW + 2)
    t.ok(!(again instanceof Refusal) && again.record === undefined, `${format}: opened once, then served as a verified cookie`)
    t.same(codec.cacheCounters, { hits: 2, misses: 0 })
  }
})

t.test('a re-signed cookie is remembered as verified, signed by the current secret', async (t) => {
  for (const format of FORMAT_NAMES) {
    const newSecret = Buffer.from('verification-cache-new-secret-of-32-bytes')
    const old = createSessionCodec(resolveOptions({ secret: SECRET, format, lifetimeSeconds: 60 }), 0)
    const codec = createSessionCodec(resolveOptions({ secret: [newSecret, SECRET], format, lifetimeSeconds: 60 }), 64 * 1024)
    const opened = codec.verify(old.seal(new Map<string, unknown>([['user', 'ann'], ['tags', ['a']]]), NOW), NOW)
    if (opened instanceof Refusal) throw new Error(opened.detail)
    t.equal(opened.keyIndex, 1, `${format}: the old secret sealed it`)
    const refreshed = codec.resign(opened, NOW + 10)
    const read = codec.verify(refreshed, NOW + 10)
    if (read instanceof Refusal) throw new Error(read.detail)
    t.same(codec.cacheCounters, { hits: 1, misses: 1 }, `${format}: the refreshed cookie needs no MAC`)
    t.equal(read.record, undefined, `${format}: served as verified`)
    t.match(read, { keyIndex: 0, timestampSeconds: NOW + 10, json: opened.json, permanent: false }, `${format}: new stamps, same data`)
    t.same(codec.parse(read), opened.record)
    t.match(createSessionCodec(resolveOptions({ secret: newSecret, format, lifetimeSeconds: 60 }), 0).verify(refreshed, NOW + 10), { keyIndex: 0, json: opened.json }, `${format}: which the new secret alone verifies`)
  }
})

t.test('sealed cookies share the byte budget of the verification cache, oldest out first', async (t) => {
  const codec = codecWith(1600)
  const cookies = Array.from({ length: 6 }, (_, n) => codec.seal(new Map([['n', n]]), NOW))
  // Newest first: opening an entry makes it larger, which may push out an older one.
  t.type(codec.verify(cookies[5]!, NOW), 'object')
  t.same(codec.cacheCounters, { hits: 1, misses: 0 }, 'the newest is remembered')
  t.type(codec.verify(cookies[0]!, NOW), 'object')
  t.same(codec.cacheCounters, { hits: 1, misses: 1 }, 'the oldest made room')
})

t.test('a cookie sealed or re-signed here is remembered up to 4096 characters; a longer one (a split session) is verified when it comes back', async (t) => {
  const text = createHash('shake256', { outputLength: 3000 }).update('split').digest('base64')
  const sessionOf = (length: number) => new Map([['text', text.slice(0, length)]])
  // The two sessions whose cookies lie either side of 4096 characters.
  // Only a codec for split sessions reads a cookie over 4096 characters.
  const splitCodec = (verifiedCacheBytes: number) => createSessionCodec(resolveOptions({ secret: SECRET, lifetimeSeconds: 60, oversizedCookie: 'split' }), verifiedCacheBytes)
  const lengthOf = (length: number) => splitCodec(0).seal(sessionOf(length), NOW).length
  let longestFitting = 0
  while (lengthOf(longestFitting + 1) <= 4096) longestFitting++
  const codec = splitCodec(1024 * 1024)
  const fits = codec.seal(sessionOf(longestFitting), NOW)
  const over = codec.seal(sessionOf(longestFitting + 1), NOW)
  t.ok(fits.length > 4090 && fits.length <= 4096 && over.length > 4096, `cookies of ${fits.length} and ${over.length} characters`)
  const fitsVerified = codec.verify(fits, NOW) as VerifiedCookie
  t.same(codec.cacheCounters, { hits: 1, misses: 0 }, 'the one that fits a cookie is remembered')
  const overVerified = codec.verify(over, NOW) as VerifiedCookie
  t.match([fitsVerified, overVerified], [{ json: /^\{"text":/ }, { json: /^\{"text":/ }], 'both verify')
  t.same(codec.cacheCounters, { hits: 1, misses: 1 }, 'the longer one is verified in full')
  codec.verify(over, NOW)
  t.same(codec.cacheCounters, { hits: 2, misses: 1 }, 'once verified, it is remembered as any cookie that came back')
  codec.verify(codec.resign(fitsVerified, NOW + 1), NOW + 1)
  codec.verify(codec.resign(overVerified, NOW + 1), NOW + 1)
  t.same(codec.cacheCounters, { hits: 3, misses: 2 }, 're-signed: the one that fits is remembered, the longer one is not')
})
