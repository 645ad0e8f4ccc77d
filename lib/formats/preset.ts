// What a cookie format is (a preset of the layers below), and a format opened for the app's secrets.
import type { Sealer } from '../crypto/sealer.js'
import { JSON_TEXT, type PayloadEncoding } from '../payload/payload-encoding.js'
import { type SerializerOptions, TaggedJsonSerializer } from '../payload/tagged-json.js'

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

/** A format ready to read and write: its sealer for the secrets long enough for it, and its payload encoding. */
export interface ReadableFormat {
  sealer: Sealer
  keyCount: number
  payloadEncoding: PayloadEncoding
  /** The serializer of this format's JSON rules and the app's `maxJsonBytes`. */
  serializer: TaggedJsonSerializer
}

/** What a format is opened with: the app's secrets (each format takes those long enough for it), cookie name and limits. */
export interface FormatKeys {
  secrets: readonly Buffer[]
  cookieName: string
  /** The longest cookie value read; longer ones are refused unread. */
  maxLength: number
  maxJsonBytes: number
}

/** `format` opened with the secrets long enough for it (all, for the current format: the options check that). */
export function readableFormat (format: FormatPreset, { secrets, cookieName, maxLength, maxJsonBytes }: FormatKeys): ReadableFormat {
  const usable = secrets.filter((secret) => secret.length >= format.minimumSecretBytes)
  const serializer = new TaggedJsonSerializer({ ...format.serializer, maxJsonBytes })
  return {
    sealer: format.createSealer(usable, cookieName, maxLength),
    keyCount: usable.length,
    payloadEncoding: format.payloadEncoding === 'json' ? JSON_TEXT : serializer,
    serializer
  }
}
