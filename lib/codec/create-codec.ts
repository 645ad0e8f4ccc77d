// The session codec built from its settings: the current format, the fallback formats, the cache, the revocation check.
import { FallbackSealer } from '../formats/fallback-sealer.js'
import { type FormatPreset, readableFormat } from '../formats/preset.js'
import { type RevocationCheck, SessionCodec } from './session-codec.js'
import { VERIFIED_CACHE_BYTES } from './verification-cache.js'

/** What a codec is built from: the resolved options satisfy it, and the benchmark builds one from them on its own. */
export interface CodecSettings {
  /** The first seals; every one opens (rotation); each format takes those long enough for it. */
  secrets: readonly Buffer[]
  cookieName: string
  format: FormatPreset
  /** Formats still read, and sealed again in `format`. */
  fallbackFormats: readonly FormatPreset[]
  lifetimeSeconds: number
  absoluteLifetimeSeconds: number | undefined
  maxJsonBytes: number
  /** The longest cookie value read; longer ones are refused unread. */
  maxRequestCookieBytes: number
  /** With revocation on: the session key that holds the user's id. */
  revocation: { userKey: string } | undefined
}

/** The codec for these settings, remembering `verifiedCacheBytes` of recent cookies, checking them against `revocationList` when revocation is on. */
export function createSessionCodec (settings: CodecSettings, verifiedCacheBytes: number = VERIFIED_CACHE_BYTES, revocationList?: RevocationCheck['list']): SessionCodec {
  const { format, revocation } = settings
  const keys = { secrets: settings.secrets, cookieName: settings.cookieName, maxLength: settings.maxRequestCookieBytes, maxJsonBytes: settings.maxJsonBytes }
  const current = readableFormat(format, keys)
  const fallbacks = settings.fallbackFormats.map((fallback) => readableFormat(fallback, keys))
  return new SessionCodec({
    sealer: fallbacks.length === 0 ? current.sealer : new FallbackSealer(current, fallbacks),
    payloadEncoding: current.payloadEncoding,
    serializer: current.serializer,
    lifetimeSeconds: settings.lifetimeSeconds,
    futureToleranceSeconds: format.futureToleranceSeconds,
    verifiedCacheBytes,
    absoluteLifetimeSeconds: settings.absoluteLifetimeSeconds,
    revocation: revocation === undefined || revocationList === undefined ? undefined : { userKey: revocation.userKey, list: revocationList }
  })
}
