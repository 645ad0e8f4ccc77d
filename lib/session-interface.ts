import type { FastifyReply, FastifyRequest } from 'fastify'
import { ISSUED_AT_KEY, SessionCodec } from './codec.js'
import { cookieTooLargeError, headersSentError, type CookieSessionError } from './errors.js'
import { MAX_COOKIE_BYTES, type ResolvedOptions } from './options.js'
import type { RevocationList } from './revocation-list.js'
import { TaggedJsonSerializer } from './serializer.js'
import { Session } from './session.js'
import { SESSION_ID_KEY } from './session-identity.js'
import { Signer } from './signer.js'
import { nowSeconds, TimestampSigner } from './timestamp-signer.js'

/** Recent verifications remembered per registration; at most this many cookies of at most 4 KB each. */
const VERIFIED_CACHE_SIZE = 1000
/** A cookie longer than any browser keeps is refused before it is decoded. */
const MAX_INCOMING_COOKIE_LENGTH = 4096
const VARY_HAS_COOKIE = /(?:^|,)\s*(?:cookie|\*)\s*(?:,|$)/i

/** Where the session's headers go: Fastify's reply, or the raw response of a hijacked one. */
export interface HeaderTarget {
  getHeader (name: string): unknown
  hasHeader (name: string): boolean
  header (name: string, value: string): unknown
}

function varyByCookie (target: HeaderTarget): void {
  const vary = target.getHeader('vary')
  if (vary === undefined) {
    target.header('vary', 'Cookie')
  } else if (!VARY_HAS_COOKIE.test(String(vary))) {
    target.header('vary', `${String(vary)}, Cookie`)
  }
}

/** Every value of the cookie `name` in a Cookie header, in order. Only called when the name occurs more than once. */
function sameNameCookieValues (header: string, name: string): string[] {
  const values: string[] = []
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=')
    if (equals > 0 && pair.slice(0, equals).trim() === name) values.push(pair.slice(equals + 1).trim())
  }
  return values
}

/** The codec the plugin uses for these options; the benchmark measures it on its own. */
export function createSessionCodec (options: ResolvedOptions, verifiedCacheSize: number, revocationList?: RevocationList): SessionCodec {
  const { digest, keyDerivation, salt } = options.format
  const signer = new Signer({ secrets: options.secrets, salt: salt(options.cookieName), digest, keyDerivation })
  return new SessionCodec({
    timestampSigner: new TimestampSigner({ signer, maxLength: MAX_INCOMING_COOKIE_LENGTH }),
    serializer: new TaggedJsonSerializer(options.format.serializer),
    lifetimeSeconds: options.lifetimeSeconds,
    futureToleranceSeconds: options.format.futureToleranceSeconds,
    verifiedCacheSize,
    absoluteLifetimeSeconds: options.absoluteLifetimeSeconds,
    revocation: options.revocation === undefined || revocationList === undefined ? undefined : { userKey: options.revocation.userKey, list: revocationList }
  })
}

/**
 * Flask's session interface: opens a session from the request's cookie and, at the end of
 * the request, decides whether to send a new cookie, delete it, or leave it alone.
 */
export class CookieSessionInterface {
  readonly #options: ResolvedOptions
  readonly #codec: SessionCodec
  readonly #cookieNameEquals: string
  readonly #revocationList: RevocationList | undefined
  #warnedInsecureTransport = false

  constructor (options: ResolvedOptions, revocationList?: RevocationList) {
    this.#options = options
    this.#cookieNameEquals = options.cookieName + '='
    this.#revocationList = revocationList
    this.#codec = createSessionCodec(options, VERIFIED_CACHE_SIZE, revocationList)
  }

