// The session cookie a request brought, verified on first use.
import { nowSeconds } from '../base/clock.js'
import { Refusal } from '../base/refusal.js'
import type { OpenedCookie, SessionCodec } from '../codec/session-codec.js'

export interface IncomingCookieDetails {
  /** Copies of our cookie past the ones tried, for the debug log. */
  ignoredCopies?: number
  /** How many cookies the session takes in the browser: 1, or the split pieces that came. */
  pieceCount?: number
  /** Why the cookie is refused before the codec sees it (split pieces that do not fit together). */
  refusal?: Refusal | undefined
}

/**
 * The session cookie a request brought, and what became of it: verified once, on first use,
 * so a route that never touches the session pays nothing for it. The session (`request.session`)
 * reads its data from here; the session interface reads how to answer it (delete a bad cookie,
 * seal again one an old secret or format sealed, drop split pieces no longer needed).
 */
export class IncomingCookie {
  readonly ignoredCopies: number
  readonly pieceCount: number
  readonly #codec: SessionCodec
  /** Usually one value; several when the browser sent more than one cookie of our name (a parent domain's too). */
  readonly #values: string | readonly string[] | undefined
  #opened = false
  #verified: OpenedCookie | undefined
  #refusal: Refusal | undefined

  constructor (codec: SessionCodec, values: string | readonly string[] | undefined, { ignoredCopies = 0, pieceCount = 1, refusal }: IncomingCookieDetails = {}) {
    this.#codec = codec
    this.#values = values
    this.ignoredCopies = ignoredCopies
    this.pieceCount = pieceCount
    if (refusal !== undefined) {
      this.#opened = true
      this.#refusal = refusal
    }
  }

  /** The verified cookie, with its data when this call verified it; undefined when none came or it was refused. */
  open (): OpenedCookie | undefined {
    if (this.#opened) return this.#verified
    this.#opened = true
    const candidates = this.#values
    if (candidates === undefined || candidates === '') return undefined
    if (typeof candidates === 'string') return this.#accept(this.#codec.verify(candidates, nowSeconds()))
    // Of several cookies with our name, the one that verifies is ours; the others belong to another path or domain.
    const now = nowSeconds()
    let firstRefusal: Refusal | undefined
    for (const candidate of candidates) {
      const verified = this.#codec.verify(candidate, now)
      if (!(verified instanceof Refusal)) return this.#accept(verified)
      firstRefusal ??= verified
    }
    this.#refusal = firstRefusal
    return undefined
  }

  /** The verified cookie, once `open` ran. */
  get verified (): OpenedCookie | undefined {
    return this.#verified
  }

  /** Why the cookie was refused, if it was. */
  get refusal (): Refusal | undefined {
    return this.#refusal
  }

  /** True when a fallback secret, or a fallback format, sealed the cookie: it is sealed again now. */
  get sealedByFallback (): boolean {
    return this.#verified !== undefined && this.#verified.keyIndex > 0
  }

  #accept (verified: OpenedCookie | Refusal): OpenedCookie | undefined {
    if (verified instanceof Refusal) {
      this.#refusal = verified
      return undefined
    }
    this.#verified = verified
    return verified
  }
}
