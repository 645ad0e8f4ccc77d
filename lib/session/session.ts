// `request.session`: the app's mapping, with Flask's rules.
import { InvalidOptionError } from '../base/errors.js'
import type { SessionCodec, VerifiedCookie } from '../codec/session-codec.js'
import { isPermanent, newSessionId, PERMANENT_KEY, sessionIdOf, type SessionIdentity, userIdOf } from '../codec/stamps.js'
import type { SessionRecord } from '../payload/tagged-json.js'
import { requireRevocation, type RevocationList } from '../revocation/revocation-list.js'
import type { IncomingCookie } from './incoming-cookie.js'

type Key<Data> = keyof Data & string

/**
 * `request.session`: a mapping with Flask's session rules. The cookie is verified and
 * parsed on first use, so a route that never touches the session pays nothing for it.
 *
 * Members marked internal are the session interface's view (`lib/plugin/session-interface.ts`).
 */
export class Session<Data extends object = Record<string, unknown>> {
  readonly #codec: SessionCodec
  readonly #incoming: IncomingCookie
  #record: SessionRecord | undefined
  #modified = false
  #accessed = false
  /** The JSON of the data when a nested value was first handed out; a nested change shows as a difference. */
  #baselineJson: string | undefined
  /**
   * Set once the response went out with this session: a change after that is lost, and this warns
   * about it. The interface words the warning, so the session object does not know the request.
   */
  #warnLateChange: (() => void) | undefined
  /** Unlike `modified`, which the app may reset, this stays true once the data was changed. */
  #everChanged = false
  #warnedLateChange = false
  readonly #revocationList: RevocationList | undefined
  /** With revocation on, the id a session gets when it is first saved, made when first asked for. */
  #pendingId: string | undefined

  /** @internal */
  constructor (codec: SessionCodec, incoming: IncomingCookie, revocationList?: RevocationList) {
    this.#codec = codec
    this.#incoming = incoming
    this.#revocationList = revocationList
  }

