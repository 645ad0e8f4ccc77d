// Cookie value ⇄ session data (serializer, payload encoding, sealer), remembering recent verifications and the cookies it sealed.
import { MAX_INCOMING_COOKIE_LENGTH } from '../base/browser-limits.js'
import { Refusal } from '../base/refusal.js'
import { checkAge, type Sealer } from '../crypto/sealer.js'
import type { PayloadEncoding } from '../payload/payload-encoding.js'
import type { SessionRecord, TaggedJsonSerializer } from '../payload/tagged-json.js'
import { type CookieStamps, type SessionIdentity, SessionStamps } from './stamps.js'
import { VerificationCache } from './verification-cache.js'

/** What a verified cookie says, apart from the data itself. */
export interface VerifiedCookie extends CookieStamps {
  /** The sealed payload, as it came: an unchanged session is sealed again from it without serializing again. */
  payload: string
  json: string
  timestampSeconds: number
  /** 0 when the current secret signed it; higher for a fallback secret. */
  keyIndex: number
  /**
   * The data, kept when every value is a string, number, boolean or null: such a record cannot
   * be changed through its values, so a copy of it is the same as parsing the JSON again, at a
   * fraction of the cost. Never handed out itself.
   */
  flatRecord: SessionRecord | undefined
}

/** A freshly verified cookie comes with its parsed data, so it is not parsed twice. */
export interface OpenedCookie extends VerifiedCookie {
  record?: SessionRecord
}

/**
 * A cookie this codec sealed and no request has brought back yet: authentic by construction,
 * so it needs no MAC, and its data is parsed only if it comes back.
 */
interface SealedCookie {
  payload: string
  json: string
  timestampSeconds: number
}

type RememberedCookie = VerifiedCookie | SealedCookie

function isOpened (remembered: RememberedCookie): remembered is VerifiedCookie {
  return 'identity' in remembered
}

export interface SessionCodecOptions {
  sealer: Sealer
  payloadEncoding: PayloadEncoding
  serializer: TaggedJsonSerializer
  lifetimeSeconds: number
  futureToleranceSeconds: number
  /** How many bytes of recently verified or sealed cookies to remember, each counted by `verifiedEntryBytes`; 0 remembers none. */
  verifiedCacheBytes: number
  /** A session ends this long after it began, however often it is refreshed; undefined for no cap. */
  absoluteLifetimeSeconds: number | undefined
  /** With the `revocation` option: the list every cookie is checked against, and the key that holds the user's id. */
  revocation?: RevocationCheck | undefined
}

export interface RevocationCheck {
  userKey: string
  list: { refusal (identity: SessionIdentity): Refusal | undefined }
}

/** How often `verify` found the cookie text in the verification cache (`hits`: no MAC) and how often it had to verify it in full (`misses`). */
export interface CacheCounters {
  readonly hits: number
  readonly misses: number
}

/**
 * What an entry holds besides its text: the VerifiedCookie object, the Map's slot, string and
 * Map headers. Measured on Node 20 (heap after a full GC, 20,000 entries): 685 bytes an entry
 * for a typical 100-byte session with a 166-character cookie, of which about 320 are this part.
 */
const ENTRY_OVERHEAD_BYTES = 400
// eslint-disable-next-line no-control-regex -- the test is for any character outside Latin-1, control characters included.
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/

/**
 * What a cache entry costs in memory (measured within a tenth for 3 to 16 KB sessions): the
 * cookie text (the key; the payload is a slice of it, or the JSON text itself), the JSON text
 * (two bytes a character once it holds one beyond Latin-1), and, for a flat record, its keys
 * and values, which take about what their JSON text does.
 */
export function verifiedEntryBytes (cookieValue: string, remembered: RememberedCookie): number {
  const { json } = remembered
  const jsonBytes = BEYOND_LATIN1.test(json) ? json.length * 2 : json.length
  const flat = isOpened(remembered) && remembered.flatRecord !== undefined
  return ENTRY_OVERHEAD_BYTES + cookieValue.length + jsonBytes + (flat ? jsonBytes : 0)
}

/** The payload as a slice of the cookie when the cookie begins with it (the signing formats), so an entry holds that text once. */
function payloadWithin (cookieValue: string, payload: string): string {
  return cookieValue.startsWith(payload) ? cookieValue.slice(0, payload.length) : payload
}

