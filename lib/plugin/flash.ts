// Flask's message flashing on top of the session (`flash: true`).
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { InvalidOptionError } from '../base/errors.js'
import { tuple } from '../payload/tagged-json.js'
import type { Session } from '../session/session.js'

/** Flask's session key for flashed messages: a list of `(category, message)` tuples. */
export const FLASHES_KEY = '_flashes'

export type FlashedMessage = readonly [category: string, message: string]

export interface FlashedMessagesOptions {
  /** `true` returns `[category, message]` pairs instead of messages. */
  withCategories?: boolean
  /** Only messages of these categories are returned; as in Flask, the others are taken out too. */
  categoryFilter?: readonly string[]
}

/** What the `flash: true` option adds to every request; see the README for typing it. */
export interface FlashRequest {
  /** Flask's `flash()`: keeps `message` in the session until a later request reads it. */
  flash (message: string, category?: string): void
  /** Flask's `get_flashed_messages()`: takes every flashed message out of the session (once per request) and returns them. */
  flashedMessages (options?: FlashedMessagesOptions & { withCategories?: false }): string[]
  flashedMessages (options: FlashedMessagesOptions & { withCategories: true }): FlashedMessage[]
  flashedMessages (options?: FlashedMessagesOptions): string[] | FlashedMessage[]
}

/** Flask keeps the messages it took in the request context, so every call in one request sees them. */
export const kTakenFlashes = Symbol('fastify-cookie-session.takenFlashes')

/** The part of a request the methods use; other plugins' types for `request.flash` stay out of the way. */
interface FlashingRequest {
  [sessionName: string]: unknown
  log: FastifyBaseLogger
  [kTakenFlashes]: FlashedMessage[] | null
}

function isFlashList (value: unknown): value is FlashedMessage[] {
  return Array.isArray(value) && value.every((item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && typeof item[1] === 'string')
}

/** The stored messages; a value that is not Flask's list of pairs (another app's, a hand-made cookie's) counts as none. */
function storedFlashes (request: FlashingRequest, value: unknown): FlashedMessage[] {
  if (value === undefined) return []
  if (isFlashList(value)) return value
  request.log.debug(`fastify-cookie-session: ignored the session's ${FLASHES_KEY}: it is not a list of (category, message) pairs of strings`)
  return []
}

/**
 * An `onRequest` hook that gives the request Flask's methods on the session `request[sessionName]`.
 * The methods are set per request rather than declared with `decorateRequest`, so that
 * `@fastify/flash` (which `@fastify/passport` registers too), always registered after this plugin,
 * reaches `assertFlashIsFree` and its clear message instead of Fastify's bare "The decorator
 * 'flash' has already been added!".
 */
export function flashAttacher (sessionName: string): onRequestHookHandler {
  function flash (this: FlashingRequest, message: string, category = 'message'): void {
    const session = this[sessionName] as Session
    const flashes = storedFlashes(this, session.get(FLASHES_KEY))
    // Pairs read from a cookie are plain arrays; marking them again keeps all of them Flask tuples.
    session.set(FLASHES_KEY, [...flashes.map(([category, message]) => tuple(category, message)), tuple(category, message)])
  }

  function flashedMessages (this: FlashingRequest, options: FlashedMessagesOptions = {}): string[] | FlashedMessage[] {
    // `pop` marks the session modified only when there was something to take.
    const taken = this[kTakenFlashes] ??= storedFlashes(this, (this[sessionName] as Session).pop(FLASHES_KEY))
    const { withCategories = false, categoryFilter = [] } = options
    const chosen = categoryFilter.length === 0 ? [...taken] : taken.filter(([category]) => categoryFilter.includes(category))
    return withCategories ? chosen : chosen.map(([, message]) => message)
  }

  return function attachFlash (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const flashing = request as unknown as FlashRequest
    flashing.flash = flash
    flashing.flashedMessages = flashedMessages as FlashRequest['flashedMessages']
    done()
  }
}

/** Fails when another plugin (`@fastify/flash`) declared `request.flash`; run once every plugin is registered. */
export function assertFlashIsFree (fastify: FastifyInstance): void {
  if (fastify.hasRequestDecorator('flash')) {
    throw new InvalidOptionError('option "flash" adds request.flash(), but request.flash is already taken by another plugin, likely @fastify/flash ' +
      '(@fastify/passport registers it too); use one of them: drop flash: true and use @fastify/flash\'s request.flash() and reply.flash(), or do not register @fastify/flash')
  }
}