  /**
   * With the `revocation` option, the session's random id (for `app.revokeSession(id)`), kept in
   * the cookie as `_session_id`; a new session has one already. `undefined` without the option.
   */
  get id (): string | undefined {
    if (this.#codec.stamps.revocationUserKey === undefined) return undefined
    return sessionIdOf(this.#read()) ?? this.pendingId
  }

  /** @internal The id a session without one is saved with. */
  get pendingId (): string {
    this.#pendingId ??= newSessionId()
    return this.#pendingId
  }

  /**
   * Ends this session everywhere: the response deletes the cookie, and every copy of it is
   * refused on every instance. Resolves once the revocation is stored; when the store cannot be
   * reached it rejects (`FST_COOKIE_SESSION_REVOCATION_FAILED`) and the session is left as it was.
   */
  async revoke (): Promise<void> {
    const revocationList = requireRevocation(this.#revocationList, 'request.session.revoke()')
    const verified = this.#incoming.open()
    // Only a session that came in a cookie has copies to refuse; one made in this request was never sent.
    const sessionId = verified === undefined ? undefined : (verified.identity as SessionIdentity).sessionId
    if (sessionId !== undefined) await revocationList.revokeSession(sessionId)
    this.clear()
  }

  /** The value under `key`, or `fallback` (default `undefined`) when there is none. */
  get<K extends Key<Data>>(key: K): Data[K] | undefined
  get<K extends Key<Data>>(key: K, fallback: Exclude<Data[K], undefined>): Exclude<Data[K], undefined>
  get<K extends Key<Data>, F>(key: K, fallback: F): Exclude<Data[K], undefined> | F
  get (key: string, fallback?: unknown): unknown {
    const record = this.#read()
    const value = record.get(key)
    if (value === undefined) return fallback
    this.#watchNested(record, value)
    return value
  }

  /** Stores a JSON value, `Date` or `Uint8Array`; `undefined` removes the key. Throws a `TypeError` for anything else. */
  set<K extends Key<Data>>(key: K, value: Data[K] | undefined): void {
    const record = this.#read()
    if (value === undefined) {
      this.delete(key)
      return
    }
    this.#codec.serializer.assertStorable(key, value)
    if (key === this.#codec.stamps.revocationUserKey && this.#incoming.verified !== undefined && userIdOf(record.get(key)) !== userIdOf(value)) this.#startAnew(record)
    record.set(key, value)
    this.#change()
  }

  /** Removes `key` and returns its value, or `fallback` when there was none. */
  pop<K extends Key<Data>>(key: K): Data[K] | undefined
  pop<K extends Key<Data>>(key: K, fallback: Exclude<Data[K], undefined>): Exclude<Data[K], undefined>
  pop<K extends Key<Data>, F>(key: K, fallback: F): Exclude<Data[K], undefined> | F
  pop (key: string, fallback?: unknown): unknown {
    const record = this.#read()
    const value = record.get(key)
    if (value === undefined) return fallback
    record.delete(key)
    this.#change()
    return value
  }

  /** Removes `key`; true when it was there. */
  delete (key: Key<Data>): boolean {
    const removed = this.#read().delete(key)
    if (removed) this.#change()
    return removed
  }

  has (key: Key<Data>): boolean {
    return this.#read().has(key)
  }

  /** Removes every key, `permanent` included; the cookie is deleted at the end of the request. */
  clear (): void {
    this.#read().clear()
    this.#change()
  }

  /**
   * Starts a fresh session at login, against session fixation: removes every key except
   * `keepKeys` (`permanent` too, unless `'_permanent'` is listed), so nothing planted before
   * login survives, and the response carries a newly signed cookie (with `absoluteLifetimeSeconds`,
   * a new session starts a new lifetime). `@fastify/passport` calls it at login with the keys it
   * keeps, and at logout without any.
   */
  regenerate (keepKeys: readonly string[] = []): void {
    const record = this.#read()
    for (const key of [...record.keys()]) {
      if (!keepKeys.includes(key)) record.delete(key)
    }
    this.#change()
  }

  keys (): Array<Key<Data>> {
    return [...this.#read().keys()] as Array<Key<Data>>
  }

  /** A plain-object copy of the data (nested values are shared, and changes to them are detected). */
  toJSON (): Partial<Data> {
    const record = this.#read()
    const copy: Record<string, unknown> = {}
    for (const [key, value] of record) {
      this.#watchNested(record, value)
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
    }
    return copy as Partial<Data>
  }

  /** The same copy as `toJSON()`, under the name `@fastify/passport` and `@fastify/secure-session` use. */
  data (): Partial<Data> {
    return this.toJSON()
  }

  /** Flask's `session.permanent`: a `Max-Age` cookie that lives `lifetimeSeconds`, kept in the data as `_permanent`. */
  get permanent (): boolean {
    return isPermanent(this.#read())
  }

  set permanent (permanent: boolean) {
    this.#read().set(PERMANENT_KEY, Boolean(permanent))
    this.#change()
  }

  /** True once the data was changed; set it yourself to force a new cookie, as in Flask. */
  get modified (): boolean {
    return this.#modified
  }

  set modified (modified: boolean) {
    if (modified) this.#change()
    else this.#modified = false
  }

  /** True once the route read or wrote the session; the response then varies by cookie. */
  get accessed (): boolean {
    return this.#accessed
  }

  /** True when the request brought no valid session cookie. */
  get isNew (): boolean {
    this.#read()
    return this.#incoming.verified === undefined
  }

  /** @internal True once the response carried this session; a second `onSend` pass (error replies) leaves it alone. */
  get saved (): boolean {
    return this.#warnLateChange !== undefined
  }

  /** @internal `warnLateChange` is called once, at the first change after the response went out. */
  markSaved (warnLateChange: () => void): void {
    this.#warnLateChange = warnLateChange
  }

  /** @internal The cookie the request brought, verified on first use. */
  get incoming (): IncomingCookie {
    return this.#incoming
  }

  /** @internal `permanent` without counting as an access. */
  get isPermanent (): boolean {
    return isPermanent(this.#data())
  }

  /** @internal True once the route used the session (read or changed it): only then is its cookie verified at the end of the request. */
  get touched (): boolean {
    return this.#accessed || this.#everChanged
  }

  /** @internal Flask's "empty": no keys at all (`_permanent` alone is not empty). */
  get isEmpty (): boolean {
    return this.#data().size === 0
  }

  /**
   * @internal Modified, or a nested value handed out earlier was changed in place: compares the
   * data with what was handed out (once, at save time), marks the session modified when it
   * differs, and throws when the data can no longer be serialized.
   */
  detectChanges (): boolean {
    if (this.#modified) return true
    if (this.#baselineJson === undefined) return false
    const changedInPlace = this.#codec.serializer.dumpJson(this.#data()) !== this.#baselineJson
    this.#baselineJson = undefined
    if (changedInPlace) {
      this.#modified = true
      this.#everChanged = true
    }
    return changedInPlace
  }

  /** @internal The verified incoming cookie when the data is still exactly what it carried, so it can be re-signed as it is. */
  unchangedCookie (): VerifiedCookie | undefined {
    return this.#everChanged || this.detectChanges() ? undefined : this.#incoming.verified
  }

  /** @internal The data to sign. */
  get record (): SessionRecord {
    return this.#data()
  }

  /**
   * A login (the user key set or changed) in a session that came in a cookie starts a new
   * session: a new id and start, so a "log out everywhere" made before it does not refuse it,
   * and an id known before the login (session fixation) is worth nothing after it.
   */
  #startAnew (record: SessionRecord): void {
    this.#codec.stamps.startAnew(record)
    this.#pendingId = undefined
  }

  #change (): void {
    this.#modified = true
    this.#everChanged = true
    if (this.#warnLateChange === undefined || this.#warnedLateChange) return
    this.#warnedLateChange = true
    this.#warnLateChange()
  }

  #data (): SessionRecord {
    if (this.#record === undefined) {
      const verified = this.#incoming.open()
      // A cookie verified just now comes with its data; a remembered one is parsed.
      this.#record = verified === undefined ? new Map() : verified.record ?? this.#codec.parse(verified)
    }
    return this.#record
  }

  #read (): SessionRecord {
    this.#accessed = true
    return this.#data()
  }

  #watchNested (record: SessionRecord, value: unknown): void {
    if (typeof value === 'object' && value !== null && !this.#modified && this.#baselineJson === undefined) {
      this.#baselineJson = this.#codec.serializer.dumpJson(record)
    }
  }
}

/**
 * What `request[sessionName]` holds on a route with `config: { session: false }`: any use throws an
 * error that says why, rather than "cannot read properties of null". Symbols and `then` stay
 * undefined, so inspecting or awaiting it does not throw.
 */
export function turnedOffSession (sessionName: string): Session {
  return new Proxy({}, {
    get (_target, property) {
      if (typeof property === 'symbol' || property === 'then') return undefined
      throw new InvalidOptionError(`request.${sessionName} is turned off on this route by its config: { session: false }; remove that to use the session here`)
    }
  }) as Session
}