  /** `parsedValue` is what @fastify/cookie found: the first cookie of our name. */
  openSession (parsedValue: string | undefined, cookieHeader: string | undefined): Session {
    if (parsedValue !== undefined && cookieHeader !== undefined &&
      cookieHeader.indexOf(this.#cookieNameEquals) !== cookieHeader.lastIndexOf(this.#cookieNameEquals)) {
      return new Session(this.#codec, sameNameCookieValues(cookieHeader, this.#options.cookieName), this.#revocationList)
    }
    return new Session(this.#codec, parsedValue, this.#revocationList)
  }

  /**
   * Flask's `save_session`, once per request. Returns an error for Fastify's error handler
   * when the session cannot be sent.
   */
  saveSession (request: FastifyRequest, target: HeaderTarget): CookieSessionError | undefined {
    const session = request.session as Session
    if (session.saved) return undefined
    session.markSaved(request)
    session.open()
    if (session.refusal !== undefined) request.log.debug({ reason: session.refusal }, 'fastify-cookie-session: ignored the session cookie')
    let changed: boolean
    try {
      changed = session.hasChanges
    } catch (error) {
      return error as CookieSessionError
    }
    if (session.accessed) varyByCookie(target)
    const secure = this.#isSecure(request)
    if (session.isEmpty) {
      if (changed || session.refusal !== undefined) this.#setCookie(request, target, this.#options.cookie.deletionHeader(secure), secure)
      return undefined
    }
    const permanent = session.isPermanent
    if (!changed && !(permanent && this.#options.refreshEachRequest) && !session.signedWithFallbackSecret && this.#isStamped(session)) return undefined
    const now = nowSeconds()
    let header: string
    try {
      header = this.#options.cookie.header(this.seal(session, now), secure, permanent ? this.#options.lifetimeSeconds : undefined, now)
    } catch (error) {
      return error as CookieSessionError
    }
    if (header.length > MAX_COOKIE_BYTES) {
      const message = `the "${this.#options.cookieName}" cookie is ${header.length} bytes, over the ${MAX_COOKIE_BYTES}-byte limit of browsers; store less in the session (an id, not the record)`
      if (this.#options.oversizedCookie === 'error') return cookieTooLargeError(`${message}, or set oversizedCookie: 'warn' to send it anyway`)
      request.log.warn(`fastify-cookie-session: ${message}; sent anyway because oversizedCookie is 'warn'`)
    }
    this.#setCookie(request, target, header, secure)
    return undefined
  }

  /** For `reply.hijack()`: Fastify's hooks will not run, so the session goes straight onto the raw response. */
  commitSession (request: FastifyRequest, reply: FastifyReply): void {
    const raw = reply.raw
    if (raw.headersSent) throw headersSentError('reply.commitSession() must run before the response head is written')
    const error = this.saveSession(request, {
      getHeader: (name) => raw.getHeader(name),
      hasHeader: (name) => raw.hasHeader(name),
      header: (name, value) => name === 'set-cookie' ? raw.appendHeader(name, value) : raw.setHeader(name, value)
    })
    if (error !== undefined) throw error
  }

  /**
   * The signed cookie value that carries the session's data at `signedAtSeconds`. A new session
   * is stamped with its start when the lifetime is absolute, and with its id and start (to the
   * millisecond) when revocation is on.
   */
  seal (session: Session, signedAtSeconds: number): string {
    const unchanged = session.unchangedCookie
    if (unchanged !== undefined && this.#codec.isStamped(unchanged)) return this.#codec.resign(unchanged, signedAtSeconds)
    const { record } = session
    const revocable = this.#codec.revocationUserKey !== undefined
    if (this.#codec.tracksIssuedAt && !record.has(ISSUED_AT_KEY)) record.set(ISSUED_AT_KEY, revocable ? Date.now() / 1000 : signedAtSeconds)
    if (revocable && typeof record.get(SESSION_ID_KEY) !== 'string') record.set(SESSION_ID_KEY, session.pendingId)
    return this.#codec.seal(record, signedAtSeconds)
  }

  /** False for a cookie made before its stamps were asked for (the start, the id): it gets them on this response. */
  #isStamped (session: Session): boolean {
    const verified = session.unchangedCookie
    return verified === undefined || this.#codec.isStamped(verified)
  }

  #isSecure (request: FastifyRequest): boolean {
    const { secure } = this.#options.cookie
    return secure === 'auto' ? request.protocol === 'https' : secure
  }

  #setCookie (request: FastifyRequest, target: HeaderTarget, header: string, secure: boolean): void {
    target.header('set-cookie', header)
    varyByCookie(target)
    // A shared cache must never store one user's cookie and hand it to another.
    if (!target.hasHeader('cache-control')) target.header('cache-control', 'private')
    if (secure && request.protocol === 'http' && !this.#warnedInsecureTransport) {
      this.#warnedInsecureTransport = true
      request.log.warn(`fastify-cookie-session: a Secure "${this.#options.cookieName}" cookie was sent over plain http; browsers drop it, so the session will not stick. Serve https (with trustProxy behind a proxy) or use cookie.secure: 'auto'`)
    }
  }
}
