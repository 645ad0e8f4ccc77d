import { SessionCodec } from './codec.js'
import { EncryptedSealer } from './crypto/encrypted-sealer.js'
import { FallbackSealer, type ReadableFormat } from './fallback-sealer.js'
import type { ResolvedOptions } from './options.js'
import type { RevocationList } from './revocation-list.js'
import type { Sealer } from './crypto/sealer.js'
import { JSON_TEXT } from './payload/payload-encoding.js'
import { type SerializerOptions, TaggedJsonSerializer } from './payload/tagged-json.js'
import { Signer } from './crypto/signer.js'
import { TimestampSigner } from './crypto/timestamp-signer.js'

export type FormatName = 'default' | 'flask' | 'encrypted'

/** A cookie format: how data becomes a cookie value and which secrets it accepts. */
export interface FormatPreset {
  minimumSecretBytes: number
  /** Instances that share a secret may disagree on the clock by this much. */
  futureToleranceSeconds: number
  /** `maxJsonBytes` here is the option's default; the app's option replaces it. */
  serializer: SerializerOptions
  /**
   * `'base64url'`: the serializer's base64url text, zlib-compressed when that pays.
   * `'json'`: the JSON text as it is, for a sealer that encodes its own output; never compressed.
   */
  payloadEncoding: 'base64url' | 'json'
  /** The sealer for `secrets` (the first seals, every one opens) and this cookie name; values longer than `maxLength` are refused unread. */
  createSealer (secrets: readonly Buffer[], cookieName: string, maxLength: number): Sealer
}

/**
 * The default of `maxJsonBytes`. A 4 KB cookie of real data rarely inflates past 8 KB; more
 * comes from data built to compress (a client-shaped body), which is then parsed on every read.
 */
export const DEFAULT_MAX_JSON_BYTES = 16 * 1024

const OUR_SERIALIZER: SerializerOptions = { sortKeys: false, asciiOnly: false, dateStyle: 'iso', compressFromBytes: 256, maxJsonBytes: DEFAULT_MAX_JSON_BYTES }

export const FORMATS: Record<FormatName, FormatPreset> = {
  default: {
    minimumSecretBytes: 32,
    futureToleranceSeconds: 5,
    serializer: OUR_SERIALIZER,
    payloadEncoding: 'base64url',
    createSealer (secrets, cookieName, maxLength) {
      // The cookie name is in the salt, so a value cannot be replayed under another cookie name.
      const signer = new Signer({ secrets, salt: `fastify-cookie-session.v1.${cookieName}`, digest: 'sha256', keyDerivation: 'hmac' })
      return new TimestampSigner({ signer, maxLength })
    }
  },
  flask: {
    minimumSecretBytes: 1,
    futureToleranceSeconds: 0,
    serializer: { sortKeys: true, asciiOnly: true, dateStyle: 'http', compressFromBytes: 0, maxJsonBytes: DEFAULT_MAX_JSON_BYTES },
    payloadEncoding: 'base64url',
    createSealer (secrets, _cookieName, maxLength) {
      const signer = new Signer({ secrets, salt: 'cookie-session', digest: 'sha1', keyDerivation: 'hmac' })
      return new TimestampSigner({ signer, maxLength })
    }
  },
  encrypted: {
    minimumSecretBytes: 32,
    futureToleranceSeconds: 5,
    serializer: OUR_SERIALIZER,
    // Not compressed: the length of a compressed cookie leaks its content when a value an attacker chooses sits next to a secret one (CRIME).
    payloadEncoding: 'json',
    createSealer (secrets, cookieName, maxLength) {
      return new EncryptedSealer({ secrets, cookieName, maxLength })
    }
  }
}

function serializerFor (format: FormatPreset, options: ResolvedOptions): TaggedJsonSerializer {
  return new TaggedJsonSerializer({ ...format.serializer, maxJsonBytes: options.maxJsonBytes })
}

/** A format's sealer with the secrets long enough for it (all, for the current format: options.ts checks that). */
function readableFormat (format: FormatPreset, options: ResolvedOptions, serializer: TaggedJsonSerializer): ReadableFormat {
  const secrets = options.secrets.filter((secret) => secret.length >= format.minimumSecretBytes)
  return {
    sealer: format.createSealer(secrets, options.cookieName, options.maxRequestCookieBytes),
    keyCount: secrets.length,
    payloadEncoding: format.payloadEncoding === 'json' ? JSON_TEXT : serializer
  }
}

/** The codec the plugin uses for these options; the benchmark measures it on its own. */
export function createSessionCodec (options: ResolvedOptions, verifiedCacheBytes: number, revocationList?: RevocationList): SessionCodec {
  const { format } = options
  const serializer = serializerFor(format, options)
  const current = readableFormat(format, options, serializer)
  const fallbacks = options.fallbackFormats.map((fallback) => readableFormat(fallback, options, serializerFor(fallback, options)))
  return new SessionCodec({
    sealer: fallbacks.length === 0 ? current.sealer : new FallbackSealer(current, fallbacks),
    payloadEncoding: current.payloadEncoding,
    serializer,
    lifetimeSeconds: options.lifetimeSeconds,
    futureToleranceSeconds: format.futureToleranceSeconds,
    verifiedCacheBytes,
    absoluteLifetimeSeconds: options.absoluteLifetimeSeconds,
    revocation: options.revocation === undefined || revocationList === undefined ? undefined : { userKey: options.revocation.userKey, list: revocationList }
  })
}
