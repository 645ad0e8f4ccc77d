import type { FastifyInstance } from 'fastify'
import t from 'tap'
import cookieSession from '../index.js'
import { ERROR_CODES, RevocationFailedError } from '../lib/base/errors.js'
import { entryLifetimeMs, RevocationList } from '../lib/revocation/revocation-list.js'
import { memoryRevocationStore } from '../lib/revocation/memory-store.js'
import { type RevocationEntry, type RevocationFollower, type RevocationStore } from '../lib/revocation/store.js'
import { addLoginRoutes, buildApp, expectSessionValue, NOW, setCookies, stubClock, whoami } from './helpers.js'
import { waitFor } from './redis-server.js'

const { memoryRevocationStore: exportedMemoryStore } = cookieSession

/** The routes of a small app with logins: the user id lives under `user_id`. */
function routes (app: FastifyInstance): void {
  addLoginRoutes(app, { key: 'user_id' })
  app.get('/id', async (request) => request.session.id ?? 'none')
  app.get('/keys', async (request) => request.session.keys())
  app.post('/logout', async (request) => { await request.session.revoke(); return 'bye' })
}

async function revocableApp (t: Parameters<typeof buildApp>[0], store: RevocationStore = exportedMemoryStore(), options = {}) {
  return buildApp(t, { revocation: { store, userKey: 'user_id' }, ...options }, routes)
}

async function login (app: FastifyInstance, user = 'ann', cookie?: string): Promise<string> {
  const response = await app.inject({ url: `/login?user=${user}`, cookies: cookie === undefined ? {} : { session: cookie } })
  return expectSessionValue(response)
}

t.test('every session carries a random id and its start, and request.session.id shows the id', async (t) => {
  const { app } = await revocableApp(t)
  const response = await app.inject('/login')
  const cookie = expectSessionValue(response)
  const data = app.readSessionCookie(response) as Record<string, unknown>
  t.match(data._session_id, /^[\w-]{22}$/, '128 random bits, base64url')
  t.equal(response.body, data._session_id, 'the id a route reads before the first save is the one the cookie gets')
  t.type(data._issued_at, 'number')
  t.equal((await app.inject({ url: '/id', cookies: { session: cookie } })).body, data._session_id)
  t.not(await login(app), cookie, 'another login, another session')
  t.not((app.readSessionCookie(await app.inject('/login')) as Record<string, unknown>)._session_id, data._session_id)
})

t.test('without the revocation option a session has no id and nothing is added to it', async (t) => {
  const { app } = await buildApp(t, {}, routes)
  const response = await app.inject('/login')
  t.equal(response.body, 'ok', 'request.session.id is undefined')
  t.same(app.readSessionCookie(response), { user_id: 'ann' })
})

t.test('request.session.revoke() deletes the cookie, and every copy of it is refused', async (t) => {
  const { app, logs } = await revocableApp(t)
  const cookie = await login(app)
  const logout = await app.inject({ method: 'POST', url: '/logout', cookies: { session: cookie } })
  t.equal(logout.body, 'bye')
  t.match(setCookies(logout)[0], /^session=; Expires=Thu, 01 Jan 1970/, 'this response deletes the cookie')
  const replay = await app.inject({ url: '/whoami', cookies: { session: cookie } })
  t.equal(replay.body, 'nobody', 'the copy is refused like an expired cookie')
  t.match(setCookies(replay)[0], /^session=; Expires=Thu, 01 Jan 1970/, 'and deleted')
  t.ok(logs.some((line) => line.level === 20 && line.reason === 'revoked' && line.detail === 'the session was revoked'), 'the reason is logged at debug level')
  t.equal(await whoami(app, await login(app)), 'ann', 'a new login works')
})

