// Keys, HMAC, constant-time verification (itsdangerous' `Signer`).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export type Digest = 'sha1' | 'sha256' | 'sha512'

/**
 * How a secret becomes a signing key, by itsdangerous' names: `'hmac'` is `HMAC(secret, salt)`
 * (Flask's choice and ours); `'django-concat'` is `hash(salt + "signer" + secret)` (itsdangerous'
 * default, for apps that sign with a bare itsdangerous `Signer`).
 */
export type KeyDerivation = 'hmac' | 'django-concat'

export interface SignerOptions {
  /** The first secret signs; every secret verifies (rotation). */
  secrets: readonly Buffer[]
  /** Mixed into key derivation so a value signed for one purpose is useless for another. */
  salt: string
  digest: Digest
  keyDerivation: KeyDerivation
}

const SIGNATURE_BYTES: Record<Digest, number> = { sha1: 20, sha256: 32, sha512: 64 }

/**
 * The bottom layer, as itsdangerous' `Signer`: each secret becomes a signing key, and a
 * signature is `HMAC(key, input)` in unpadded base64url.
 */
export class Signer {
  readonly #keys: Buffer[]
  readonly #digest: Digest
  readonly #signatureLength: number

  constructor ({ secrets, salt, digest, keyDerivation }: SignerOptions) {
    this.#digest = digest
    this.#keys = secrets.map((secret) => keyDerivation === 'hmac'
      ? createHmac(digest, secret).update(salt).digest()
      : createHash(digest).update(salt).update('signer').update(secret).digest())
    // Unpadded base64url length of the raw signature.
    this.#signatureLength = Math.ceil(SIGNATURE_BYTES[digest] * 4 / 3)
  }

  /** Signature of `input` with the current (first) key. */
  sign (input: string): string {
    return this.#mac(0, input)
  }

  /**
   * Index of the key whose signature over `input` equals `signature`, or -1.
   * The comparison is constant-time, on the base64url text: the text we compute is canonical,
   * so a non-canonical spelling (stray low bits in the last character) never matches, and one
   * cookie has one form.
   */
  verify (input: string, signature: string): number {
    const given = Buffer.from(signature)
    // In UTF-8 a character outside ASCII takes more than one byte, so only plain base64url text gets past this.
    if (given.length !== this.#signatureLength) return -1
    for (let index = 0; index < this.#keys.length; index++) {
      if (timingSafeEqual(Buffer.from(this.#mac(index, input)), given)) return index
    }
    return -1
  }

  /** Straight to base64url: a Buffer digest and a separate encoding cost about a fifth more per signature. */
  #mac (keyIndex: number, input: string): string {
    return createHmac(this.#digest, this.#keys[keyIndex]!).update(input, 'latin1').digest('base64url')
  }
}
