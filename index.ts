import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { ERROR_CLASSES, ERROR_CODES } from './lib/base/errors.js'
import type { CookieOptions } from './lib/cookies/cookie-writer.js'
import { assertFlashIsFree, flashAttacher, type FlashedMessage, type FlashedMessagesOptions, type FlashRequest as FlashRequestMethods, kTakenFlashes } from './lib/plugin/flash.js'
import { type CookieSessionOptions, resolveOptions } from './lib/plugin/options.js'
import { CookieSessionInterface } from './lib/plugin/session-interface.js'
import { kSessionRegistry, type SessionChoice, SessionRegistry } from './lib/plugin/session-registry.js'
import { memoryRevocationStore } from './lib/revocation/memory-store.js'
import { redisRevocationStore, type RedisClientLike, type RedisRevocationStoreOptions as RedisRevocationStoreOptionsType } from './lib/revocation/redis-store.js'
import { RevocationList } from './lib/revocation/revocation-list.js'
import { type RevocationStore } from './lib/revocation/store.js'
import { type Session, turnedOffSession } from './lib/session/session.js'
import { type ResponseWithHeaders, type SessionCookieData as SessionCookieDataOf, SessionCookies } from './lib/testing/session-cookies.js'

/** The registry of the app's sessions and what reaches every one of them, decorated by the first registration. */
function decorateOnce (fastify: FastifyInstance): SessionRegistry {
  const registry = new SessionRegistry()
  fastify.decorate(kSessionRegistry, registry)
  fastify.decorateReply('commitSession', function commitSession (this: FastifyReply) {
    registry.commitEvery(this.request, this)
  })
  fastify.decorate('signSessionCookie', (data: fastifyCookieSession.SessionCookieData, choice?: SessionChoice) =>
    new SessionCookies(registry.choose(choice, 'app.signSessionCookie')).sign(data))
  fastify.decorate('readSessionCookie', (response: ResponseWithHeaders, choice?: SessionChoice) =>
    new SessionCookies(registry.choose(choice, 'app.readSessionCookie')).read(response) as fastifyCookieSession.SessionCookieData | undefined)
  fastify.decorate('revokeUser', async (userId: string | number) => { await registry.revokeUser(userId) })
  fastify.decorate('revokeSession', async (sessionId: string) => { await registry.revokeSession(sessionId) })
  return registry
}

