// How JSON text becomes the payload a sealer takes and back, and the encoding that keeps the text as it is.
import type { Refusal } from '../base/refusal.js'

/** How JSON text becomes the payload a sealer takes, and back. */
export interface PayloadEncoding {
  encodePayload (json: string): string
  decodePayload (payload: string): { json: string } | Refusal
}

/** The payload of a sealer that takes the JSON text itself. */
export const JSON_TEXT: PayloadEncoding = {
  encodePayload: (json) => json,
  decodePayload: (json) => ({ json })
}
