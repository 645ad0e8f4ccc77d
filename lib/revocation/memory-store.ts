// `memoryRevocationStore()`: the revocation list of one process.
import type { RevocationEntry, RevocationFollower, RevocationStore } from './store.js'

/** A list for one process (or several apps in one process), and for tests. It is lost when the process ends. */
export function memoryRevocationStore (): RevocationStore {
  let entries: RevocationEntry[] = []
  const followers = new Set<RevocationFollower>()
  return {
    async add (entry) {
      entries = entries.filter((kept) => kept.expiresAtMs > entry.revokedAtMs)
      entries.push(entry)
      for (const follower of followers) follower.entry(entry)
    },
    async load (nowMs) {
      return entries.filter((entry) => entry.expiresAtMs > nowMs)
    },
    async follow (follower) {
      followers.add(follower)
    },
    async close () {
      followers.clear()
    }
  }
}
