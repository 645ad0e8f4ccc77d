import t from 'tap'
import { createSessionCodec } from '../lib/formats.js'
import { resolveOptions } from '../lib/options.js'
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
  t.type(codec.verify(cookie, NOW + 61), 'string', 'expired')
  t.same(codec.cacheCounters, { hits: 3, misses: 1 }, 'a remembered cookie refused for its age is a hit: no MAC ran')
  t.type(codec.verify(cookie.slice(0, -2) + 'AA', NOW), 'string', 'forged')
  t.type(codec.verify('junk', NOW), 'string', 'not a cookie')
  t.same(codec.cacheCounters, { hits: 3, misses: 3 }, 'a cookie that was not remembered is a miss, whatever refused it')
  sealer.verify(cookie, NOW)
  sealer.verify(cookie, NOW)
  t.same(sealer.cacheCounters, { hits: 0, misses: 2 }, 'with no cache, every verification is a miss')
})
