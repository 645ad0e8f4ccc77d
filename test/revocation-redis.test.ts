import fastifyRedis from '@fastify/redis'
import Fastify, { type FastifyInstance } from 'fastify'
import Redis, { type RedisOptions } from 'ioredis'
import t, { type Test } from 'tap'
import cookieSession from '../index.js'
import { addLoginRoutes, buildApp, expectSessionValue, NOW, SECRET, stubClock, whoami } from './helpers.js'
import { startRedis, startRelay, waitFor } from './redis-server.js'

const { redisRevocationStore } = cookieSession
/** The bound: a revocation made on one instance is enforced on every other within this. */
const PROPAGATION_BOUND_MS = 100
/** How long a reconnect (ioredis waits up to 2 s between attempts) and the reload after it may take in a test. */
const RECONNECT_BUDGET_MS = 10_000

/** An ioredis client of the test's own, closed when the test ends. */
function redisClient (t: Test, port: number, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: '127.0.0.1', port, ...options })
  client.on('error', () => {})
  t.teardown(() => client.disconnect())
  return client
}

function routes (app: FastifyInstance): void {
  addLoginRoutes(app, { key: 'user_id' })
  app.post('/logout', async (request) => { await request.session.revoke(); return 'bye' })
}

/** One instance of the app, with its own connection to Redis. */
async function instance (t: Test, port: number, storeOptions: { timeoutMs?: number, keyPrefix?: string } = {}) {
  const client = redisClient(t, port)
  const built = await buildApp(t, { revocation: { store: redisRevocationStore({ client, ...storeOptions }), userKey: 'user_id' } }, routes)
  return { ...built, client }
}

t.test('a revocation on one instance is refused on another within the bound, through Redis pub/sub', async (t) => {
  const redis = await startRedis(t)
  const a = await instance(t, redis.port)
  const b = await instance(t, redis.port)
  const cookie = expectSessionValue(await a.app.inject('/login'))
  t.equal(await whoami(b.app, cookie), 'ann')
  await b.app.inject({ method: 'POST', url: '/logout', cookies: { session: cookie } })
  t.ok(await waitFor(async () => await whoami(a.app, cookie) === 'nobody', PROPAGATION_BOUND_MS, 1), 'refused on the other instance')
  const fresh = expectSessionValue(await a.app.inject('/login'))
  await a.app.revokeUser('ann')
  t.ok(await waitFor(async () => await whoami(b.app, fresh) === 'nobody', PROPAGATION_BOUND_MS, 1), 'log out everywhere, too')
  const started = await instance(t, redis.port)
  t.equal(await whoami(started.app, fresh), 'nobody', 'an instance started later loads the list')
})

