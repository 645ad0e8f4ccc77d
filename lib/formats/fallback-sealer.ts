// The current format's sealer that also opens `fallbackFormats`' cookies.
import { Refusal } from '../base/refusal.js'
import type { Sealer, Unsealed } from '../crypto/sealer.js'
import type { PayloadEncoding } from '../payload/payload-encoding.js'
import type { ReadableFormat } from './preset.js'

/**
 * The current format's sealer, which also opens cookies of older formats (`fallbackFormats`).
 * Such a cookie's payload is re-encoded as the current format encodes it, and its `keyIndex`
 * counts on past the current format's keys, so it is never 0: the session sees a cookie that
 * must be sealed again, as one sealed by a fallback secret, and seals it in the current format.
 */
export class FallbackSealer implements Sealer {
  readonly #current: Sealer
  readonly #currentEncoding: PayloadEncoding
  readonly #fallbacks: Array<ReadableFormat & { firstKeyIndex: number }>

  constructor (current: ReadableFormat, fallbacks: readonly ReadableFormat[]) {
    this.#current = current.sealer
    this.#currentEncoding = current.payloadEncoding
    let firstKeyIndex = current.keyCount
    this.#fallbacks = fallbacks.map((fallback) => {
      const entry = { ...fallback, firstKeyIndex }
      firstKeyIndex += fallback.keyCount
      return entry
    })
  }

  seal (payload: string, nowSeconds: number): string {
    return this.#current.seal(payload, nowSeconds)
  }

  /** The current format's refusal when no format opens the value: that is the one worth logging. */
  unseal (value: string, nowSeconds: number, maxAgeSeconds: number, futureToleranceSeconds: number): Unsealed | Refusal {
    const unsealed = this.#current.unseal(value, nowSeconds, maxAgeSeconds, futureToleranceSeconds)
    if (!(unsealed instanceof Refusal)) return unsealed
    for (const fallback of this.#fallbacks) {
      const opened = fallback.sealer.unseal(value, nowSeconds, maxAgeSeconds, futureToleranceSeconds)
      if (opened instanceof Refusal) continue
      const decoded = fallback.payloadEncoding.decodePayload(opened.payload)
      if (decoded instanceof Refusal) return decoded
      return { payload: this.#currentEncoding.encodePayload(decoded.json), timestampSeconds: opened.timestampSeconds, keyIndex: fallback.firstKeyIndex + opened.keyIndex }
    }
    return unsealed
  }
}
