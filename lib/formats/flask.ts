// `format: 'flask'`: Flask's own session cookie, byte for byte.
import { Signer } from '../crypto/signer.js'
import { TimestampSigner } from '../crypto/timestamp-signer.js'
import { DEFAULT_MAX_JSON_BYTES, type FormatPreset } from './preset.js'

/** `format: 'flask'`: Flask's `SecureCookieSessionInterface` byte for byte (HMAC-SHA1, salt `cookie-session`, sorted ASCII JSON, zlib when it saves). */
export const FLASK_FORMAT: FormatPreset = {
  minimumSecretBytes: 1,
  futureToleranceSeconds: 0,
  serializer: { sortKeys: true, asciiOnly: true, dateStyle: 'http', compressFromBytes: 0, maxJsonBytes: DEFAULT_MAX_JSON_BYTES },
  payloadEncoding: 'base64url',
  createSealer (secrets, _cookieName, maxLength) {
    const signer = new Signer({ secrets, salt: 'cookie-session', digest: 'sha1', keyDerivation: 'hmac' })
    return new TimestampSigner({ signer, maxLength })
  }
}
