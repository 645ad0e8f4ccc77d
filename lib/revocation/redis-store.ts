// `redisRevocationStore()`: the revocation list shared through Redis (a sorted set and a channel).
import { InvalidOptionError, RevocationFailedError } from '../base/errors.js'
import type { RevocationEntry, RevocationStore } from './store.js'

/**
 * The part of an ioredis client the store uses, typed here so the package does not need
 * ioredis unless this store is used; `@fastify/redis`' `app.redis` is one. The store only
 * duplicates it: its own two connections get the options they need, and yours is left alone.
 */
export interface RedisClientLike {
  duplicate (override: RedisConnectionOverride): RedisConnectionLike
}

export interface RedisConnectionOverride {
  lazyConnect: false
  enableOfflineQueue?: false
  autoResendUnfulfilledCommands?: false
  autoResubscribe?: false
}

export interface RedisConnectionLike {
  readonly status: string
  multi (): RedisMultiLike
  zrangebyscore (key: string, min: number | string, max: number | string, withScores: 'WITHSCORES'): Promise<string[]>
  subscribe (channel: string): Promise<unknown>
  on (event: 'message', listener: (channel: string, message: string) => void): unknown
  on (event: 'ready', listener: () => void): unknown
  on (event: 'error', listener: (error: Error) => void): unknown
  once (event: 'ready', listener: () => void): unknown
  disconnect (): void
}

export interface RedisMultiLike {
  zremrangebyscore (key: string, min: number | string, max: number | string): RedisMultiLike
  zadd (key: string, score: number, member: string): RedisMultiLike
  publish (channel: string, message: string): RedisMultiLike
  exec (): Promise<Array<[Error | null, unknown]> | null>
}

export interface RedisRevocationStoreOptions {
  /** An ioredis client (`app.redis` with `@fastify/redis`), duplicated for the store's own connections. The store never closes it. */
  client: RedisClientLike
  /** Prefix of the sorted set and the pub/sub channel; default `'fastify-cookie-session:revocation:'`. */
  keyPrefix?: string
  /** How long a write or a load may take before it fails; default 1000 ms. */
  timeoutMs?: number
}

const DEFAULT_KEY_PREFIX = 'fastify-cookie-session:revocation:'
const DEFAULT_TIMEOUT_MS = 1000

/** A sorted-set member and a pub/sub message: `kind:revokedAtMs:id`, the id last because it may hold colons. */
function memberOf (entry: RevocationEntry): string {
  return `${entry.kind}:${entry.revokedAtMs}:${entry.id}`
}

function entryOf (member: string, expiresAtMs: number): RevocationEntry | undefined {
  const match = /^(session|user):(\d+):(.+)$/s.exec(member)
  if (match === null || !Number.isFinite(expiresAtMs)) return undefined
  const [, kind, revokedAtMs, id] = match as unknown as [string, RevocationEntry['kind'], string, string]
  return { kind, revokedAtMs: Number(revokedAtMs), id, expiresAtMs }
}

/**
 * Fails after `timeoutMs`: ioredis would otherwise hold a command until Redis comes back, however
 * long that takes. Every failure comes out as `FST_COOKIE_SESSION_REVOCATION_FAILED`, saying what failed.
 */