function isFlat (record: SessionRecord): boolean {
  for (const value of record.values()) {
    if (typeof value === 'object' && value !== null) return false
  }
  return true
}

/**
 * A cookie value to session data and back: the serializer, then the payload encoding, then the sealer.
 *
 * Most requests carry the same cookie as the one before, or the one this server sealed for the
 * response before, so the result of a successful verification, and each cookie sealed here, is
 * remembered, keyed by the exact cookie text. Only cookies that verified or were sealed here
 * enter the cache, so forged ones cannot fill it, and it is bounded anyway, by bytes rather
 * than entries, since a session can be large. A hit still checks the age, the absolute
 * lifetime and revocation, so a remembered cookie is refused as soon as a new one would be.
 * The cache belongs to this codec, which holds one set of secrets: a cookie sealed with a
 * secret the app no longer lists is never in it.
 */
export class SessionCodec {
  readonly serializer: TaggedJsonSerializer
  /** The stamps its sessions carry, read from every cookie it opens. */
  readonly stamps: SessionStamps
  readonly #sealer: Sealer
  readonly #payloadEncoding: PayloadEncoding
  readonly #lifetimeSeconds: number
  readonly #futureToleranceSeconds: number
  readonly #verified: VerificationCache<RememberedCookie>
  #hits = 0
  #misses = 0
  readonly #absoluteLifetimeSeconds: number | undefined
  readonly #revocation: RevocationCheck | undefined

  constructor (options: SessionCodecOptions) {
    this.serializer = options.serializer
    this.#sealer = options.sealer
    this.#payloadEncoding = options.payloadEncoding
    this.#lifetimeSeconds = options.lifetimeSeconds
    this.#futureToleranceSeconds = options.futureToleranceSeconds
    this.#verified = new VerificationCache(options.verifiedCacheBytes, verifiedEntryBytes)
    this.#absoluteLifetimeSeconds = options.absoluteLifetimeSeconds
    this.#revocation = options.revocation
    this.stamps = new SessionStamps({ absoluteLifetime: options.absoluteLifetimeSeconds !== undefined, revocationUserKey: options.revocation?.userKey })
  }

