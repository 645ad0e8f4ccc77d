// What a revocation store does, and the entries it keeps.
/** One revocation: every cookie of the session `id`, or every session of the user `id` that began before `revokedAtMs`. */
export interface RevocationEntry {
  kind: 'session' | 'user'
  id: string
  revokedAtMs: number
  /** After this, no cookie the entry refuses can verify any more, so the entry may go. */
  expiresAtMs: number
}

/** What a store tells the instance that follows it. */
export interface RevocationFollower {
  /** An entry was added, by this instance or another. */
  entry (entry: RevocationEntry): void
  /** The connection came back: entries added meanwhile may have been missed, so load the list again. */
  reconnected (): void
  /** The connection failed; the store keeps trying to reconnect. */
  error (error: Error): void
}

/**
 * Where the revocation list is shared. `memoryRevocationStore()` for one process,
 * `redisRevocationStore({ client })` for a fleet; the plugin only reads it at startup and
 * after a reconnect, and follows it in between, so a request never waits on it.
 */
export interface RevocationStore {
  /** Resolves once the entry is stored and announced; rejects (`FST_COOKIE_SESSION_REVOCATION_FAILED`) when it cannot be. */
  add (entry: RevocationEntry): Promise<void>
  /** Every entry that has not expired at `nowMs`. */
  load (nowMs: number): Promise<RevocationEntry[]>
  /** Starts telling `follower` about changes; resolves once it listens. */
  follow (follower: RevocationFollower): Promise<void>
  /** Stops following; a client the store was given stays open (its owner closes it). */
  close (): Promise<void>
}
