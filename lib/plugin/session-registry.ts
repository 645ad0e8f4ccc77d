// The app's sessions: unique names and cookies, and what reaches all of them (`commitSession`, revocation, the test helpers).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidOptionError } from '../base/errors.js'
import { requireRevocation, type RevocationList } from '../revocation/revocation-list.js'
import { DEFAULT_NAME } from './options.js'
import type { CookieSessionInterface } from './session-interface.js'

/** One registration of the plugin, as the app-wide parts (`reply.commitSession()`, the test helpers) see it. */
export interface RegisteredSession {
  sessionName: string
  cookieName: string
  flash: boolean
  sessionInterface: CookieSessionInterface
  /** With the `revocation` option. */
  revocationList: RevocationList | undefined
}

/** The test helpers' second argument: which session, when the app has several. */
export interface SessionChoice {
  sessionName?: string
}

/** Where the registry hangs on the instance the first registration decorated; later registrations, in that scope or below, find it. */
export const kSessionRegistry = Symbol('fastify-cookie-session.registry')

/**
 * The sessions of one app. Names and cookie names are unique app-wide: two sessions on one
 * cookie would overwrite each other in the browser, whatever Fastify scope they live in.
 */
export class SessionRegistry {
  readonly #sessions: RegisteredSession[] = []

  /** Fails `register` when `added` clashes with a registered session or with a request property Fastify or another plugin owns. */
  add (fastify: FastifyInstance, added: RegisteredSession): void {
    for (const registered of this.#sessions) {
      if (registered.sessionName === added.sessionName || registered.cookieName === added.cookieName) {
        const clash = registered.sessionName === added.sessionName ? `option "sessionName" "${added.sessionName}"` : `option "cookieName" "${added.cookieName}"`
        throw new InvalidOptionError(`${clash} is already used by another registration (sessionName "${registered.sessionName}", cookieName "${registered.cookieName}"); ` +
          'each registration needs its own sessionName (the request property) and its own cookieName')
      }
      if (registered.flash && added.flash) {
        throw new InvalidOptionError(`option "flash" is already true on the session "${registered.sessionName}"; request.flash() can serve one session only, so set flash: true on one registration`)
      }
    }
    if (fastify.hasRequestDecorator(added.sessionName)) {
      throw new InvalidOptionError(`option "sessionName" "${added.sessionName}" would overwrite request.${added.sessionName}, which Fastify or another plugin already uses; choose another name, such as 'adminSession'`)
    }
    this.#sessions.push(added)
  }

  /** The session a test helper means: the one named by `choice`, else the one named `session`, else the only one. */
  choose (choice: SessionChoice | undefined, helper: string): RegisteredSession {
    const names = this.#sessions.map((registered) => `"${registered.sessionName}"`).join(', ')
    const wanted = choice?.sessionName
    if (wanted !== undefined) {
      const named = this.#sessions.find((registered) => registered.sessionName === wanted)
      if (named === undefined) throw new InvalidOptionError(`${helper}(): no session is registered with sessionName "${wanted}"; the app has ${names}`)
      return named
    }
    const chosen = this.#sessions.find((registered) => registered.sessionName === DEFAULT_NAME) ??
      (this.#sessions.length === 1 ? this.#sessions[0] : undefined)
    if (chosen === undefined) throw new InvalidOptionError(`${helper}() needs { sessionName } to choose among the app's sessions ${names}`)
    return chosen
  }

  /** `app.revokeUser()`: in every session registered with revocation. */
  async revokeUser (userId: string | number): Promise<void> {
    await Promise.all(this.#revocationLists('app.revokeUser()').map((list) => list.revokeUser(userId)))
  }

  /** `app.revokeSession()`: ids are random, so the session is refused wherever it lives. */
  async revokeSession (sessionId: string): Promise<void> {
    await Promise.all(this.#revocationLists('app.revokeSession()').map((list) => list.revokeSession(sessionId)))
  }

  #revocationLists (caller: string): RevocationList[] {
    const lists = this.#sessions.flatMap((registered) => registered.revocationList === undefined ? [] : [registered.revocationList])
    return lists.length === 0 ? [requireRevocation(undefined, caller)] : lists
  }

  /** `reply.commitSession()`: every session the request carries goes onto the raw response. */
  commitEvery (request: FastifyRequest, reply: FastifyReply): void {
    for (const registered of this.#sessions) registered.sessionInterface.commitSession(request, reply)
  }
}