t.test('a cookie the verification cache remembers is refused once revoked', async (t) => {
  const { app } = await revocableApp(t)
  const cookie = await login(app)
  t.equal(await whoami(app, cookie), 'ann', 'verified once, so now cached')
  t.equal(await whoami(app, cookie), 'ann', 'a cache hit')
  await app.revokeSession((await app.inject({ url: '/id', cookies: { session: await login(app, 'bob') } })).body)
  t.equal(await whoami(app, cookie), 'ann', 'revoking another session leaves this one alone')
  await app.inject({ method: 'POST', url: '/logout', cookies: { session: cookie } })
  t.equal(await whoami(app, cookie), 'nobody', 'the cached cookie is refused')
  t.equal(await whoami(app, cookie), 'nobody', 'and again, from the cache')
})

t.test('app.revokeSession(id) refuses one session, e.g. from an admin page', async (t) => {
  const { app } = await revocableApp(t)
  const first = await login(app, 'ann')
  const second = await login(app, 'ann')
  const id = (await app.inject({ url: '/id', cookies: { session: first } })).body
  await app.revokeSession(id)
  t.equal(await whoami(app, first), 'nobody')
  t.equal(await whoami(app, second), 'ann', 'the same user\'s other session lives on')
})

t.test('app.revokeUser(id) refuses every session of that user that began before it, and a login after it works', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await revocableApp(t)
  const laptop = await login(app, 'ann')
  clock.seconds = NOW + 0.25
  const phone = await login(app, 'ann')
  const bob = await login(app, 'bob')
  clock.seconds = NOW + 0.5
  await app.revokeUser('ann')
  t.equal(await whoami(app, laptop), 'nobody', 'a session of an earlier second')
  t.equal(await whoami(app, phone), 'nobody', 'a session that began earlier in the same second')
  t.equal(await whoami(app, bob), 'bob', 'another user')
  const sameMillisecond = await login(app, 'ann')
  await app.revokeUser('ann')
  t.equal(await whoami(app, sameMillisecond), 'nobody', 'a session sealed in the very millisecond of the revocation raced it, and is refused')
  clock.seconds = NOW + 0.75
  const again = await login(app, 'ann')
  t.equal(await whoami(app, again), 'ann', 'a login later in the same second works')
  clock.seconds = NOW + 5
  t.equal(await whoami(app, again), 'ann', 'and keeps working')
  await app.revokeUser('ann')
  t.equal(await whoami(app, again), 'nobody', 'until the next log-out-everywhere')
})

t.test('a login in a session that began before a log-out-everywhere starts a new session, so it works', async (t) => {
  const clock = stubClock(t, NOW)
  const { app } = await buildApp(t, { revocation: { store: exportedMemoryStore(), userKey: 'user_id' } }, (app) => {
    routes(app)
    app.get('/visit', async (request) => { request.session.set('theme', 'dark'); return request.session.id })
  })
  const visit = await app.inject('/visit')
  const anonymous = expectSessionValue(visit)
  clock.seconds = NOW + 0.5
  await app.revokeUser('ann')
  clock.seconds = NOW + 0.75
  const loginResponse = await app.inject({ url: '/login', cookies: { session: anonymous } })
  const loggedIn = expectSessionValue(loginResponse)
  t.not(loginResponse.body, visit.body, 'the login changed the session id at once (no session fixation)')
  t.equal(await whoami(app, loggedIn), 'ann', 'the login works')
  t.equal((app.readSessionCookie(loginResponse) as Record<string, unknown>).theme, 'dark', 'the data stays')
  const again = await app.inject({ url: '/login', cookies: { session: loggedIn } })
  t.equal(again.body, loginResponse.body, 'setting the same user again keeps the session')
})

t.test('two apps that share a store refuse each other\'s revocations', async (t) => {
  const store = exportedMemoryStore()
  const { app: a } = await revocableApp(t, store)
  const { app: b } = await revocableApp(t, store)
  const cookie = await login(a)
  t.equal(await whoami(b, cookie), 'ann')
  await b.revokeUser('ann')
  t.equal(await whoami(a, cookie), 'nobody')
  const late = await revocableApp(t, store)
  t.equal(await whoami(late.app, cookie), 'nobody', 'an app started later loads the list')
})

