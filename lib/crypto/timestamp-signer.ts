// The signing sealer, `payload.timestamp.signature` (itsdangerous' `TimestampSigner`).
import { Refusal } from '../base/refusal.js'
import { checkAge, type Sealer, type Unsealed } from './sealer.js'
import type { Signer } from './signer.js'

/**
 * Strict shape: an optional leading `.` (compressed payload), then three base64url segments.
 * Checked before any decoding, so junk never reaches base64 or the HMAC.
 */
const SIGNED_VALUE = /^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/

/** Itsdangerous packs the time as a big-endian integer of at most 8 bytes with leading zeros removed. */
const MAX_TIMESTAMP_BYTES = 8

export function encodeTimestamp (seconds: number): string {
  let bytes = 0
  for (let rest = seconds; rest > 0; rest = Math.floor(rest / 256)) bytes++
  const buffer = Buffer.allocUnsafe(bytes)
  for (let index = bytes - 1, rest = seconds; index >= 0; index--, rest = Math.floor(rest / 256)) {
    buffer[index] = rest % 256
  }
  return buffer.toString('base64url')
}

function decodeTimestamp (segment: string): number {
  const buffer = Buffer.from(segment, 'base64url')
  if (buffer.length > MAX_TIMESTAMP_BYTES) return -1
  let seconds = 0
  for (const byte of buffer) seconds = seconds * 256 + byte
  return seconds
}

export interface TimestampSignerOptions {
  signer: Signer
  /** Longest accepted cookie value, checked before anything else. */
  maxLength: number
}

/**
 * The signing sealer, as itsdangerous' `TimestampSigner`: `payload.timestamp.signature`,
 * where the signature covers `payload.timestamp` and the age is checked on every read.
 */
export class TimestampSigner implements Sealer {
  readonly #signer: Signer
  readonly #maxLength: number

  constructor ({ signer, maxLength }: TimestampSignerOptions) {
    this.#signer = signer
    this.#maxLength = maxLength
  }

  seal (payload: string, nowSeconds: number): string {
    const input = payload + '.' + encodeTimestamp(nowSeconds)
    return input + '.' + this.#signer.sign(input)
  }

  /**
   * `maxAgeSeconds` is enforced on every read; `futureToleranceSeconds` forgives a signer whose
   * clock runs slightly ahead (0 means a timestamp from the future is refused, as Flask does).
   */
  unseal (value: string, nowSeconds: number, maxAgeSeconds: number, futureToleranceSeconds: number): Unsealed | Refusal {
    if (value.length > this.#maxLength) return new Refusal('too-long', `cookie is ${value.length} characters, over the ${this.#maxLength} limit`)
    if (!SIGNED_VALUE.test(value)) return new Refusal('malformed', 'cookie is not a signed value')
    const signatureDot = value.lastIndexOf('.')
    const input = value.slice(0, signatureDot)
    const keyIndex = this.#signer.verify(input, value.slice(signatureDot + 1))
    if (keyIndex < 0) return new Refusal('bad-signature', 'signature does not match')
    const timestampDot = input.lastIndexOf('.')
    const timestampSeconds = decodeTimestamp(input.slice(timestampDot + 1))
    if (timestampSeconds < 0) return new Refusal('malformed', 'malformed timestamp')
    const ageRefusal = checkAge(timestampSeconds, nowSeconds, maxAgeSeconds, futureToleranceSeconds)
    if (ageRefusal !== undefined) return ageRefusal
    return { payload: input.slice(0, timestampDot), timestampSeconds, keyIndex }
  }
}
