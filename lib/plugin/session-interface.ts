// Flask's session interface: a session for each request, and at its end whether to send, refresh or delete the cookie.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MAX_COOKIE_BYTES } from '../base/browser-limits.js'
import { nowSeconds } from '../base/clock.js'
import { type CookieSessionError, CookieTooLargeError, HeadersSentError, ownError } from '../base/errors.js'
import { createSessionCodec } from '../codec/create-codec.js'
import { type SessionCodec } from '../codec/session-codec.js'
import { MAX_SAME_NAME_COOKIES, sameNameCookieValues } from '../cookies/request-cookies.js'
import { SplitCookie } from '../cookies/split-cookie.js'
import type { RevocationList } from '../revocation/revocation-list.js'
import { IncomingCookie } from '../session/incoming-cookie.js'
import { Session } from '../session/session.js'
import type { ResolvedOptions } from './options.js'

const VARY_HAS_COOKIE = /(?:^|,)\s*(?:cookie|\*)\s*(?:,|$)/i
/** A response a shared cache may store and hand to other users. */
const SHARED_CACHE_DIRECTIVE = /(?:^|,)\s*(?:public|s-maxage\s*=)/i

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

/** What the response does with the session cookie. */
type SaveDecision = { action: 'leave' } | { action: 'delete', secure: boolean } | SendDecision

/** A new cookie, sealed at `nowSeconds`; `maxAgeSeconds` for a permanent session. */
interface SendDecision {
  action: 'send'
  secure: boolean
  nowSeconds: number
  maxAgeSeconds: number | undefined
}

const LEAVE: SaveDecision = { action: 'leave' }

/**
 * Flask's session interface: makes a session from the request's cookie and, at the end of
 * the request, decides whether to send a new cookie, delete it, or leave it alone.
 */
export class CookieSessionInterface {
  readonly #options: ResolvedOptions
  readonly #codec: SessionCodec
  readonly #cookieNameEquals: string
  /** With `oversizedCookie: 'split'`. */
  readonly #split: SplitCookie | undefined
  readonly #revocationList: RevocationList | undefined
  #warnedInsecureTransport = false
  #warnedSharedCacheable = false

  constructor (options: ResolvedOptions, revocationList?: RevocationList) {
    this.#options = options
    this.#cookieNameEquals = options.cookieName + '='
    this.#revocationList = revocationList
    this.#codec = createSessionCodec(options, undefined, revocationList)
    const { cookie, maxCookies, maxRequestCookieBytes } = options
    this.#split = options.oversizedCookie === 'split' ? new SplitCookie({ cookie, maxCookies, maxRequestCookieBytes }) : undefined
  }

