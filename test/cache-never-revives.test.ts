/**
 * The verification cache and the memory of sealed cookies never make a cookie valid that a full
 * verification would refuse: expired, sealed with a secret the app no longer has, or revoked.
 * Each case runs both ways a cookie gets remembered, and the counters show the refusal came
 * from the remembered entry, not from a fresh MAC.
 */
import t, { type Test } from 'tap'
import type { SessionCodec } from '../lib/codec/session-codec.js'
import { Refusal, type RefusalCode } from '../lib/base/refusal.js'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { type CookieSessionOptions, resolveOptions } from '../lib/plugin/options.js'
import { RevocationList } from '../lib/revocation/revocation-list.js'
import { memoryRevocationStore } from '../lib/revocation/memory-store.js'
import { buildApp, NOW, stubClock } from './helpers.js'

const OLD_SECRET = 'never-revives-old-secret-of-32-bytes!!'
const NEW_SECRET = 'never-revives-new-secret-of-32-bytes!!'
const CACHE_BYTES = 64 * 1024

/** A session as the plugin seals it with revocation on: a user, an id, and its start to the millisecond. */
function sessionRecord (sessionId = 'AAAAAAAAAAAAAAAAAAAAAA'): Map<string, unknown> {
  return new Map<string, unknown>([['user', 'ann'], ['_session_id', sessionId], ['_issued_at', NOW - 1.5]])
}
const FORMAT_NAMES = ['default', 'flask', 'encrypted'] as const
const PATHS = ['verification cache', 'sealed memory'] as const

type Options = Partial<CookieSessionOptions>

/**
 * A cookie `codec` remembers: verified once (sealed by a twin without a cache, so only the
 * verification put it there), or sealed by `codec` itself. The counters start from there.
 */
function rememberedCookie (t: Test, path: typeof PATHS[number], codec: SessionCodec, twin: SessionCodec, record = sessionRecord()): string {
  if (path === 'sealed memory') return codec.seal(record, NOW)
  const cookie = twin.seal(record, NOW)
  t.type(codec.verify(cookie, NOW), 'object', 'verified once, so remembered')
  return cookie
}

function codecsFor (options: Options) {
  const resolved = resolveOptions({ secret: OLD_SECRET, lifetimeSeconds: 60, ...options })
  return { codec: createSessionCodec(resolved, CACHE_BYTES), twin: createSessionCodec(resolved, 0), resolved }
}

/** `codec` refuses `cookie` at `nowSeconds` with `reason`'s code and words, and that was a hit. */
function refusedFromMemory (t: Test, codec: SessionCodec, cookie: string, nowSeconds: number, reason: { code: RefusalCode, detail: RegExp }, name: string): void {
  const { hits, misses } = codec.cacheCounters
  t.match(codec.verify(cookie, nowSeconds), reason, name)
  t.same(codec.cacheCounters, { hits: hits + 1, misses }, `${name}: refused by the remembered entry`)
}

for (const format of FORMAT_NAMES) {
  for (const path of PATHS) {
    t.test(`${path}, ${format} format: an expired cookie stays expired`, async (t) => {
      const { codec, twin } = codecsFor({ format })
      const cookie = rememberedCookie(t, path, codec, twin)
      refusedFromMemory(t, codec, cookie, NOW + 61, { code: 'expired', detail: /^signature expired: 61 s old, lifetime 60 s$/ }, 'one second past the lifetime')
      refusedFromMemory(t, codec, cookie, NOW + 61, { code: 'expired', detail: /^signature expired/ }, 'and again')
      const skewed = format === 'flask' ? 1 : 6
      refusedFromMemory(t, codec, cookie, NOW - skewed, { code: 'future', detail: /in the future$/ }, 'read by a clock that runs behind the signer\'s by more than the tolerance')
    })

    t.test(`${path}, ${format} format: a session past its absolute lifetime stays refused`, async (t) => {
      const { codec, twin } = codecsFor({ format, absoluteLifetimeSeconds: 10 })
      const cookie = rememberedCookie(t, path, codec, twin)
      // It began at NOW - 1.5, counted in whole seconds from NOW - 2.
      refusedFromMemory(t, codec, cookie, NOW + 9, { code: 'absolute-lifetime', detail: /^session began 11 s ago, over the absolute lifetime of 10 s$/ }, 'the cookie is within its lifetime, the session is not')
    })

    t.test(`${path}, ${format} format: a cookie sealed with a secret rotated out is refused`, async (t) => {
      const { codec, twin } = codecsFor({ format })
      const cookie = rememberedCookie(t, path, codec, twin)
      // The cache belongs to the codec, made with the app's secrets: rotating builds another, which remembers nothing of the old one.
      const rotated = createSessionCodec(resolveOptions({ secret: NEW_SECRET, format, lifetimeSeconds: 60 }), CACHE_BYTES)
      t.type(rotated.verify(cookie, NOW), Refusal, 'refused once the old secret is gone')
      t.same(rotated.cacheCounters, { hits: 0, misses: 1 }, 'by a full verification')
      const rotating = createSessionCodec(resolveOptions({ secret: [NEW_SECRET, OLD_SECRET], format, lifetimeSeconds: 60 }), CACHE_BYTES)
      t.match(rotating.verify(cookie, NOW), { keyIndex: 1 }, 'while the old secret is still listed, it verifies as the old secret\'s')
      t.match(rotating.verify(cookie, NOW), { keyIndex: 1 }, 'and a hit says so too, so the session is re-signed with the new secret')
      t.same(rotating.cacheCounters, { hits: 1, misses: 1 })
    })

    t.test(`${path}, ${format} format: a revoked session, or a user logged out everywhere, stays refused`, async (t) => {
      stubClock(t, NOW)
      const { app } = await buildApp(t)
      const store = memoryRevocationStore()
      const resolved = resolveOptions({ secret: OLD_SECRET, format, lifetimeSeconds: 60, revocation: { store, userKey: 'user' } })
      const list = new RevocationList(store, { ...resolved, futureToleranceSeconds: 0 }, app.log)
      await list.start()
      t.teardown(() => list.close())
      const revocations = [['BBBBBBBBBBBBBBBBBBBBBB', () => list.revokeSession('BBBBBBBBBBBBBBBBBBBBBB')], ['CCCCCCCCCCCCCCCCCCCCCC', () => list.revokeUser('ann')]] as const
      for (const [sessionId, revoke] of revocations) {
        const codec = createSessionCodec(resolved, CACHE_BYTES, list)
        const twin = createSessionCodec(resolved, 0, list)
        const cookie = rememberedCookie(t, path, codec, twin, sessionRecord(sessionId))
        t.type(codec.verify(cookie, NOW), 'object', 'accepted before')
        await revoke()
        refusedFromMemory(t, codec, cookie, NOW, { code: 'revoked', detail: /^the (session was revoked|user's sessions that began by 2023-11-14T22:13:20.000Z were revoked)$/ }, 'refused after')
        refusedFromMemory(t, codec, cookie, NOW, { code: 'revoked', detail: /revoked/ }, 'and again')
      }
    })
  }
}
