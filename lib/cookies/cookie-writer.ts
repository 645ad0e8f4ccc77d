// Checks the cookie attributes and writes the `Set-Cookie` text.
import { InvalidOptionError } from '../base/errors.js'

export type SameSite = 'lax' | 'strict' | 'none'

/** The `cookie` option: attributes of the session cookie (Flask's `SESSION_COOKIE_*`). */
export interface CookieOptions {
  /** Default `'/'` (`SESSION_COOKIE_PATH`). */
  path?: string
  /** Default none: a host-only cookie (`SESSION_COOKIE_DOMAIN`). */
  domain?: string
  /** Default `true` (`SESSION_COOKIE_HTTPONLY`). */
  httpOnly?: boolean
  /** Default `false` (`SESSION_COOKIE_SECURE`); `'auto'` sets it when the request came over https. */
  secure?: boolean | 'auto'
  /** Default `'lax'` (`SESSION_COOKIE_SAMESITE`); `false` leaves the attribute out. */
  sameSite?: SameSite | false
  /** Default `false` (`SESSION_COOKIE_PARTITIONED`); needs `secure`. */
  partitioned?: boolean
}

const COOKIE_OPTION_NAMES = new Set(['path', 'domain', 'httpOnly', 'secure', 'sameSite', 'partitioned'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const PATH = /^\/[\u0020-\u003a\u003c-\u007e]*$/
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i
const SAME_SITE_ATTRIBUTE: Record<SameSite, string> = { lax: 'Lax', strict: 'Strict', none: 'None' }
const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT'

function expectType (name: string, value: unknown, type: 'string' | 'boolean'): void {
  const actual = typeof value
  if (value !== undefined && actual !== type) throw new InvalidOptionError(`option "cookie.${name}" must be a ${type}, got ${actual}`)
}

/**
 * Writes the `Set-Cookie` header of the session cookie. The attributes are validated and
 * turned into text once, at registration; a request only adds the value and the expiry.
 */
export class CookieWriter {
  readonly name: string
  readonly secure: boolean | 'auto'
  readonly #domain: string
  readonly #secureSuffix: string
  readonly #insecureSuffix: string
  /**
   * The expiry attributes last written, and what they were written for: every cookie sent in
   * the same second with the same lifetime has the same ones, and a `Date`'s `toUTCString` is
   * one of the dearer parts of the header.
   */
  #lastExpiry = ''
  #lastExpiresSeconds = Number.NaN
  #lastMaxAgeSeconds = Number.NaN

  constructor (name: string, options: CookieOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('option "cookie" must be an object')
    for (const key of Object.keys(options)) {
      if (!COOKIE_OPTION_NAMES.has(key)) throw new InvalidOptionError(`unknown option "cookie.${key}"; known: ${[...COOKIE_OPTION_NAMES].join(', ')}`)
    }
    const { path = '/', domain, httpOnly = true, secure = false, sameSite = 'lax', partitioned = false } = options
    if (!TOKEN.test(name)) throw new InvalidOptionError(`option "cookieName" must be a cookie name token, got ${JSON.stringify(name)}`)
    expectType('path', path, 'string')
    if (!PATH.test(path)) throw new InvalidOptionError(`option "cookie.path" must start with "/" and hold no ";" or control characters, got ${JSON.stringify(path)}`)
    expectType('domain', domain, 'string')
    if (domain !== undefined && !DOMAIN.test(domain)) throw new InvalidOptionError(`option "cookie.domain" is not a valid domain: ${JSON.stringify(domain)}`)
    // One label is a top-level domain, bar localhost (the one a developer's browser accepts).
    const bareDomain = domain?.replace(/^\./, '').toLowerCase()
    if (bareDomain !== undefined && !bareDomain.includes('.') && bareDomain !== 'localhost') {
      throw new InvalidOptionError(`option "cookie.domain" is the top-level domain ${JSON.stringify(domain)}, for which browsers refuse cookies; use your site's domain ("example.com"), or leave it out for a host-only cookie`)
    }
    expectType('httpOnly', httpOnly, 'boolean')
    if (secure !== 'auto') expectType('secure', secure, 'boolean')
    expectType('partitioned', partitioned, 'boolean')
    if (sameSite !== false && !(sameSite in SAME_SITE_ATTRIBUTE)) {
      throw new InvalidOptionError(`option "cookie.sameSite" must be 'lax', 'strict', 'none' or false, got ${JSON.stringify(sameSite)}`)
    }
    if (sameSite === 'none' && secure === false) {
      throw new InvalidOptionError('option "cookie.sameSite" is \'none\', which browsers only accept on a Secure cookie: set cookie.secure to true or \'auto\'')
    }
    if (partitioned && secure === false) {
      throw new InvalidOptionError('option "cookie.partitioned" needs a Secure cookie: set cookie.secure to true or \'auto\'')
    }
    if (name.startsWith('__Secure-') && secure !== true) {
      throw new InvalidOptionError(`cookie name "${name}" has the __Secure- prefix, which browsers only accept with cookie.secure: true`)
    }
    if (name.startsWith('__Host-') && (secure !== true || path !== '/' || domain !== undefined)) {
      throw new InvalidOptionError(`cookie name "${name}" has the __Host- prefix, which browsers only accept with cookie.secure: true, cookie.path: '/' and no cookie.domain`)
    }
    this.name = name
    this.secure = secure
    this.#domain = domain === undefined ? '' : `; Domain=${domain}`
    const tail = (httpOnly ? '; HttpOnly' : '') + `; Path=${path}` +
      (sameSite === false ? '' : `; SameSite=${SAME_SITE_ATTRIBUTE[sameSite]}`) + (partitioned ? '; Partitioned' : '')
    this.#secureSuffix = '; Secure' + tail
    this.#insecureSuffix = tail
  }

  /** The header for `value`; with `maxAgeSeconds` it is a persistent cookie (`Expires` and `Max-Age`). */
  header (value: string, secure: boolean, maxAgeSeconds?: number, nowSeconds?: number): string {
    const expiry = maxAgeSeconds === undefined ? '' : this.#expiry(maxAgeSeconds, nowSeconds as number)
    return `${this.name}=${value}${this.#domain}${expiry}${secure ? this.#secureSuffix : this.#insecureSuffix}`
  }

  #expiry (maxAgeSeconds: number, nowSeconds: number): string {
    const expiresSeconds = nowSeconds + maxAgeSeconds
    if (expiresSeconds !== this.#lastExpiresSeconds || maxAgeSeconds !== this.#lastMaxAgeSeconds) {
      this.#lastExpiry = `; Expires=${new Date(expiresSeconds * 1000).toUTCString()}; Max-Age=${maxAgeSeconds}`
      this.#lastExpiresSeconds = expiresSeconds
      this.#lastMaxAgeSeconds = maxAgeSeconds
    }
    return this.#lastExpiry
  }

  /** The header that makes the browser drop the cookie: same name, domain and path, expired. */
  deletionHeader (secure: boolean): string {
    return `${this.name}=${this.#domain}; Expires=${EPOCH}; Max-Age=0${secure ? this.#secureSuffix : this.#insecureSuffix}`
  }
}