  /** `parsedValue` is what @fastify/cookie found: the first cookie of our name; `cookies`, every cookie it parsed (for split sessions). */
  createSession (parsedValue: string | undefined, cookieHeader: string | undefined, cookies?: Record<string, string | undefined>): Session {
    if (this.#split !== undefined && cookies !== undefined) {
      const incoming = this.#split.join(parsedValue, cookies)
      if (incoming.count > 1) {
        return new Session(this.#codec, new IncomingCookie(this.#codec, incoming.value, { pieceCount: incoming.count, refusal: incoming.refusal }), this.#revocationList)
      }
    }
    if (parsedValue !== undefined && cookieHeader !== undefined &&
      cookieHeader.indexOf(this.#cookieNameEquals) !== cookieHeader.lastIndexOf(this.#cookieNameEquals)) {
      const { values, ignoredCount } = sameNameCookieValues(cookieHeader, this.#cookieNameEquals)
      return new Session(this.#codec, new IncomingCookie(this.#codec, values, { ignoredCopies: ignoredCount }), this.#revocationList)
    }
    return new Session(this.#codec, new IncomingCookie(this.#codec, parsedValue), this.#revocationList)
  }

  /**
   * Flask's `save_session`, once per request, in its steps: decide what the response does with
   * the cookie, seal the session, fit it into one cookie or split pieces, write the headers.
   * Returns an error for Fastify's error handler when the session cannot be sent.
   */
  saveSession (request: FastifyRequest, target: HeaderTarget): CookieSessionError | undefined {
    const session = this.sessionOf(request)
    if (session === undefined || session.saved) return undefined
    session.markSaved(() => { warnLateChange(request, false) })
    // A route that never used the session leaves its cookie as it came: not verified, refreshed or
    // deleted, so static files and health checks pay nothing for it (the README's "When the cookie is sent").
    if (!session.touched) return undefined
    try {
      const decision = this.#decide(request, session, target)
      if (decision.action === 'leave') return undefined
      const { secure } = decision
      const headers = decision.action === 'delete'
        ? [this.#options.cookie.deletionHeader(secure)]
        : this.#fit(request, this.seal(session, decision.nowSeconds), decision)
      this.#writeHeaders(request, target, headers, secure, session.incoming.pieceCount)
    } catch (error) {
      return ownError(error)
    }
    return undefined
  }

  /**
   * What the response does with the cookie, by Flask's rules: a changed session is sent; an
   * emptied one, or a bad cookie under an empty session, is deleted; an unchanged one is sent
   * again only to refresh a permanent session or to seal anew what an old secret, an old format
   * or an older set of stamps sealed. Throws when the data can no longer be serialized.
   */
  #decide (request: FastifyRequest, session: Session, target: HeaderTarget): SaveDecision {
    const { incoming } = session
    incoming.open()
    this.#logIncoming(request, incoming)
    const changed = session.detectChanges()
    if (session.accessed) varyByCookie(target)
    const secure = this.#isSecure(request)
    const cacheControl = target.getHeader('cache-control')
    // A cookie that only refreshes, re-signs or deletes a bad one can wait for a private response; a change cannot.
    const sharedCacheable = cacheControl !== undefined && SHARED_CACHE_DIRECTIVE.test(String(cacheControl))
    if (changed && sharedCacheable) this.#warnSharedCacheable(request, String(cacheControl))
    if (session.isEmpty) {
      // An ignored copy may be a good cookie: only delete when every copy was looked at.
      const deleteBadCookie = incoming.refusal !== undefined && incoming.ignoredCopies === 0 && !sharedCacheable
      return changed || deleteBadCookie ? { action: 'delete', secure } : LEAVE
    }
    const permanent = session.isPermanent
    // Stamping a cookie from before revocation was on (an id, a start) is a refresh too.
    const resign = incoming.sealedByFallback || !this.#isStamped(session)
    const now = nowSeconds()
    // Unchanged and signed this very second, the refreshed cookie would be the one the browser
    // holds, byte for byte (in the encrypted format, the same content under a new nonce).
    const refresh = permanent && this.#options.refreshEachRequest && session.unchangedCookie()?.timestampSeconds !== now
    if (!changed && (sharedCacheable || (!refresh && !resign))) return LEAVE
    return { action: 'send', secure, nowSeconds: now, maxAgeSeconds: permanent ? this.#options.lifetimeSeconds : undefined }
  }

  /** Why the incoming cookie was not used, at debug level: never the client's business, and never a 500. */
  #logIncoming (request: FastifyRequest, incoming: IncomingCookie): void {
    const { refusal, ignoredCopies } = incoming
    if (refusal !== undefined) request.log.debug({ reason: refusal.code, detail: refusal.detail }, 'fastify-cookie-session: ignored the session cookie')
    if (ignoredCopies > 0) {
      request.log.debug(`fastify-cookie-session: ignored ${ignoredCopies} more cookies named "${this.#options.cookieName}" (only the first ${MAX_SAME_NAME_COOKIES} distinct values are tried)`)
    }
  }

  /**
   * The Set-Cookie headers that carry `value`: one cookie, or split pieces with
   * `oversizedCookie: 'split'`. Too large for that, it throws `FST_COOKIE_SESSION_COOKIE_TOO_LARGE`,
   * unless `oversizedCookie` is `'warn'`, which sends the one cookie anyway and says so.
   */
  #fit (request: FastifyRequest, value: string, { secure, maxAgeSeconds, nowSeconds }: SendDecision): string[] {
    const header = this.#options.cookie.header(value, secure, maxAgeSeconds, nowSeconds)
    if (header.length <= MAX_COOKIE_BYTES) return [header]
    if (this.#split !== undefined) {
      const split = this.#split.headers(value, secure, maxAgeSeconds, nowSeconds)
      if (typeof split === 'string') throw new CookieTooLargeError(`${split}; store less in the session (an id, not the record), or raise maxCookies and the server's maxHeaderSize`)
      return split
    }
    const message = `the "${this.#options.cookieName}" cookie is ${header.length} bytes, over the ${MAX_COOKIE_BYTES}-byte limit of browsers; store less in the session (an id, not the record)`
    if (this.#options.oversizedCookie === 'error') throw new CookieTooLargeError(`${message}, or set oversizedCookie: 'warn' to send it anyway (or 'split')`)
    request.log.warn(`fastify-cookie-session: ${message}; sent anyway because oversizedCookie is 'warn'`)
    return [header]
  }

  /** `headers` (the cookie, or its pieces), and the deletion of every piece the browser holds beyond them. */
  #writeHeaders (request: FastifyRequest, target: HeaderTarget, headers: readonly string[], secure: boolean, incomingPieces: number): void {
    for (const header of headers) this.#setCookie(request, target, header, secure)
    this.#deletePieces(request, target, secure, headers.length, incomingPieces)
  }

  /**
   * A WebSocket upgrade's response goes out before its handler runs (and `onSend` never comes):
   * the session counts as sent, so a change in the handler warns instead of vanishing.
   */
  markUpgradeSent (request: FastifyRequest): void {
    this.sessionOf(request)?.markSaved(() => { warnLateChange(request, true) })
  }

  /** This registration's session on `request`; none on a route with `config: { session: false }`. */
  sessionOf (request: FastifyRequest): Session | undefined {
    const session: unknown = (request as unknown as Record<string, unknown>)[this.#options.sessionName]
    return session instanceof Session ? session : undefined
  }

  /** A request's `Cookie` header that carries the session as a browser would send it back (split when it is too big for one cookie). */
  requestCookieHeader (session: Session, sealedAtSeconds: number): string {
    const value = this.seal(session, sealedAtSeconds)
    if (this.#split === undefined) return this.#cookieNameEquals + value
    const headers = this.#split.headers(value, false, undefined, sealedAtSeconds)
    if (typeof headers === 'string') throw new CookieTooLargeError(headers)
    return headers.map((header) => header.slice(0, header.indexOf(';'))).join('; ')
  }

  /** Pieces `fromIndex` to `toIndex - 1` of a split cookie that the browser holds and the session no longer needs. */
  #deletePieces (request: FastifyRequest, target: HeaderTarget, secure: boolean, fromIndex: number, toIndex: number): void {
    if (this.#split === undefined || toIndex <= fromIndex) return
    for (const header of this.#split.deletionHeaders(secure, fromIndex, toIndex)) this.#setCookie(request, target, header, secure)
  }

  /** For `reply.hijack()`: Fastify's hooks will not run, so the session goes straight onto the raw response. */
  commitSession (request: FastifyRequest, reply: FastifyReply): void {
    const raw = reply.raw
    if (raw.headersSent) throw new HeadersSentError('reply.commitSession() must run before the response head is written')
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
    const unchanged = session.unchangedCookie()
    const { stamps } = this.#codec
    if (unchanged !== undefined && stamps.isStamped(unchanged)) return this.#codec.resign(unchanged, signedAtSeconds)
    const { record } = session
    stamps.stamp(record, signedAtSeconds, session)
    return this.#codec.seal(record, signedAtSeconds, session.incoming.verified)
  }

  /** False for a cookie made before its stamps were asked for (the start, the id): it gets them on this response. */
  #isStamped (session: Session): boolean {
    const verified = session.unchangedCookie()
    return verified === undefined || this.#codec.stamps.isStamped(verified)
  }

  #isSecure (request: FastifyRequest): boolean {
    const { secure } = this.#options.cookie
    return secure === 'auto' ? request.protocol === 'https' : secure
  }

  #warnSharedCacheable (request: FastifyRequest, cacheControl: string): void {
    if (this.#warnedSharedCacheable) return
    this.#warnedSharedCacheable = true
    request.log.warn({ route: request.routeOptions.url }, `fastify-cookie-session: the session changed on ${request.method} ${request.routeOptions.url}, whose response is marked for shared caches (Cache-Control: ${cacheControl}); the cookie was sent so nothing is lost, but a shared cache may store it and hand it to other users: mark that response private, or change the session on another route`)
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

/** The session was changed after its cookie went out: the change is lost, and the log says where. */
function warnLateChange (request: FastifyRequest, webSocket: boolean): void {
  const route = `${request.method} ${request.routeOptions.url}`
  request.log.warn({ route: request.routeOptions.url }, webSocket
    ? `fastify-cookie-session: the session was changed in the WebSocket handler of ${route}; the upgrade response has gone, so the change is lost (change the session in an HTTP route)`
    : `fastify-cookie-session: the session was changed after the response to ${route} was sent; the change is lost (for a streamed reply, change the session before returning the stream)`)
}
