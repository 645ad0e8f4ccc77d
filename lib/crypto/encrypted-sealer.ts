// The encrypting sealer: XAES-256-GCM, keys and key ids by HKDF.
import { type Cipher, createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto'
import { Refusal } from '../base/refusal.js'
import { checkAge, type Sealer, type Unsealed } from './sealer.js'

/** The first byte of every encrypted cookie; a new layout gets a new number and new key labels. */
const FORMAT_VERSION = 1
const KEY_ID_BYTES = 4
const TIMESTAMP_BYTES = 5
/** Version, key id and timestamp: sent in the clear, authenticated as additional data. */
const HEADER_BYTES = 1 + KEY_ID_BYTES + TIMESTAMP_BYTES
const NONCE_BYTES = 24
const TAG_BYTES = 16
const OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
const BASE64URL = /^[A-Za-z0-9_-]+$/
/** Random nonces are drawn this many at a time: one call to the CSPRNG costs as much as a whole seal. */
const NONCES_PER_DRAW = 256

/**
 * One secret's XAES-256-GCM key (C2SP's extended-nonce AES-256-GCM): a 192-bit random nonce,
 * whose first half derives a per-message AES-256-GCM key through a one-block CMAC, and whose
 * second half is that message's GCM nonce.
 */
export class XaesKey {
  /** AES-256 in ECB mode without padding is the bare block cipher; it keeps no state between blocks, so one instance serves every message. */
  readonly #blockCipher: Cipher
  /** The CMAC subkey K1, the same for every message under this key. */
  readonly #k1: Buffer
  /** M1 ⊕ K1 ‖ M2 ⊕ K1, with Mi = 0x00 i 'X' 0x00 ‖ nonce[:12]; the first four bytes of each block never change, so they are XORed once. */
  readonly #derivationInput = Buffer.alloc(32)

  constructor (key: Buffer) {
    this.#blockCipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false)
    const l = this.#blockCipher.update(Buffer.alloc(16))
    const k1 = Buffer.alloc(16)
    for (let index = 0; index < 16; index++) k1[index] = (l.readUInt8(index) << 1) | (index < 15 ? l.readUInt8(index + 1) >> 7 : 0)
    if (l.readUInt8(0) & 0x80) k1.writeUInt8(k1.readUInt8(15) ^ 0x87, 15)
    this.#k1 = k1
    for (const [offset, counter] of [[0, 1], [16, 2]] as const) {
      this.#derivationInput.set([0x00 ^ k1.readUInt8(0), counter ^ k1.readUInt8(1), 0x58 ^ k1.readUInt8(2), 0x00 ^ k1.readUInt8(3)], offset)
    }
  }

  /** The AES-256-GCM key for `nonce` (24 bytes): AES(K, M1 ⊕ K1) ‖ AES(K, M2 ⊕ K1). */
  subkey (nonce: Buffer): Buffer {
    const input = this.#derivationInput
    const k1 = this.#k1
    for (let index = 0; index < 12; index++) {
      const masked = nonce.readUInt8(index) ^ k1.readUInt8(index + 4)
      input[index + 4] = masked
      input[index + 20] = masked
    }
    return this.#blockCipher.update(input)
  }

  encrypt (nonce: Buffer, plaintext: Buffer, additionalData: Buffer): { ciphertext: Buffer, tag: Buffer } {
    const cipher = createCipheriv('aes-256-gcm', this.subkey(nonce), nonce.subarray(12))
    cipher.setAAD(additionalData)
    const ciphertext = cipher.update(plaintext)
    cipher.final()
    return { ciphertext, tag: cipher.getAuthTag() }
  }

  /** The plaintext, or undefined when the tag does not match (tampered, or another key). */
  decrypt (nonce: Buffer, ciphertext: Buffer, tag: Buffer, additionalData: Buffer): Buffer | undefined {
    const decipher = createDecipheriv('aes-256-gcm', this.subkey(nonce), nonce.subarray(12), { authTagLength: TAG_BYTES })
    decipher.setAAD(additionalData)
    decipher.setAuthTag(tag)
    const plaintext = decipher.update(ciphertext)
    try {
      decipher.final()
    } catch {
      return undefined
    }
    return plaintext
  }
}

export interface EncryptedSealerOptions {
  /** The first secret seals; every one opens (rotation). */
  secrets: readonly Buffer[]
  /** In the key labels: a cookie sealed under one name does not open under another. */
  cookieName: string
  /** Longest accepted cookie value, checked before anything else. */
  maxLength: number
}

/**
 * The encrypting sealer: `base64url(version ‖ key id ‖ timestamp ‖ nonce ‖ ciphertext ‖ tag)`.
 * The version, key id and timestamp are authenticated as additional data. Each secret gives,
 * through HKDF-SHA256 under labels that name this format's version and the cookie name, an
 * XAES-256-GCM key and a key id; a read picks its key by the id, so it decrypts once at most.
 */
export class EncryptedSealer implements Sealer {
  /** One per secret, the first (which seals) always there: resolveOptions refuses an empty `secret`. */
  readonly #keys: XaesKey[]
  readonly #keyIds: number[]
  readonly #maxLength: number
  readonly #nonces = Buffer.alloc(NONCES_PER_DRAW * NONCE_BYTES)
  #noncesUsed = NONCES_PER_DRAW

  constructor ({ secrets, cookieName, maxLength }: EncryptedSealerOptions) {
    const label = `fastify-cookie-session encrypted v${FORMAT_VERSION} ${cookieName}`
    this.#keys = secrets.map((secret) => new XaesKey(Buffer.from(hkdfSync('sha256', secret, '', `${label} key`, 32))))
    // The id is derived apart from the key, so it tells nothing about it; it only names which secret sealed a cookie.
    this.#keyIds = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, '', `${label} key id`, KEY_ID_BYTES)).readUInt32BE(0))
    this.#maxLength = maxLength
  }

  seal (payload: string, nowSeconds: number): string {
    const plaintext = Buffer.from(payload)
    const header = Buffer.allocUnsafe(HEADER_BYTES)
    header[0] = FORMAT_VERSION
    header.writeUInt32BE(this.#keyIds[0]!, 1)
    header.writeUIntBE(nowSeconds, 1 + KEY_ID_BYTES, TIMESTAMP_BYTES)
    const nonce = this.#nextNonce()
    const { ciphertext, tag } = this.#keys[0]!.encrypt(nonce, plaintext, header)
    return Buffer.concat([header, nonce, ciphertext, tag], OVERHEAD_BYTES + ciphertext.length).toString('base64url')
  }

  unseal (value: string, nowSeconds: number, maxAgeSeconds: number, futureToleranceSeconds: number): Unsealed | Refusal {
    if (value.length > this.#maxLength) return new Refusal('too-long', `cookie is ${value.length} characters, over the ${this.#maxLength} limit`)
    if (!BASE64URL.test(value)) return new Refusal('malformed', 'cookie is not an encrypted value')
    const bytes = Buffer.from(value, 'base64url')
    if (bytes.length < OVERHEAD_BYTES) return new Refusal('malformed', 'cookie is too short to be an encrypted value')
    // Stray low bits in the last character decode to the same bytes: one cookie has one spelling.
    if (bytes.toString('base64url') !== value) return new Refusal('malformed', 'cookie is not canonical base64url')
    if (bytes[0] !== FORMAT_VERSION) return new Refusal('unsupported-version', `cookie is encrypted format version ${bytes[0]}, not ${FORMAT_VERSION}`)
    const keyIndex = this.#keyIds.indexOf(bytes.readUInt32BE(1))
    if (keyIndex < 0) return new Refusal('unknown-key', 'cookie was encrypted with a key this app does not have (another secret or cookie name)')
    const header = bytes.subarray(0, HEADER_BYTES)
    const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
    const plaintext = this.#keys[keyIndex]!.decrypt(nonce, bytes.subarray(HEADER_BYTES + NONCE_BYTES, -TAG_BYTES), bytes.subarray(-TAG_BYTES), header)
    if (plaintext === undefined) return new Refusal('bad-signature', 'cookie does not decrypt: altered, or sealed with another key')
    const timestampSeconds = header.readUIntBE(1 + KEY_ID_BYTES, TIMESTAMP_BYTES)
    const ageRefusal = checkAge(timestampSeconds, nowSeconds, maxAgeSeconds, futureToleranceSeconds)
    if (ageRefusal !== undefined) return ageRefusal
    return { payload: plaintext.toString('utf8'), timestampSeconds, keyIndex }
  }

  #nextNonce (): Buffer {
    if (this.#noncesUsed === NONCES_PER_DRAW) {
      randomFillSync(this.#nonces)
      this.#noncesUsed = 0
    }
    const start = this.#noncesUsed++ * NONCE_BYTES
    return this.#nonces.subarray(start, start + NONCE_BYTES)
  }
}
