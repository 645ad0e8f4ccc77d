import { randomBytes } from 'node:crypto'
import type { SessionRecord } from './payload/tagged-json.js'

/** Where a session's random id is kept when revocation is on (not `_id`: Flask-Login uses that). */
export const SESSION_ID_KEY = '_session_id'
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

export function newSessionId (): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url')
}

/** User ids are compared as strings, so `revokeUser(7)` and `revokeUser('7')` mean the same user. */
export function userIdOf (value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

/** `startKey` holds the start in Unix seconds, with milliseconds as a fraction when revocation stamped it. */
export function readIdentity (record: SessionRecord, userKey: string, startKey: string): SessionIdentity {
  const sessionId = record.get(SESSION_ID_KEY)
  const startedAtSeconds = record.get(startKey)
  return {
    sessionId: typeof sessionId === 'string' ? sessionId : undefined,
    userId: userIdOf(record.get(userKey)),
    startedAtMs: typeof startedAtSeconds === 'number' ? Math.round(startedAtSeconds * 1000) : -Infinity
  }
}
