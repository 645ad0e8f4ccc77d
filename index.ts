import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { CookieOptions } from './lib/cookie-options.js'
import { ERROR_CODES } from './lib/errors.js'
import { assertFlashIsFree, attachFlash, type FlashedMessage, type FlashedMessagesOptions, type FlashRequest as FlashRequestMethods, kTakenFlashes } from './lib/flash.js'
import { type CookieSessionOptions, resolveOptions } from './lib/options.js'
import { requireRevocation, RevocationList } from './lib/revocation-list.js'
import { memoryRevocationStore, redisRevocationStore, type RedisClientLike, type RedisRevocationStoreOptions as RedisRevocationStoreOptionsType, type RevocationStore } from './lib/revocation-store.js'
import type { Session } from './lib/session.js'
import { type ResponseWithHeaders, SessionCookies } from './lib/session-cookies.js'
import { CookieSessionInterface } from './lib/session-interface.js'

async function cookieSession (fastify: FastifyInstance, options: CookieSessionOptions): Promise<void> {
  const resolved = resolveOptions(options)
  const revocationList = resolved.revocation === undefined
    ? undefined
    : new RevocationList(resolved.revocation.store, { ...resolved, futureToleranceSeconds: resolved.format.futureToleranceSeconds }, fastify.log)
  const sessionInterface = new CookieSessionInterface(resolved, revocationList)
  const { cookieName } = resolved

  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie)

  fastify.decorateRequest('session', null as unknown as Session)
  fastify.decorateReply('commitSession', function commitSession (this: FastifyReply) {
    sessionInterface.commitSession(this.request, this)
  })

  if (resolved.flash) {
    // @fastify/flash needs a session decorator, so it can only come after this plugin: check once all is registered.
    fastify.addHook('onReady', async function checkFlashIsFree () { assertFlashIsFree(this) })
    fastify.decorateRequest(kTakenFlashes, null)
    fastify.addHook('onRequest', attachFlash)
  }

  if (revocationList !== undefined) {
    await revocationList.start()
    fastify.addHook('onClose', () => revocationList.close())
  }
  fastify.decorate('revokeUser', async (userId: string | number) => { await requireRevocation(revocationList, 'app.revokeUser()').revokeUser(userId) })
  fastify.decorate('revokeSession', async (sessionId: string) => { await requireRevocation(revocationList, 'app.revokeSession()').revokeSession(sessionId) })

  const sessionCookies = new SessionCookies(sessionInterface, cookieName)
  fastify.decorate('signSessionCookie', (data: fastifyCookieSession.SessionCookieData) => sessionCookies.sign(data))
  fastify.decorate('readSessionCookie', (response: ResponseWithHeaders) => sessionCookies.read(response) as fastifyCookieSession.SessionCookieData | undefined)

  // @fastify/cookie's own onRequest hook, registered first, has parsed the header unless the app moved or turned off that hook.
  fastify.addHook('onRequest', function openSession (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const header = request.headers.cookie
    const cookies = request.cookies ?? (header === undefined ? undefined : fastify.parseCookie(header))
    request.session = sessionInterface.openSession(cookies?.[cookieName], header)
    done()
  })

  fastify.addHook('onSend', function saveSession (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) {
    const error = sessionInterface.saveSession(request, reply)
    if (error === undefined) done(null, payload)
    else done(error)
  })
}

namespace fastifyCookieSession {
  /** Augment it to type the session: `declare module 'fastify-cookie-session' { interface SessionData { username: string } }`. */
  export interface SessionData {
    [key: string]: unknown
  }
  export type FastifyCookieSessionOptions = CookieSessionOptions
  export type SessionCookieOptions = CookieOptions
  export type FastifySession<Data extends object = SessionData> = Session<Data>
  /** With `flash: true`: `declare module 'fastify' { interface FastifyRequest extends FlashRequest {} }` types `request.flash()`. */
  export type FlashRequest = FlashRequestMethods
  export type FlashedMessagePair = FlashedMessage
  export type FlashedMessagesQuery = FlashedMessagesOptions
  /** The session as a plain object, as `readSessionCookie` returns it and `signSessionCookie` takes it: `permanent` is `_permanent`. */
  export type SessionCookieData = Partial<SessionData> & { _permanent?: boolean }
  export type SessionRevocationStore = RevocationStore
  export type RedisRevocationStoreOptions = RedisRevocationStoreOptionsType
  export type RedisRevocationClient = RedisClientLike
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session<fastifyCookieSession.SessionData>
  }
  interface FastifyReply {
    /**
     * Writes the session's headers onto `reply.raw` now. Only for `reply.hijack()` routes, where
     * Fastify's `onSend` hook never runs; call it before writing the response head.
     */
    commitSession (): void
  }
  interface FastifyInstance {
    /** For tests, as Flask's `session_transaction()`: a `Cookie` header (`name=value`) carrying `data`, signed with this app's settings. */
    signSessionCookie (data: fastifyCookieSession.SessionCookieData): string
    /** For tests: the session a response set, verified; `{}` when it deleted the cookie, `undefined` when it sent none. */
    readSessionCookie (response: ResponseWithHeaders): fastifyCookieSession.SessionCookieData | undefined
    /** With the `revocation` option: refuses, on every instance, every session of this user that began before now. */
    revokeUser (userId: string | number): Promise<void>
    /** With the `revocation` option: refuses, on every instance, every cookie of the session with this id (`request.session.id`). */
    revokeSession (sessionId: string): Promise<void>
  }
}

interface FastifyCookieSession extends FastifyPluginAsync<CookieSessionOptions> {
  default: FastifyCookieSession
  fastifyCookieSession: FastifyCookieSession
  errorCodes: typeof ERROR_CODES
  memoryRevocationStore: typeof memoryRevocationStore
  redisRevocationStore: typeof redisRevocationStore
}

// The namespace above carries the types and the const the value, merged under one exported name as fastify-org plugins do.
// eslint-disable-next-line @typescript-eslint/no-redeclare
const fastifyCookieSession = fp(cookieSession, { fastify: '5.x', name: 'fastify-cookie-session' }) as FastifyCookieSession
fastifyCookieSession.default = fastifyCookieSession
fastifyCookieSession.fastifyCookieSession = fastifyCookieSession
fastifyCookieSession.errorCodes = ERROR_CODES
fastifyCookieSession.memoryRevocationStore = memoryRevocationStore
fastifyCookieSession.redisRevocationStore = redisRevocationStore

export = fastifyCookieSession
// TS emits `module.exports = …` after these lines; they let Node's cjs-module-lexer see the named exports for ESM `import { … }`.
module.exports.default = fastifyCookieSession
module.exports.fastifyCookieSession = fastifyCookieSession
module.exports.errorCodes = ERROR_CODES
module.exports.memoryRevocationStore = memoryRevocationStore
module.exports.redisRevocationStore = redisRevocationStore
