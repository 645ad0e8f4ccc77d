// This instance's mirror of the shared revocation list, checked on every verification.
import { nowMilliseconds } from '../base/clock.js'
import { InvalidRevocationError } from '../base/errors.js'
import { Refusal } from '../base/refusal.js'
import { type SessionIdentity, userIdOf } from '../codec/stamps.js'
import type { RevocationEntry, RevocationFollower, RevocationStore } from './store.js'

/**
 * Added to every entry's life. An instance keeps accepting (and refreshing) a revoked session's
 * cookie until it hears of the revocation: normally within milliseconds, but an instance whose
 * subscriber is reconnecting after a Redis restart hears of it only once it is back.
 */
const PROPAGATION_MARGIN_SECONDS = 60
/** Expired entries are swept out of the mirror at most this often, when an entry arrives. */
const PRUNE_INTERVAL_MS = 60_000
/** A reload that failed after a reconnect is tried again this much later. */
const RELOAD_RETRY_MS = 1000

export interface EntryLifetimeOptions {
  lifetimeSeconds: number
  futureToleranceSeconds: number
  absoluteLifetimeSeconds: number | undefined
}

/**
 * How long an entry must live: the longest a cookie it refuses could still verify. Once the
 * revocation is enforced, no cookie of a refused session is signed again, so the last one was
 * signed by then (plus the margin) and verifies for `lifetimeSeconds` more, or until the
 * absolute lifetime ends, whichever is first; a signer's clock may run `futureToleranceSeconds` ahead.
 */
export function entryLifetimeMs ({ lifetimeSeconds, futureToleranceSeconds, absoluteLifetimeSeconds }: EntryLifetimeOptions): number {
  const verifiesForSeconds = Math.min(lifetimeSeconds, absoluteLifetimeSeconds ?? Infinity)
  return (verifiesForSeconds + futureToleranceSeconds + PROPAGATION_MARGIN_SECONDS) * 1000
}

/** Where the list reports a store that fails: Fastify's logger is one. */
export interface RevocationLog {
  warn (details: { err: unknown }, message: string): void
}

interface UserRevocation {
  /** Sessions of the user that began at or before this (Unix ms) are refused. */
  revokedBeforeMs: number
  expiresAtMs: number
}

/**
 * This instance's mirror of the shared revocation list. It loads the list at startup, follows
 * the store's announcements, and loads again after a reconnect; checking a session is two map
 * lookups, with no call to the store. Entries are only ever added (and expire), so a reload is
 * merged into what is there: an announcement that arrives while a reload is on its way is kept.
 */
export class RevocationList {
  readonly #store: RevocationStore
  readonly #entryLifetimeMs: number
  /** Session id → when its entry expires. */
  readonly #sessions = new Map<string, number>()
  readonly #users = new Map<string, UserRevocation>()
  #nextPruneMs = 0
  readonly #log: RevocationLog
  #retryTimer: NodeJS.Timeout | undefined
  #closed = false

  constructor (store: RevocationStore, entryLifetimeOptions: EntryLifetimeOptions, log: RevocationLog) {
    this.#store = store
    this.#entryLifetimeMs = entryLifetimeMs(entryLifetimeOptions)
    this.#log = log
  }

  /** Follows the store, then loads it: an entry added in between arrives both ways, and that is harmless. */
  async start (): Promise<void> {
    const follower: RevocationFollower = {
      entry: (entry) => this.#apply(entry, nowMilliseconds()),
      reconnected: () => this.#reload(),
      error: (error) => this.#log.warn({ err: error }, 'fastify-cookie-session: the revocation store\'s connection failed; sessions are checked against the list as it was, and it is reloaded on reconnect')
    }
    await this.#store.follow(follower)
    try {
      await this.#load()
    } catch (error) {
      await this.#store.close()
      throw error
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    await this.#store.close()
  }

  /** Why this session is refused, or undefined when it is not revoked. */
  refusal (identity: SessionIdentity): Refusal | undefined {
    if (identity.sessionId !== undefined && this.#sessions.has(identity.sessionId)) return new Refusal('revoked', 'the session was revoked')
    if (identity.userId === undefined) return undefined
    const user = this.#users.get(identity.userId)
    // At or before: a session sealed in the very millisecond of the revocation raced it, and loses.
    if (user === undefined || identity.startedAtMs > user.revokedBeforeMs) return undefined
    return new Refusal('revoked', `the user's sessions that began by ${new Date(user.revokedBeforeMs).toISOString()} were revoked`)
  }

  async revokeSession (sessionId: unknown): Promise<void> {
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new InvalidRevocationError(`revokeSession() takes a session id (request.session.id), a non-empty string; got ${JSON.stringify(sessionId)}`)
    }
    await this.#add('session', sessionId)
  }

  async revokeUser (userId: unknown): Promise<void> {
    const id = userIdOf(userId)
    if (id === undefined) throw new InvalidRevocationError(`revokeUser() takes the user id stored under userKey, a string or a number; got ${typeof userId}`)
    await this.#add('user', id)
  }

  /** Into the shared list first: if the store fails, nothing is revoked, not even here, and the caller hears of it. */
  async #add (kind: RevocationEntry['kind'], id: string): Promise<void> {
    const nowMs = nowMilliseconds()
    const entry = { kind, id, revokedAtMs: nowMs, expiresAtMs: nowMs + this.#entryLifetimeMs }
    await this.#store.add(entry)
    this.#apply(entry, nowMs)
  }

  async #load (): Promise<void> {
    const nowMs = nowMilliseconds()
    this.#nextPruneMs = 0
    for (const entry of await this.#store.load(nowMs)) this.#apply(entry, nowMs)
  }

  #reload (): void {
    if (this.#closed) return
    this.#load().catch((error: unknown) => {
      this.#log.warn({ err: error }, `fastify-cookie-session: could not reload the revocation list after a reconnect; trying again in ${RELOAD_RETRY_MS} ms`)
      if (this.#retryTimer !== undefined || this.#closed) return
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined
        this.#reload()
      }, RELOAD_RETRY_MS).unref()
    })
  }

  #apply (entry: RevocationEntry, nowMs: number): void {
    this.#prune(nowMs)
    if (entry.kind === 'session') {
      this.#sessions.set(entry.id, Math.max(entry.expiresAtMs, this.#sessions.get(entry.id) ?? 0))
      return
    }
    const user = this.#users.get(entry.id)
    this.#users.set(entry.id, {
      revokedBeforeMs: Math.max(entry.revokedAtMs, user?.revokedBeforeMs ?? 0),
      expiresAtMs: Math.max(entry.expiresAtMs, user?.expiresAtMs ?? 0)
    })
  }

  #prune (nowMs: number): void {
    if (nowMs < this.#nextPruneMs) return
    this.#nextPruneMs = nowMs + PRUNE_INTERVAL_MS
    for (const [id, expiresAtMs] of this.#sessions) if (expiresAtMs <= nowMs) this.#sessions.delete(id)
    for (const [id, user] of this.#users) if (user.expiresAtMs <= nowMs) this.#users.delete(id)
  }
}

/** The list, or a clear error for an app that calls a revoke method without the option. */
export function requireRevocation (list: RevocationList | undefined, caller: string): RevocationList {
  if (list === undefined) throw new InvalidRevocationError(`${caller} needs the "revocation" option: register the plugin with revocation: { store, userKey }`)
  return list
}