t.test('user ids are compared as strings, whatever the session holds', async (t) => {
  const { app } = await buildApp(t, { revocation: { store: exportedMemoryStore(), userKey: 'uid' } }, (app) => {
    app.get('/numeric', async (request) => { request.session.set('uid', 7); return 'ok' })
    app.get('/object', async (request) => { request.session.set('uid', { id: 7 }); return 'ok' })
    app.get('/whoami', async (request) => JSON.stringify(request.session.get('uid') ?? null))
  })
  const numeric = expectSessionValue(await app.inject('/numeric'))
  const object = expectSessionValue(await app.inject('/object'))
  await app.revokeUser('7')
  t.equal(await whoami(app, numeric), 'null')
  t.equal(await whoami(app, object), '{"id":7}', 'a value that is not a string or number is no user id')
})

t.test('a store that fails: revoke() rejects with a clear error and the session is left as it was', async (t) => {
  const store = memoryRevocationStore()
  const failing: RevocationStore = { ...store, add: async () => { throw new RevocationFailedError('could not store the revocation: the store is down') } }
  const { app } = await buildApp(t, { revocation: { store: failing, userKey: 'user_id' } }, (app) => {
    routes(app)
    app.post('/try-logout', async (request) => {
      const error = await request.session.revoke().catch((error: Error & { code: string }) => error)
      return { code: (error as { code?: string }).code, user: request.session.get('user_id') }
    })
  })
  const cookie = await login(app)
  const response = await app.inject({ method: 'POST', url: '/try-logout', cookies: { session: cookie } })
  t.same(response.json(), { code: ERROR_CODES.REVOCATION_FAILED, user: 'ann' })
  t.same(setCookies(response), [], 'no deletion cookie: nothing was revoked')
  const unhandled = await app.inject({ method: 'POST', url: '/logout', cookies: { session: cookie } })
  t.equal(unhandled.statusCode, 503, 'left to Fastify, the error is a 503')
  t.equal(await whoami(app, cookie), 'ann')
  await t.rejects(app.revokeUser('ann'), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED' })
})

t.test('revoking without the option, or with a wrong id, fails with a clear error', async (t) => {
  const { app: plain } = await buildApp(t, {}, routes)
  await t.rejects(plain.revokeUser('ann'), { code: 'FST_COOKIE_SESSION_INVALID_REVOCATION', message: /app.revokeUser\(\) needs the "revocation" option/ })
  await t.rejects(plain.revokeSession('x'), { code: 'FST_COOKIE_SESSION_INVALID_REVOCATION', message: /app.revokeSession\(\)/ })
  t.equal((await plain.inject({ method: 'POST', url: '/logout' })).statusCode, 500)
  const { app } = await revocableApp(t)
  await t.rejects(app.revokeSession(''), { code: 'FST_COOKIE_SESSION_INVALID_REVOCATION', message: /non-empty string/ })
  await t.rejects(app.revokeUser({} as string), { code: 'FST_COOKIE_SESSION_INVALID_REVOCATION', message: /a string or a number; got object/ })
})

t.test('revoke() in a session that came without a cookie just empties it: nothing to refuse, no store call', async (t) => {
  const store = memoryRevocationStore()
  const { app } = await revocableApp(t, { ...store, add: async () => { throw new Error('not called') } })
  const response = await app.inject({ method: 'POST', url: '/logout' })
  t.equal(response.body, 'bye')
  t.match(setCookies(response)[0], /^session=;/, 'a deletion cookie, as clear() sends')
})

t.test('a cookie made before revocation was turned on is accepted, given an id, and refused by revokeUser', async (t) => {
  const { app: before } = await buildApp(t, {}, routes)
  const old = await login(before)
  const { app } = await revocableApp(t)
  const upgrade = await app.inject({ url: '/whoami', cookies: { session: old } })
  t.equal(upgrade.body, 'ann')
  t.match((app.readSessionCookie(upgrade) as Record<string, unknown>)._session_id, /^[\w-]{22}$/, 'the response gives it an id and a start')
  const upgraded = expectSessionValue(upgrade)
  await app.revokeUser('ann')
  t.equal(await whoami(app, old), 'nobody', 'without a start, it began before any revocation')
  t.equal(await whoami(app, upgraded), 'nobody')
})

t.test('with absoluteLifetimeSeconds too, the one start serves both', async (t) => {
  const clock = stubClock(t, NOW + 0.5)
  const { app } = await revocableApp(t, exportedMemoryStore(), { absoluteLifetimeSeconds: 100, refreshEachRequest: false })
  const cookie = await login(app)
  t.equal((await app.inject({ url: '/keys', cookies: { session: cookie } })).body, '["user_id","_issued_at","_session_id"]')
  clock.seconds = NOW + 100
  t.equal(await whoami(app, cookie), 'ann', 'within the absolute lifetime')
  clock.seconds = NOW + 101
  t.equal(await whoami(app, cookie), 'nobody', 'out after it, counted in whole seconds as before')
})

t.test('an entry lives as long as a cookie it refuses could still verify, and no longer', async (t) => {
  t.equal(entryLifetimeMs({ lifetimeSeconds: 600, futureToleranceSeconds: 5, absoluteLifetimeSeconds: undefined }), (600 + 5 + 60) * 1000, 'lifetime + clock tolerance + propagation margin')
  t.equal(entryLifetimeMs({ lifetimeSeconds: 600, futureToleranceSeconds: 0, absoluteLifetimeSeconds: 300 }), (300 + 60) * 1000, 'the absolute lifetime, when shorter')
  const clock = stubClock(t, NOW)
  const store = memoryRevocationStore()
  const { app } = await buildApp(t)
  const list = new RevocationList(store, { lifetimeSeconds: 600, futureToleranceSeconds: 5, absoluteLifetimeSeconds: undefined }, app.log)
  await list.start()
  t.teardown(() => list.close())
  await list.revokeSession('old')
  await list.revokeUser('ann')
  const ann = { sessionId: 'other', userId: 'ann', startedAtMs: NOW * 1000 - 1 }
  clock.seconds = NOW + 664
  await list.revokeSession('new')
  t.match(list.refusal({ sessionId: 'old', userId: undefined, startedAtMs: 0 }), { code: 'revoked', detail: 'the session was revoked' }, 'kept until it expires')
  t.match(list.refusal(ann), { code: 'revoked', detail: /^the user's sessions that began by 2023-11-14T22:13:20.000Z were revoked$/ })
  clock.seconds = NOW + 725
  await list.revokeSession('newer')
  t.match(list.refusal({ sessionId: 'old', userId: undefined, startedAtMs: 0 }), undefined, 'swept out once expired (at most a minute late)')
  t.match(list.refusal(ann), undefined)
  t.match(list.refusal({ sessionId: 'new', userId: undefined, startedAtMs: 0 }), { code: 'revoked', detail: 'the session was revoked' })
  t.same((await store.load(clock.seconds * 1000)).map((entry) => entry.id), ['new', 'newer'], 'the store drops expired entries too')
})

t.test('registration fails when the store cannot load the list, and the store is closed', async (t) => {
  const store = memoryRevocationStore()
  let closed = false
  const broken: RevocationStore = { ...store, load: async () => { throw new RevocationFailedError('could not load the revocation list: the store is down') }, close: async () => { closed = true } }
  await t.rejects(buildApp(t, { revocation: { store: broken, userKey: 'user_id' } }), { code: 'FST_COOKIE_SESSION_REVOCATION_FAILED' })
  t.ok(closed)
})

t.test('a reload after a reconnect that fails is tried again a second later, and never after close', async (t) => {
  stubClock(t, NOW)
  let follower: RevocationFollower | undefined
  let loads = 0
  let failing = false
  const store: RevocationStore = {
    add: async () => {},
    load: async () => {
      loads++
      if (failing) throw new Error('still down')
      return [{ kind: 'session', id: 'missed', revokedAtMs: NOW * 1000, expiresAtMs: NOW * 1000 + 60_000 }]
    },
    follow: async (listener) => { follower = listener },
    close: async () => {}
  }
  const { app, logs } = await buildApp(t)
  const list = new RevocationList(store, { lifetimeSeconds: 600, futureToleranceSeconds: 0, absoluteLifetimeSeconds: undefined }, app.log)
  await list.start()
  const missed = { sessionId: 'missed', userId: undefined, startedAtMs: 0 }
  const { reconnected } = follower as RevocationFollower
  failing = true
  reconnected()
  reconnected()
  t.ok(await waitFor(() => loads === 3, 1000), 'two reconnects, two reloads')
  t.ok(await waitFor(() => logs.filter((line) => /could not reload the revocation list after a reconnect; trying again in 1000 ms/.test(line.msg)).length === 2, 1000), 'each failure is logged')
  failing = false
  t.ok(await waitFor(() => loads === 4, 5000), 'one retry, not two')
  t.match(list.refusal(missed), { code: 'revoked', detail: 'the session was revoked' }, 'the retry caught up')
  failing = true
  reconnected()
  await list.close()
  reconnected()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(loads, 5, 'after close, no retry and no reload')
})

t.test('a bad revocation option fails register, naming the option and the fix', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [true, /option "revocation" must be an object, \{ store: redisRevocationStore\(\{ client \}\), userKey: 'user_id' \}; got true/],
    [null, /option "revocation" must be an object/],
    [{ store: memoryRevocationStore(), userKey: 'user_id', ttl: 5 }, /unknown option "revocation.ttl"; known: store, userKey/],
    [{ userKey: 'user_id' }, /option "revocation.store" must be a revocation store: memoryRevocationStore\(\) for one process or redisRevocationStore\(\{ client \}\) for a fleet/],
    [{ store: { add () {} }, userKey: 'user_id' }, /option "revocation.store" must be a revocation store/],
    [{ store: memoryRevocationStore() }, /option "revocation.userKey" must name the session key that holds the user's id, e.g. 'user_id' .*; got undefined/],
    [{ store: memoryRevocationStore(), userKey: '' }, /option "revocation.userKey"/],
    [{ store: memoryRevocationStore(), userKey: '_session_id' }, /not one of _permanent, _issued_at, _session_id, _flashes/]
  ]
  for (const [revocation, message] of cases) {
    await t.rejects(buildApp(t, { revocation: revocation as { store: RevocationStore, userKey: string } }), { code: 'FST_COOKIE_SESSION_INVALID_OPTION', message }, JSON.stringify(revocation))
  }
})

t.test('an announcement that arrives while a reload is on its way is kept: the reload is merged, not swapped in', async (t) => {
  let follower: RevocationFollower | undefined
  stubClock(t, NOW)
  let finishLoad: ((entries: RevocationEntry[]) => void) | undefined
  let loads = 0
  // The load at startup answers at once; the reload after the reconnect waits for the test.
  const store: RevocationStore = {
    add: async () => {},
    load: () => loads++ === 0 ? Promise.resolve([]) : new Promise((resolve) => { finishLoad = resolve }),
    follow: async (listener) => { follower = listener },
    close: async () => {}
  }
  const { app } = await buildApp(t)
  const list = new RevocationList(store, { lifetimeSeconds: 600, futureToleranceSeconds: 0, absoluteLifetimeSeconds: undefined }, app.log)
  await list.start()
  const { reconnected, entry } = follower as RevocationFollower
  reconnected()
  const nowMs = NOW * 1000
  entry({ kind: 'session', id: 'announced', revokedAtMs: nowMs, expiresAtMs: nowMs + 60_000 })
  ;(finishLoad as (entries: RevocationEntry[]) => void)([{ kind: 'user', id: 'ann', revokedAtMs: nowMs, expiresAtMs: nowMs + 60_000 }])
  await new Promise((resolve) => setImmediate(resolve))
  t.match(list.refusal({ sessionId: 'announced', userId: undefined, startedAtMs: 0 }), { code: 'revoked', detail: 'the session was revoked' }, 'the announcement is still there')
  t.ok(list.refusal({ sessionId: undefined, userId: 'ann', startedAtMs: nowMs }), 'and what the reload brought')
  await list.close()
})