  /**
   * A remembered cookie is a hit, whether it was verified before or sealed here, and also
   * when it is now refused for its age or revocation (no MAC ran); any other is a miss,
   * whatever refused it (a forged cookie is never remembered, so each one is a miss).
   */
  get cacheCounters (): CacheCounters {
    return { hits: this.#hits, misses: this.#misses }
  }

  /** The cookie's data and stamps when it is authentic, within its lifetimes and not revoked; otherwise why not. */
  verify (cookieValue: string, nowSeconds: number): OpenedCookie | Refusal {
    const remembered = this.#verified.get(cookieValue)
    if (remembered !== undefined) {
      this.#hits++
      const tooOld = checkAge(remembered.timestampSeconds, nowSeconds, this.#lifetimeSeconds, this.#futureToleranceSeconds)
      if (tooOld !== undefined) return tooOld
      if (!isOpened(remembered)) return this.#open(cookieValue, remembered.payload, remembered.json, remembered.timestampSeconds, 0, nowSeconds)
      return this.#checkAbsoluteAge(remembered, nowSeconds) ?? this.#checkRevocation(remembered) ?? remembered
    }
    this.#misses++
    const unsealed = this.#sealer.unseal(cookieValue, nowSeconds, this.#lifetimeSeconds, this.#futureToleranceSeconds)
    if (unsealed instanceof Refusal) return unsealed
    const decoded = this.#payloadEncoding.decodePayload(unsealed.payload)
    if (decoded instanceof Refusal) return decoded
    return this.#open(cookieValue, unsealed.payload, decoded.json, unsealed.timestampSeconds, unsealed.keyIndex, nowSeconds)
  }

  /** The data of an authentic cookie within its age, checked for the absolute lifetime and revocation, and remembered. */
  #open (cookieValue: string, payload: string, json: string, timestampSeconds: number, keyIndex: number, nowSeconds: number): OpenedCookie | Refusal {
    const record = this.serializer.loadJson(json)
    if (record instanceof Refusal) return record
    const { permanent, issuedAtSeconds, identity } = this.stamps.read(record)
    const flatRecord = isFlat(record) ? new Map(record) : undefined
    const verified: VerifiedCookie = { payload, json, timestampSeconds, keyIndex, permanent, issuedAtSeconds, flatRecord, identity }
    const tooOld = this.#checkAbsoluteAge(verified, nowSeconds)
    if (tooOld !== undefined) return tooOld
    // Remembered even when revoked: the check runs on every verification, cached or not.
    this.#verified.remember(cookieValue, verified)
    const revoked = this.#checkRevocation(verified)
    if (revoked !== undefined) return revoked
    // Field by field: `{ ...verified, record }` took about 0.9 µs here, half the cost of the HMAC.
    return { payload, json, timestampSeconds, keyIndex, permanent, issuedAtSeconds, flatRecord, identity, record }
  }

  /** The data of a cookie that `verify` accepted, for the session to change as it likes. */
  parse (verified: VerifiedCookie): SessionRecord {
    return verified.flatRecord === undefined ? this.serializer.loadJson(verified.json) as SessionRecord : new Map(verified.flatRecord)
  }

  /**
   * The cookie value for `record`, remembered: the user's next request brings it back. When the
   * JSON is the one the incoming cookie (`incoming`) carried, as after setting values to what they
   * were, its payload is sealed again as it came, with no zlib work.
   */
  seal (record: SessionRecord, nowSeconds: number, incoming?: VerifiedCookie): string {
    const json = this.serializer.dumpJson(record)
    const payload = incoming?.json === json ? incoming.payload : this.#payloadEncoding.encodePayload(json)
    const cookieValue = this.#sealer.seal(payload, nowSeconds)
    this.#rememberSealed(cookieValue, { payload, json, timestampSeconds: nowSeconds })
    return cookieValue
  }

  /**
   * A new signature and timestamp for data that did not change (a permanent session's refresh,
   * a cookie signed by a fallback secret): the payload as it came, with no JSON or zlib work.
   * It is remembered as verified already: its data is the one `verified` holds.
   */
  resign (verified: VerifiedCookie, nowSeconds: number): string {
    const cookieValue = this.#sealer.seal(verified.payload, nowSeconds)
    const { json, permanent, issuedAtSeconds, flatRecord, identity } = verified
    // The current secret sealed it. Field by field: `verified` may carry the session's own record, which must not be kept.
    this.#rememberSealed(cookieValue, { payload: verified.payload, json, timestampSeconds: nowSeconds, keyIndex: 0, permanent, issuedAtSeconds, flatRecord, identity })
    return cookieValue
  }

  #checkAbsoluteAge (verified: VerifiedCookie, nowSeconds: number): Refusal | undefined {
    if (this.#absoluteLifetimeSeconds === undefined || verified.issuedAtSeconds === undefined) return undefined
    const ageSeconds = nowSeconds - verified.issuedAtSeconds
    return ageSeconds > this.#absoluteLifetimeSeconds ? new Refusal('absolute-lifetime', `session began ${ageSeconds} s ago, over the absolute lifetime of ${this.#absoluteLifetimeSeconds} s`) : undefined
  }

  #checkRevocation (verified: VerifiedCookie): Refusal | undefined {
    if (verified.identity === undefined) return undefined
    return (this.#revocation as RevocationCheck).list.refusal(verified.identity)
  }

  /**
   * A cookie sealed here, its payload held as a slice of it where it can be. Not one longer than
   * a browser keeps in one cookie, a session split across cookies: such an entry is 5 to 25 times
   * a typical one, so under load the cache turns over before its user comes back, each one pushes
   * dozens of small sessions out, and moving them through the garbage collector cost more than
   * the MACs they saved (a 10 KB session's write, 545 µs of server CPU with the entry, 418
   * without). The length is tested first: the new cookie is a concatenation, and `startsWith`
   * read a 10 KB one at about 4 ns a character.
   */
  #rememberSealed (cookieValue: string, remembered: RememberedCookie): void {
    if (cookieValue.length > MAX_INCOMING_COOKIE_LENGTH) return
    remembered.payload = payloadWithin(cookieValue, remembered.payload)
    this.#verified.remember(cookieValue, remembered)
  }
}
