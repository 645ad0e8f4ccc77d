// `oversizedCookie: 'split'`: a cookie value cut into pieces and joined back.
import { MAX_COOKIE_BYTES, MAX_INCOMING_COOKIE_LENGTH } from '../base/browser-limits.js'
import { Refusal } from '../base/refusal.js'
import type { CookieWriter } from './cookie-writer.js'

export interface SplitCookieOptions {
  cookie: CookieWriter
  maxCookies: number
  maxRequestCookieBytes: number
}

/** The session cookie as a request brought it: one value, or pieces joined back in order. */
export interface IncomingPieces {
  /** The joined value; undefined when the pieces do not form one. */
  value: string | undefined
  /** How many cookies of the session the browser holds (`name` and `name.1`… up to the last one sent), so a response can delete those it no longer needs. */
  count: number
  refusal: Refusal | undefined
}

/** A cookie value as the pieces a response sends: each Set-Cookie at most 4093 bytes. */
interface Piece {
  name: string
  value: string
}

/**
 * `oversizedCookie: 'split'`: one sealed value cut into `name`, `name.1`, `name.2`, … with the
 * same attributes, read back by joining them in order. The pieces are one sealed value, so a
 * piece that is missing, out of order or from another session makes the whole fail to open.
 */
export class SplitCookie {
  readonly #cookie: CookieWriter
  readonly #maxCookies: number
  readonly #maxRequestCookieBytes: number

  constructor ({ cookie, maxCookies, maxRequestCookieBytes }: SplitCookieOptions) {
    this.#cookie = cookie
    this.#maxCookies = maxCookies
    this.#maxRequestCookieBytes = maxRequestCookieBytes
  }

  /** The name of piece `index` (0 is the cookie name itself). */
  nameOf (index: number): string {
    return index === 0 ? this.#cookie.name : `${this.#cookie.name}.${index}`
  }

  /** The pieces a request carries, checked for count and length before any of them is decoded. */
  join (first: string | undefined, cookies: Record<string, string | undefined>): IncomingPieces {
    // One name past maxCookies is read too: a response never writes it, so it can only be an extra piece.
    const values = [first]
    for (let index = 1; index <= this.#maxCookies; index++) values.push(cookies[this.nameOf(index)])
    const count = values.findLastIndex((value) => value !== undefined) + 1
    if (count <= 1) return { value: first, count, refusal: undefined }
    const missing = values.findIndex((value, index) => index < count && (value === undefined || value === ''))
    if (missing >= 0) return { value: undefined, count, refusal: new Refusal('split-missing-piece', `split cookie: "${this.nameOf(missing)}" is missing, but "${this.nameOf(count - 1)}" came`) }
    if (count > this.#maxCookies) return { value: undefined, count, refusal: new Refusal('split-too-many', `split cookie: "${this.nameOf(count - 1)}" came, over maxCookies (${this.#maxCookies})`) }
    let length = 0
    for (let index = 0; index < count; index++) {
      const pieceLength = (values[index] as string).length
      if (pieceLength > MAX_INCOMING_COOKIE_LENGTH) return { value: undefined, count, refusal: new Refusal('too-long', `split cookie: "${this.nameOf(index)}" is ${pieceLength} characters, over the ${MAX_INCOMING_COOKIE_LENGTH} limit`) }
      length += pieceLength
    }
    if (length > this.#maxRequestCookieBytes) return { value: undefined, count, refusal: new Refusal('too-long', `split cookie is ${length} characters, over the ${this.#maxRequestCookieBytes} limit`) }
    return { value: values.slice(0, count).join(''), count, refusal: undefined }
  }

  /**
   * The Set-Cookie headers that carry `value`, or why it cannot be sent: over `maxCookies`, or
   * more than the request headers can bring back.
   */
  headers (value: string, secure: boolean, maxAgeSeconds: number | undefined, nowSeconds: number): string[] | string {
    const pieces = this.#cut(value, this.#cookie.header('', secure, maxAgeSeconds, nowSeconds).length - this.#cookie.name.length)
    const requestBytes = pieces.reduce((total, piece) => total + piece.name.length + 1 + piece.value.length, 2 * (pieces.length - 1))
    if (pieces.length > this.#maxCookies) return `the session needs ${pieces.length} cookies of at most ${MAX_COOKIE_BYTES} bytes, over maxCookies (${this.#maxCookies})`
    if (requestBytes > this.#maxRequestCookieBytes) {
      return `the session's ${pieces.length} cookies take ${requestBytes} bytes of a request's Cookie header, over the ${this.#maxRequestCookieBytes} bytes the server's header limit (maxHeaderSize) leaves for them`
    }
    return pieces.map((piece) => piece.name + this.#cookie.header(piece.value, secure, maxAgeSeconds, nowSeconds).slice(this.#cookie.name.length))
  }

  /** Deletion headers for pieces `fromIndex` up to (not including) `toIndex`; never the cookie name itself. */
  deletionHeaders (secure: boolean, fromIndex: number, toIndex: number): string[] {
    const headers: string[] = []
    const deletion = this.#cookie.deletionHeader(secure).slice(this.#cookie.name.length)
    for (let index = Math.max(fromIndex, 1); index < toIndex; index++) headers.push(this.nameOf(index) + deletion)
    return headers
  }

  /** `value` cut so that each `name=value` plus `attributesLength` bytes of attributes fits in 4093 bytes. */
  #cut (value: string, attributesLength: number): Piece[] {
    const pieces: Piece[] = []
    for (let offset = 0, index = 0; offset < value.length || index === 0; index++) {
      const name = this.nameOf(index)
      const room = MAX_COOKIE_BYTES - attributesLength - name.length
      pieces.push({ name, value: value.slice(offset, offset + room) })
      offset += room
    }
    return pieces
  }
}