t.test('a revoke call that cannot reach Redis rejects with a clear error; checks keep working from the mirror', async (t) => {
  const redis = await startRedis(t)
  const a = await instance(t, redis.port, { timeoutMs: 200 })
  const revoked = expectSessionValue(await a.app.inject('/login'))
  const kept = expectSessionValue(await a.app.inject('/login'))
  await a.app.inject({ method: 'POST', url: '/logout', cookies: { session: revoked } })

  const bob = expectSessionValue(await a.app.inject({ url: '/login', query: { user: 'bob' } }))
  process.kill(redis.process.pid as number, 'SIGSTOP')
  await t.rejects(a.app.revokeUser('bob'), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED', message: /could not store the revocation of user "bob": Redis did not answer within 200 ms/ }, 'Redis that does not answer: rejected after timeoutMs')
  t.equal(await whoami(a.app, bob), 'bob', 'not revoked here either')
  process.kill(redis.process.pid as number, 'SIGCONT')
  // What the docs warn of: the command was on its way, so once Redis wakes up it may still land (revoking is idempotent).
  t.ok(await waitFor(async () => await whoami(a.app, bob) === 'nobody', RECONNECT_BUDGET_MS), 'a timed-out revocation that reached Redis lands late, everywhere')

  await redis.kill()
  const logout = await a.app.inject({ method: 'POST', url: '/logout', cookies: { session: kept } })
  t.equal(logout.statusCode, 503, 'Redis down: request.session.revoke() fails the request at once')
  t.match(logout.json(), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED', message: /could not store the revocation of session "[\w-]+": / })
  t.equal(await whoami(a.app, kept), 'ann', 'the session that could not be revoked is left as it was')
  t.equal(await whoami(a.app, revoked), 'nobody', 'the mirror still refuses what was revoked')
  t.ok(await waitFor(() => a.logs.some((line) => line.level === 40 && /revocation store's connection failed/.test(line.msg)), RECONNECT_BUDGET_MS), 'the failing connection is logged as a warning')
})

t.test('after a reconnect the mirror catches up with what it missed', async (t) => {
  const redis = await startRedis(t)
  const relay = await startRelay(t, redis.port)
  const a = await instance(t, relay.port)
  const b = await instance(t, redis.port)
  const cookie = expectSessionValue(await a.app.inject('/login'))
  await relay.cut()
  await b.app.revokeUser('ann')
  t.equal(await whoami(a.app, cookie), 'ann', 'cut off from Redis, instance A has not heard of it')
  await relay.restore()
  t.ok(await waitFor(async () => await whoami(a.app, cookie) === 'nobody', RECONNECT_BUDGET_MS), 'back online, A loads the list again and refuses')
  const bob = expectSessionValue(await a.app.inject({ url: '/login', query: { user: 'bob' } }))
  await b.app.revokeUser('bob')
  t.ok(await waitFor(async () => await whoami(a.app, bob) === 'nobody', PROPAGATION_BOUND_MS, 1), 'and is subscribed again: a revocation made after the reconnect reaches it within the bound')
})

t.test('with persistence on, the list survives a Redis restart', async (t) => {
  const redis = await startRedis(t, { persistence: true })
  const a = await instance(t, redis.port)
  const cookie = expectSessionValue(await a.app.inject('/login'))
  await a.app.revokeUser('ann')
  await redis.kill()
  await redis.restart()
  const b = await instance(t, redis.port)
  t.equal(await whoami(b.app, cookie), 'nobody', 'an instance started after the restart loads the revocation from the append-only file')
  t.equal(await whoami(a.app, cookie), 'nobody', 'and the instance that lived through it still refuses')
})

t.test('entries live in one sorted set under keyPrefix, scored by expiry; junk on the channel is ignored', async (t) => {
  stubClock(t, NOW)
  const redis = await startRedis(t)
  const a = await instance(t, redis.port, { keyPrefix: 'myapp:revoked:' })
  const probe = redisClient(t, redis.port)
  await a.app.revokeSession('some-id')
  const [member, score] = await probe.zrange('myapp:revoked:entries', '0', '-1', 'WITHSCORES')
  t.match(member, /^session:\d+:some-id$/)
  t.ok(Number(score) > NOW * 1000, 'scored by when it expires')
  await probe.publish('myapp:revoked:changes', 'not an entry')
  await a.app.revokeUser('u:with:colons')
  t.same((await probe.zrange('myapp:revoked:entries', '0', '-1')).map((entry) => entry.replace(/:\d+:/, ':…:')), ['session:…:some-id', 'user:…:u:with:colons'])
  await probe.set('myapp:revoked:entries', 'not a sorted set')
  await t.rejects(a.app.revokeSession('x'), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED', message: /could not store the revocation of session "x": WRONGTYPE/ }, 'a command Redis refuses fails the revocation')
  await t.rejects(instance(t, redis.port, { keyPrefix: 'myapp:revoked:' }), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED', message: /could not load the revocation list: WRONGTYPE/ }, 'and the load at startup')
})

t.test('with @fastify/redis, as a user would wire it', async (t) => {
  const redis = await startRedis(t)
  const app = Fastify()
  t.teardown(() => app.close())
  // @fastify/redis first: its client must exist when the store is made.
  await app.register(fastifyRedis, { host: '127.0.0.1', port: redis.port })
  await app.register(cookieSession, { secret: SECRET, revocation: { store: redisRevocationStore({ client: app.redis }), userKey: 'user_id' } })
  routes(app)
  const other = Fastify()
  t.teardown(() => other.close())
  other.register(fastifyRedis, { host: '127.0.0.1', port: redis.port })
  // Or without awaiting: options as a function get the instance once @fastify/redis has run.
  other.register(cookieSession, (instance) => ({ secret: SECRET, revocation: { store: redisRevocationStore({ client: instance.redis }), userKey: 'user_id' } }))
  other.after(() => routes(other))
  await other.ready()
  const cookie = expectSessionValue(await app.inject('/login'))
  t.equal(await whoami(other, cookie), 'ann')
  await other.revokeUser('ann')
  t.ok(await waitFor(async () => await whoami(app, cookie) === 'nobody', PROPAGATION_BOUND_MS, 1))
})

t.test('startup fails loudly when Redis cannot be reached', async (t) => {
  const redis = await startRedis(t)
  await redis.kill()
  const client = redisClient(t, redis.port, { lazyConnect: true })
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(cookieSession, { secret: SECRET, revocation: { store: redisRevocationStore({ client, timeoutMs: 300 }), userKey: 'user_id' } }) },
    { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED', message: /could not subscribe to the revocation channel: Redis did not answer within 300 ms/ })
})

t.test('redisRevocationStore checks its options', async (t) => {
  t.throws(() => redisRevocationStore({ client: {} as Redis }), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message: /needs an ioredis client: app.redis after registering @fastify\/redis/ })
  t.throws(() => redisRevocationStore(undefined as unknown as { client: Redis }), { message: /needs an ioredis client/ })
  const client = { duplicate () {} } as unknown as Redis
  t.throws(() => redisRevocationStore({ client, keyPrefix: 7 as unknown as string }), { message: /"keyPrefix" must be a string/ })
  t.throws(() => redisRevocationStore({ client, timeoutMs: 0 }), { message: /"timeoutMs" must be a positive whole number/ })
})

t.test('a revocation after Redis came back is stored again; one made while it was down never lands later', async (t) => {
  const redis = await startRedis(t, { persistence: true })
  const a = await instance(t, redis.port)
  const b = await instance(t, redis.port)
  const ann = expectSessionValue(await a.app.inject('/login'))
  await redis.kill()
  await t.rejects(a.app.revokeUser('ann'), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED' })
  await redis.restart()
  t.ok(await waitFor(async () => { try { await a.app.revokeSession('probe'); return true } catch { return false } }, RECONNECT_BUDGET_MS), 'A writes again')
  const entries = await redisClient(t, redis.port).zrange('fastify-cookie-session:revocation:entries', '0', '-1')
  t.same(entries.map((entry) => entry.replace(/:\d+:/, ':…:')), ['session:…:probe'], 'the failed revocation was not sent again after the reconnect')
  t.equal(await whoami(a.app, ann), 'ann')
  t.equal(await whoami(b.app, ann), 'ann')
})

t.test('a Redis store used before the plugin started it says so', async (t) => {
  const store = redisRevocationStore({ client: redisClient(t, 1, { lazyConnect: true }) })
  await t.rejects(store.add({ kind: 'user', id: 'ann', revokedAtMs: 0, expiresAtMs: 1 }), { message: /the Redis connection is not open/ })
  await store.close()
})