function withTimeout<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RevocationFailedError(`${what}: Redis did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  const failed = promise.catch((error: Error) => { throw new RevocationFailedError(`${what}: ${error.message}`, error) })
  return Promise.race([failed, timeout]).finally(() => clearTimeout(timer))
}

/**
 * The list in Redis: one sorted set of entries scored by their expiry time (pruned with
 * ZREMRANGEBYSCORE on every write), and a pub/sub channel that announces each new entry.
 * The write and the announcement go in one MULTI, so an entry is never stored unannounced.
 *
 * Two connections of its own, duplicated from the client: a subscriber, and a writer that
 * neither queues a command while disconnected nor sends it again after a reconnect, so a
 * revocation that failed cannot quietly take effect minutes later, once Redis is back.
 */
export function redisRevocationStore (options: RedisRevocationStoreOptions): RevocationStore {
  const { client, keyPrefix = DEFAULT_KEY_PREFIX, timeoutMs = DEFAULT_TIMEOUT_MS } = options ?? {}
  if (typeof client?.duplicate !== 'function') {
    throw new InvalidOptionError('redisRevocationStore({ client }) needs an ioredis client: app.redis after registering @fastify/redis, or new Redis(url) from ioredis')
  }
  if (typeof keyPrefix !== 'string') throw new InvalidOptionError(`redisRevocationStore option "keyPrefix" must be a string, got ${typeof keyPrefix}`)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidOptionError(`redisRevocationStore option "timeoutMs" must be a positive whole number of milliseconds, got ${JSON.stringify(timeoutMs)}`)
  const key = keyPrefix + 'entries'
  const channel = keyPrefix + 'changes'
  let subscriber: RedisConnectionLike | undefined
  let writer: RedisConnectionLike | undefined

  /** The writer, when it can take a command now. */
  function connected (what: string): RedisConnectionLike {
    if (writer?.status !== 'ready') throw new RevocationFailedError(`${what}: the Redis connection is ${writer?.status ?? 'not open'}`)
    return writer
  }

  return {
    async add (entry) {
      const what = `could not store the revocation of ${entry.kind} ${JSON.stringify(entry.id)}`
      const member = memberOf(entry)
      // exec() resolves to null only when a WATCHed key changed, and nothing is watched here.
      const replies = await withTimeout(connected(what).multi()
        .zremrangebyscore(key, '-inf', entry.revokedAtMs)
        .zadd(key, entry.expiresAtMs, member)
        .publish(channel, `${entry.expiresAtMs}:${member}`)
        .exec(), timeoutMs, what) as Array<[Error | null, unknown]>
      const failure = replies.find(([error]) => error !== null)?.[0]
      if (failure) throw new RevocationFailedError(`${what}: ${failure.message}`, failure)
    },
    async load (nowMs) {
      const what = 'could not load the revocation list'
      const flat = await withTimeout(connected(what).zrangebyscore(key, `(${nowMs}`, '+inf', 'WITHSCORES'), timeoutMs, what)
      const entries: RevocationEntry[] = []
      for (let index = 0; index < flat.length; index += 2) {
        const entry = entryOf(flat[index]!, Number(flat[index + 1]))
        if (entry !== undefined) entries.push(entry)
      }
      return entries
    },
    async follow (follower) {
      // Subscribed again by the 'ready' handler below, not by ioredis itself: its own
      // resubscribe has no handler, so a connection closed before the reply came would end
      // the process with an unhandled rejection.
      const following = client.duplicate({ lazyConnect: false, autoResubscribe: false })
      subscriber = following
      const writing = client.duplicate({ lazyConnect: false, enableOfflineQueue: false, autoResendUnfulfilledCommands: false })
      writer = writing
      writing.on('error', (error) => follower.error(error))
      let listening = false
      following.on('error', (error) => follower.error(error))
      // Only our channel is subscribed on this connection; a message that does not parse is not ours, and is skipped.
      following.on('message', (_channel, message) => {
        const colon = message.indexOf(':')
        const entry = entryOf(message.slice(colon + 1), Number(message.slice(0, colon)))
        if (entry !== undefined) follower.entry(entry)
      })
      // Once the reply to this subscribe is in, the subscription is live, so a load started after it misses nothing.
      following.on('ready', () => {
        if (!listening) return
        following.subscribe(channel).then(() => follower.reconnected(), (error: Error) => follower.error(error))
      })
      try {
        // The writer was made a moment ago, so its 'ready' is still to come.
        await Promise.all([
          withTimeout(following.subscribe(channel), timeoutMs, 'could not subscribe to the revocation channel'),
          withTimeout(new Promise((resolve) => writing.once('ready', () => resolve(undefined))), timeoutMs, 'could not connect to Redis')
        ])
      } catch (error) {
        following.disconnect()
        writing.disconnect()
        throw error
      }
      listening = true
    },
    async close () {
      subscriber?.disconnect()
      writer?.disconnect()
    }
  }
}
