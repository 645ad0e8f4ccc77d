// The keys the plugin stamps into a session (permanence, start, id), and the one place that reads and writes them.
import { randomBytes } from 'node:crypto'
import { nowMilliseconds } from '../base/clock.js'
import type { SessionRecord } from '../payload/tagged-json.js'

/** Flask's `session.permanent`, kept in the data as Flask keeps it. */
export const PERMANENT_KEY = '_permanent'
/**
 * Where the session's start is kept when `absoluteLifetimeSeconds` is on (whole Unix seconds),
 * or revocation (Unix seconds with milliseconds as a fraction: a login in the same second as a
 * "log out everywhere" must be told apart from a session that began before it).
 */
export const ISSUED_AT_KEY = '_issued_at'
/** Where a session's random id is kept when revocation is on (not `_id`: Flask-Login uses that). */
export const SESSION_ID_KEY = '_session_id'
/** Every key the plugin stamps into the session data for itself. */
export const STAMP_KEYS = [PERMANENT_KEY, ISSUED_AT_KEY, SESSION_ID_KEY] as const

/** 16 random bytes: 128 bits, as OWASP asks of a session id. */
const SESSION_ID_BYTES = 16

/** What the revocation list is asked about a session. */
export interface SessionIdentity {
  /** Undefined for a cookie made before revocation was turned on. */
  sessionId: string | undefined
  /** The value under `userKey` as a string; undefined when the session has no user (or one that is not a string or number). */
  userId: string | undefined
  /** When the session began, in Unix milliseconds; -Infinity when the cookie does not say, so every "log out everywhere" refuses it. */
  startedAtMs: number
}

/** What a verified cookie's stamps say, read once when it is opened. */
export interface CookieStamps {
  permanent: boolean
  /** When the session began (the absolute lifetime's start), if it records that. */
  issuedAtSeconds: number | undefined
  /** With revocation on: the session's id, user and start, checked on every verification. */
  identity: SessionIdentity | undefined
}

export function newSessionId (): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url')
}

/** User ids are compared as strings, so `revokeUser(7)` and `revokeUser('7')` mean the same user. */
export function userIdOf (value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

export function isPermanent (record: SessionRecord): boolean {
  return record.get(PERMANENT_KEY) === true
}

export function sessionIdOf (record: SessionRecord): string | undefined {
  const stored = record.get(SESSION_ID_KEY)
  return typeof stored === 'string' ? stored : undefined
}

export interface SessionStampsOptions {
  /** True when `absoluteLifetimeSeconds` is on: a session records when it began. */
  absoluteLifetime: boolean
  /** With revocation on, the session key that holds the user's id. */
  revocationUserKey: string | undefined
}

/**
 * The one place that decides the stamps a session carries: its permanence, its start (for the
 * absolute lifetime and revocation) and its id (for revocation). The codec reads them from each
 * cookie it opens; the session interface stamps a session before it is sealed; the session
 * starts anew at a login.
 */
export class SessionStamps {
  /** True when sessions must record when they began. */
  readonly tracksIssuedAt: boolean
  /** With revocation on, the session key that holds the user's id; undefined when revocation is off. */
  readonly revocationUserKey: string | undefined

  constructor ({ absoluteLifetime, revocationUserKey }: SessionStampsOptions) {
    this.tracksIssuedAt = absoluteLifetime || revocationUserKey !== undefined
    this.revocationUserKey = revocationUserKey
  }

  read (record: SessionRecord): CookieStamps {
    const issuedAt = record.get(ISSUED_AT_KEY)
    return {
      permanent: isPermanent(record),
      issuedAtSeconds: typeof issuedAt === 'number' ? Math.floor(issuedAt) : undefined,
      identity: this.revocationUserKey === undefined ? undefined : this.#identity(record, this.revocationUserKey, issuedAt)
    }
  }

  /** True when the cookie carries every stamp these options ask for, so it can be re-signed as it came. */
  isStamped (stamps: CookieStamps): boolean {
    return (!this.tracksIssuedAt || stamps.issuedAtSeconds !== undefined) &&
      (stamps.identity === undefined || stamps.identity.sessionId !== undefined)
  }

  /**
   * Gives `record` the stamps it lacks before it is sealed at `signedAtSeconds`: its start when
   * the lifetime is absolute, and its id (the session's `pendingId`, made only when asked for)
   * and start, to the millisecond, when revocation is on.
   */
  stamp (record: SessionRecord, signedAtSeconds: number, session: { readonly pendingId: string }): void {
    const revocable = this.revocationUserKey !== undefined
    if (this.tracksIssuedAt && !record.has(ISSUED_AT_KEY)) record.set(ISSUED_AT_KEY, revocable ? nowMilliseconds() / 1000 : signedAtSeconds)
    if (revocable && sessionIdOf(record) === undefined) record.set(SESSION_ID_KEY, session.pendingId)
  }

  /**
   * A login in a session that came in a cookie starts a new session: a new id and start, so a
   * "log out everywhere" made before it does not refuse it, and an id known before the login
   * (session fixation) is worth nothing after it.
   */
  startAnew (record: SessionRecord): void {
    record.delete(SESSION_ID_KEY)
    record.delete(ISSUED_AT_KEY)
  }

  /** `issuedAt` holds the start in Unix seconds, with milliseconds as a fraction when revocation stamped it. */
  #identity (record: SessionRecord, userKey: string, issuedAt: unknown): SessionIdentity {
    return {
      sessionId: sessionIdOf(record),
      userId: userIdOf(record.get(userKey)),
      startedAtMs: typeof issuedAt === 'number' ? Math.round(issuedAt * 1000) : -Infinity
    }
  }
}
