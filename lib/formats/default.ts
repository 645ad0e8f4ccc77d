// `format: 'default'`: HMAC-SHA256 signed values bound to the cookie name.
import { Signer } from '../crypto/signer.js'
import { TimestampSigner } from '../crypto/timestamp-signer.js'
import type { SerializerOptions } from '../payload/tagged-json.js'
import { DEFAULT_MAX_JSON_BYTES, type FormatPreset } from './preset.js'

/** The plugin's own JSON: keys in the order set, raw UTF-8, dates with milliseconds, zlib only for long sessions. */
export const OUR_SERIALIZER: SerializerOptions = { sortKeys: false, asciiOnly: false, dateStyle: 'iso', compressFromBytes: 256, maxJsonBytes: DEFAULT_MAX_JSON_BYTES }

/** `format: 'default'`: itsdangerous' signed value, HMAC-SHA256 under a salt that names the cookie. */
export const DEFAULT_FORMAT: FormatPreset = {
  minimumSecretBytes: 32,
  futureToleranceSeconds: 5,
  serializer: OUR_SERIALIZER,
  payloadEncoding: 'base64url',
  createSealer (secrets, cookieName, maxLength) {
    // The cookie name is in the salt, so a value cannot be replayed under another cookie name.
    const signer = new Signer({ secrets, salt: `fastify-cookie-session.v1.${cookieName}`, digest: 'sha256', keyDerivation: 'hmac' })
    return new TimestampSigner({ signer, maxLength })
  }
}