async function cookieSession (fastify: FastifyInstance, options: CookieSessionOptions): Promise<void> {
  // A split session must come back within the server's header limit; Node's default applies when the server sets none.
  const resolved = resolveOptions(options, (fastify.server as { maxHeaderSize?: number }).maxHeaderSize)
  for (const warning of resolved.warnings) fastify.log.warn(warning)
  const revocationList = resolved.revocation === undefined
    ? undefined
    : new RevocationList(resolved.revocation.store, { ...resolved, futureToleranceSeconds: resolved.format.futureToleranceSeconds }, fastify.log)
  const sessionInterface = new CookieSessionInterface(resolved, revocationList)
  const { cookieName, sessionName } = resolved

  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie)

  const registry = fastify.hasDecorator(kSessionRegistry)
    ? (fastify as unknown as { [kSessionRegistry]: SessionRegistry })[kSessionRegistry]
    : decorateOnce(fastify)
  registry.add(fastify, { sessionName, cookieName, flash: resolved.flash, sessionInterface, revocationList })
  fastify.decorateRequest(sessionName, null)
  const sessionTurnedOff = turnedOffSession(sessionName)

  if (resolved.flash) {
    // @fastify/flash needs a session decorator, so it can only come after this plugin: check once all is registered.
    fastify.addHook('onReady', async function checkFlashIsFree () { assertFlashIsFree(this) })
    fastify.decorateRequest(kTakenFlashes, null)
    fastify.addHook('onRequest', flashAttacher(sessionName))
  }

  if (revocationList !== undefined) {
    await revocationList.start()
    fastify.addHook('onClose', () => revocationList.close())
  }

  // @fastify/cookie's own onRequest hook, registered first, has parsed the header unless the app moved or turned off that hook.
  fastify.addHook('onRequest', function attachSessions (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const sessions = request as unknown as Record<string, Session>
    if (request.routeOptions.config.session === false) {
      sessions[sessionName] = sessionTurnedOff
    } else {
      const header = request.headers.cookie
      const cookies = request.cookies ?? (header === undefined ? undefined : fastify.parseCookie(header))
      sessions[sessionName] = sessionInterface.createSession(cookies?.[cookieName], header, cookies)
    }
    done()
  })

  // A WebSocket route (@fastify/websocket) hijacks the upgrade before its handler runs, so onSend never
  // comes: the session is marked as sent just before the handler, and a change there warns instead of vanishing.
  fastify.addHook('onRoute', function watchWebSocketRoute (routeOptions) {
    const { websocket, wsHandler } = routeOptions as { websocket?: boolean, wsHandler?: unknown }
    if (websocket !== true && typeof wsHandler !== 'function') return
    routeOptions.preHandler = [routeOptions.preHandler ?? [], function markSessionSent (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      // request.ws, set by @fastify/websocket: this request is the upgrade, not a plain GET of the same URL.
      if ((request as { ws?: boolean }).ws === true) sessionInterface.markUpgradeSent(request)
      done()
    }].flat()
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
  export type SessionCookieData<Data extends object = SessionData> = SessionCookieDataOf<Data>
  /** The request properties that hold a session: `'session'` and each `sessionName` declared as `FastifySession<…>` on `FastifyRequest`. */
  export type SessionName = { [Name in keyof FastifyRequest]-?: FastifyRequest[Name] extends Session<any> ? Name : never }[keyof FastifyRequest]
  /** The data type of the session `request[Name]`. */
  export type SessionDataOf<Name extends SessionName> = FastifyRequest[Name] extends Session<infer Data> ? Data : never
  /** The test helpers' second argument: the session to sign or read, when the app has several. */
  export interface SessionCookieChoice<Name extends SessionName = SessionName> {
    sessionName: Name
  }
  export type SessionRevocationStore = RevocationStore
  export type RedisRevocationStoreOptions = RedisRevocationStoreOptionsType
  export type RedisRevocationClient = RedisClientLike
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session<fastifyCookieSession.SessionData>
  }
  interface FastifyContextConfig {
    /** `false`: the route never needs a session and skips the plugin's work; `request.session` throws there. */
    session?: boolean
  }
  interface FastifyReply {
    /**
     * Writes the session's headers onto `reply.raw` now. Only for `reply.hijack()` routes, where
     * Fastify's `onSend` hook never runs; call it before writing the response head.
     */
    commitSession (): void
  }
  interface FastifyInstance {
    /**
     * For tests, as Flask's `session_transaction()`: a `Cookie` header (`name=value`) carrying `data`, signed with this app's settings.
     * `{ sessionName }` picks the session when the app has several; without it, `request.session`'s (or the only one).
     */
    signSessionCookie<Name extends fastifyCookieSession.SessionName = 'session'> (
      data: fastifyCookieSession.SessionCookieData<fastifyCookieSession.SessionDataOf<Name>>,
      choice?: fastifyCookieSession.SessionCookieChoice<Name>
    ): string
    /** For tests: the session a response set, verified; `{}` when it deleted the cookie, `undefined` when it sent none. `{ sessionName }` as for `signSessionCookie`. */
    readSessionCookie<Name extends fastifyCookieSession.SessionName = 'session'> (
      response: ResponseWithHeaders,
      choice?: fastifyCookieSession.SessionCookieChoice<Name>
    ): fastifyCookieSession.SessionCookieData<fastifyCookieSession.SessionDataOf<Name>> | undefined
    /** With the `revocation` option: refuses, on every instance, every session of this user that began before now (in every session registered with revocation). */
    revokeUser (userId: string | number): Promise<void>
    /** With the `revocation` option: refuses, on every instance, every cookie of the session with this id (`request.session.id`). */
    revokeSession (sessionId: string): Promise<void>
  }
}

interface FastifyCookieSession extends FastifyPluginAsync<CookieSessionOptions> {
  default: FastifyCookieSession
  fastifyCookieSession: FastifyCookieSession
  errorCodes: typeof ERROR_CODES
  /** One class per error code: `error instanceof cookieSession.errors.CookieTooLargeError`. */
  errors: typeof ERROR_CLASSES
  memoryRevocationStore: typeof memoryRevocationStore
  redisRevocationStore: typeof redisRevocationStore
}

// The namespace above carries the types and the const the value, merged under one exported name as fastify-org plugins do.
// eslint-disable-next-line @typescript-eslint/no-redeclare
const fastifyCookieSession = fp(cookieSession, { fastify: '5.x', name: 'fastify-cookie-session' }) as FastifyCookieSession
fastifyCookieSession.default = fastifyCookieSession
fastifyCookieSession.fastifyCookieSession = fastifyCookieSession
fastifyCookieSession.errorCodes = ERROR_CODES
fastifyCookieSession.errors = ERROR_CLASSES
fastifyCookieSession.memoryRevocationStore = memoryRevocationStore
fastifyCookieSession.redisRevocationStore = redisRevocationStore

export = fastifyCookieSession
// TS emits `module.exports = …` after these lines; they let Node's cjs-module-lexer see the named exports for ESM `import { … }`.
module.exports.default = fastifyCookieSession
module.exports.fastifyCookieSession = fastifyCookieSession
module.exports.errorCodes = ERROR_CODES
module.exports.errors = ERROR_CLASSES
module.exports.memoryRevocationStore = memoryRevocationStore
module.exports.redisRevocationStore = redisRevocationStore
