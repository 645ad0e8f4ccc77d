import type { FastifyReply, FastifyRequest } from 'fastify'
import { SessionCodec } from './codec.js'
import { cookieTooLargeError, type CookieSessionError } from './errors.js'
import { MAX_COOKIE_BYTES, type ResolvedOptions } from './options.js'
import { TaggedJsonSerializer } from './serializer.js'
import { Session } from './session.js'
import { Signer } from './signer.js'
import { nowSeconds, TimestampSigner } from './timestamp-signer.js'

/** Recent verifications remembered per registration; at most this many cookies of at most 4 KB each. */
const VERIFIED_CACHE_SIZE = 1000
/** A cookie longer than any browser keeps is refused before it is decoded. */
const MAX_INCOMING_COOKIE_LENGTH = 4096
const VARY_HAS_COOKIE = /(?:^|,)\s*(?:cookie|\*)\s*(?:,|$)/i

function varyByCookie (reply: FastifyReply): void {
  const vary = reply.getHeader('vary')
  if (vary === undefined) {
    reply.header('vary', 'Cookie')
  } else if (!VARY_HAS_COOKIE.test(String(vary))) {
    reply.header('vary', `${String(vary)}, Cookie`)
  }
}

/**
 * Flask's session interface: opens a session from the request's cookie and, at the end of
 * the request, decides whether to send a new cookie, delete it, or leave it alone.
 */
export class CookieSessionInterface {
  readonly #options: ResolvedOptions
  readonly #codec: SessionCodec

  constructor (options: ResolvedOptions) {
    this.#options = options
    const signer = new Signer({ secrets: options.secrets, salt: options.format.salt(options.cookieName), digest: options.format.digest })
    this.#codec = new SessionCodec({
      timestampSigner: new TimestampSigner({ signer, maxLength: MAX_INCOMING_COOKIE_LENGTH }),
      serializer: new TaggedJsonSerializer(options.format.serializer),
      lifetimeSeconds: options.lifetimeSeconds,
      futureToleranceSeconds: options.format.futureToleranceSeconds,
      verifiedCacheSize: VERIFIED_CACHE_SIZE
    })
  }

  openSession (cookieValue: string | undefined): Session {
    return new Session(this.#codec, cookieValue)
  }

  /** Flask's `save_session`. Returns an error for Fastify's error handler when the session cannot be sent. */
  saveSession (request: FastifyRequest, reply: FastifyReply): CookieSessionError | undefined {
    const session = request.session as Session
    if (session.saved) return undefined
    session.saved = true
    session.open()
    if (session.refusal !== undefined) request.log.debug({ reason: session.refusal }, 'fastify-cookie-session: ignored the session cookie')
    let changed: boolean
    try {
      changed = session.hasChanges
    } catch (error) {
      return error as CookieSessionError
    }
    if (session.accessed) varyByCookie(reply)
    const secure = this.#isSecure(request)
    if (session.isEmpty) {
      if (changed || session.refusal !== undefined) this.#setCookie(reply, this.#options.cookie.deletionHeader(secure))
      return undefined
    }
    const permanent = session.isPermanent
    if (!changed && !(permanent && this.#options.refreshEachRequest) && !session.signedWithFallbackSecret) return undefined
    const now = nowSeconds()
    let header: string
    try {
      header = this.#options.cookie.header(this.#codec.seal(session.record, now), secure, permanent ? this.#options.lifetimeSeconds : undefined, now)
    } catch (error) {
      return error as CookieSessionError
    }
    if (header.length > MAX_COOKIE_BYTES) {
      const message = `the "${this.#options.cookieName}" cookie is ${header.length} bytes, over the ${MAX_COOKIE_BYTES}-byte limit of browsers; store less in the session (an id, not the record)`
      if (this.#options.oversizedCookie === 'error') return cookieTooLargeError(`${message}, or set oversizedCookie: 'warn' to send it anyway`)
      request.log.warn(`fastify-cookie-session: ${message}; sent anyway because oversizedCookie is 'warn'`)
    }
    this.#setCookie(reply, header)
    return undefined
  }

  #isSecure (request: FastifyRequest): boolean {
    const { secure } = this.#options.cookie
    return secure === 'auto' ? request.protocol === 'https' : secure
  }

  #setCookie (reply: FastifyReply, header: string): void {
    reply.header('set-cookie', header)
    varyByCookie(reply)
    // A shared cache must never store one user's cookie and hand it to another.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'private')
  }
}
