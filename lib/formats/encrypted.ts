// `format: 'encrypted'`: the default format's JSON, sealed with XAES-256-GCM.
import { EncryptedSealer } from '../crypto/encrypted-sealer.js'
import { OUR_SERIALIZER } from './default.js'
import type { FormatPreset } from './preset.js'

/** `format: 'encrypted'`: the default format's JSON, sealed with XAES-256-GCM under keys bound to the cookie name. */
export const ENCRYPTED_FORMAT: FormatPreset = {
  minimumSecretBytes: 32,
  futureToleranceSeconds: 5,
  serializer: OUR_SERIALIZER,
  // Not compressed: the length of a compressed cookie leaks its content when a value an attacker chooses sits next to a secret one (CRIME).
  payloadEncoding: 'json',
  createSealer (secrets, cookieName, maxLength) {
    return new EncryptedSealer({ secrets, cookieName, maxLength })
  }
}
