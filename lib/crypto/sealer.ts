// What a sealer does: seal a payload with the time, unseal it with the age check.
import { Refusal } from '../base/refusal.js'

/** A value that passed the sealer's checks: authentic, and within its age. */
export interface Unsealed {
  /** What was sealed, as it was given to `seal`. */
  payload: string
  timestampSeconds: number
  /** 0 when the current secret sealed it; higher when a fallback secret did. */
  keyIndex: number
}

/**
 * What makes a payload into a cookie value and back, with the time it was sealed: signing
 * (`TimestampSigner`) and encryption (`EncryptedSealer`) both fit.
 */
export interface Sealer {
  seal (payload: string, nowSeconds: number): string
  /**
   * `maxAgeSeconds` is enforced on every read; `futureToleranceSeconds` forgives a sealer whose
   * clock runs slightly ahead (0 means a timestamp from the future is refused, as Flask does).
   */
  unseal (value: string, nowSeconds: number, maxAgeSeconds: number, futureToleranceSeconds: number): Unsealed | Refusal
}

/** Why a value sealed at `timestampSeconds` is no longer good at `nowSeconds`, or undefined when it is. */
export function checkAge (timestampSeconds: number, nowSeconds: number, maxAgeSeconds: number, futureToleranceSeconds: number): Refusal | undefined {
  const ageSeconds = nowSeconds - timestampSeconds
  if (ageSeconds > maxAgeSeconds) return new Refusal('expired', `signature expired: ${ageSeconds} s old, lifetime ${maxAgeSeconds} s`)
  if (ageSeconds < -futureToleranceSeconds) return new Refusal('future', `signature is ${-ageSeconds} s in the future`)
  return undefined
}
