// The test helpers: a signed cookie for given data, the verified session of a response.
import { nowSeconds } from '../base/clock.js'
import { UnverifiedCookieError } from '../base/errors.js'
import type { CookieSessionInterface } from '../plugin/session-interface.js'
import type { RegisteredSession } from '../plugin/session-registry.js'

/**
 * A session as a plain object, the way Flask's `dict(session)` shows it: `permanent` is the
 * `_permanent` key. The one definition: index.ts gives it the app's `SessionData` as default.
 */
export type SessionCookieData<Data extends object = Record<string, unknown>> = Partial<Data> & { _permanent?: boolean }

/** What `readSessionCookie` needs of a response: its headers, as `inject` returns them. */
export interface ResponseWithHeaders {
  headers: Record<string, string | string[] | number | undefined>
}

/**
 * Flask's `client.session_transaction()` for `inject`: signs a cookie for given data with the
 * app's own settings, and reads back, verified, the session cookie a response set.
 */
export class SessionCookies {
  readonly #sessionInterface: CookieSessionInterface
  readonly #cookieName: string

  /** For the registration that owns `sessionInterface` and `cookieName`. */
  constructor ({ sessionInterface, cookieName }: Pick<RegisteredSession, 'sessionInterface' | 'cookieName'>) {
    this.#sessionInterface = sessionInterface
    this.#cookieName = cookieName
  }

  /**
   * A `Cookie` request header (`name=value`) that carries `data`, signed now. Values are checked
   * as `session.set` checks them; `_permanent: true` makes the session permanent.
   */
  sign (data: SessionCookieData): string {
    const session = this.#sessionInterface.createSession(undefined, undefined)
    for (const [key, value] of Object.entries(data)) session.set(key, value)
    return this.#sessionInterface.requestCookieHeader(session, nowSeconds())
  }

  /**
   * The session a response sent: its data when it set the cookie, `{}` when it deleted it, and
   * `undefined` when it left the cookie alone. Throws when the cookie does not verify.
   */
  read (response: ResponseWithHeaders): SessionCookieData | undefined {
    const lines = [response.headers['set-cookie'] ?? []].flat().map(String)
    const valueOf = (name: string) => lines.findLast((line) => line.startsWith(name + '='))?.split(';', 1)[0]!.slice(name.length + 1)
    let value = valueOf(this.#cookieName)
    if (value === undefined) return undefined
    if (value === '') return {}
    // A split session: the pieces `name.1`, `name.2`, … follow in order.
    for (let index = 1, piece = valueOf(`${this.#cookieName}.1`); piece !== undefined && piece !== ''; piece = valueOf(`${this.#cookieName}.${++index}`)) value += piece
    const session = this.#sessionInterface.createSession(value, undefined)
    const { incoming } = session
    incoming.open()
    if (incoming.refusal !== undefined) {
      throw new UnverifiedCookieError(`the "${this.#cookieName}" cookie of the response does not verify with this app's settings: ${incoming.refusal.detail}`)
    }
    return session.toJSON()
  }
}
