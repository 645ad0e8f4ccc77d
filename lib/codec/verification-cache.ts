// Recent cookies keyed by their text, bounded by bytes, oldest out first.
/** Memory for recent verifications, per registration (see `verifiedEntryBytes`): about 2,700 typical sessions, or 30 to 60 of the largest (a 4 KB cookie holding 16 KiB of JSON). */
export const VERIFIED_CACHE_BYTES = 2 * 1024 * 1024

/**
 * Entries keyed by cookie text, bounded by their bytes rather than their number, since a session
 * can be large; the oldest go first. It holds only what its owner puts in (cookies that verified
 * or were sealed here), so forged cookies cannot fill it.
 */
export class VerificationCache<Entry> {
  readonly #entries = new Map<string, Entry>()
  /**
   * Oldest first, for eviction. One iterator for the cache's life: a new one would start at the
   * Map's first slot and step over every entry deleted since the Map last compacted, about 2.5 µs
   * an eviction in a full cache of 2,800 entries, against 0.16 µs. It never runs dry: it passes
   * an entry only to delete it, and an entry set again goes to the end, ahead of it.
   */
  readonly #oldestFirst = this.#entries.entries()
  readonly #maxBytes: number
  readonly #bytesOf: (key: string, entry: Entry) => number
  #bytes = 0

  /** `bytesOf` estimates what an entry costs in memory; `maxBytes` 0 remembers none. */
  constructor (maxBytes: number, bytesOf: (key: string, entry: Entry) => number) {
    this.#maxBytes = maxBytes
    this.#bytesOf = bytesOf
  }

  get (key: string): Entry | undefined {
    return this.#entries.get(key)
  }

  /**
   * In place of what `key` had (a sealed cookie, once opened), as the newest entry; oldest out
   * first, until it fits. One larger than the whole budget is not kept.
   */
  remember (key: string, entry: Entry): void {
    const previous = this.#entries.get(key)
    if (previous !== undefined) {
      this.#entries.delete(key)
      this.#bytes -= this.#bytesOf(key, previous)
    }
    const bytes = this.#bytesOf(key, entry)
    if (bytes > this.#maxBytes) return
    while (this.#bytes + bytes > this.#maxBytes) {
      const [oldestKey, oldest] = this.#oldestFirst.next().value as [string, Entry]
      this.#entries.delete(oldestKey)
      this.#bytes -= this.#bytesOf(oldestKey, oldest)
    }
    this.#entries.set(key, entry)
    this.#bytes += bytes
  }
}
