'use strict'

/** The session every client holds: about 100 bytes of JSON, a typical logged-in session. */
const SESSION_DATA = { username: 'alice', user_id: 12345, csrf_token: '3q2-7wEAAAAx9c4bXb0sTg', role: 'editor' }

/**
 * The split rows' session: SESSION_DATA and this much incompressible text, a cookie of about
 * 10 KB that goes out in three pieces (deterministic, so every run sends the same bytes).
 */
const BULK_TEXT = require('node:crypto').createHash('shake256', { outputLength: 7500 }).update('bench').digest('base64')

/**
 * `read-cold` cycles through this many distinct valid cookies, about twice what the plugin's
 * cache of recent verifications holds of this session (2 MiB at about 755 bytes an entry: 2,777),
 * with each connection at its own offset, so nearly every request misses the cache.
 */
const COLD_COOKIE_COUNT = 5600

/** `untouched-cold` cycles through this many distinct valid cookies (issue #12's measure of a route that never touches the session). */
const UNTOUCHED_COLD_COOKIE_COUNT = 3000

/**
 * `many-users`: this many users, more than any cache holds, each with a cookie jar of its own;
 * a visit is VISIT_READS reads then one write, on a permanent session renewed on every response.
 */
const MANY_USERS_COUNT = 10_000
const VISIT_READS = 4

/** How long a permanent session lives, for the peers that need it said (ours: its default lifetime, 31 days). */
const PERMANENT_SECONDS = 31 * 24 * 3600

/**
 * What each route does:
 * - read: a valid session cookie is sent; the route returns the username.
 * - write: the route sets two keys, so the cookie is signed again.
 * - untouched: the cookie is sent; the route never touches the session.
 * - permanent-read: as read, with a permanent session (refresh-each-request signs a new cookie every time).
 * - read-cold: as read, but with COLD_COOKIE_COUNT different cookies (our verification cache misses; secure-session,
 *   which has no cache, runs it too, so its cost with as many distinct cookies can be compared).
 * - duplicate-cookies: an attack, as untouched but the Cookie header repeats `session=` up to
 *   DUPLICATE_COOKIE_COUNT times (at most DUPLICATE_HEADER_BYTES), each a distinct forgery with a
 *   signature of the right length; it should cost about what a normal request does.
 * - split-read, split-write: as read and write, with a session of about 10 KB (BULK_TEXT), split in three cookies.
 * - many-users: MANY_USERS_COUNT users, each logged in (untimed) and then sending exactly the cookies its
 *   last response set. Each connection takes the next user from a shared queue, runs one visit (VISIT_READS
 *   GET /many-users/read, then GET /many-users/write) and puts the user back, so visits interleave. The session
 *   is permanent and renewed on every response: ours by its default refreshEachRequest, the peers by their
 *   equivalent (secure-session: `touch()`; @fastify/session: `rolling`; @fastify/cookie: the signed cookie set
 *   again); bare Fastify serves the same routes with no cookie work.
 * - untouched-cold: as untouched, but with UNTOUCHED_COLD_COOKIE_COUNT distinct cookies spread over the connections.
 */
const ROUTES = ['read', 'read-cold', 'write', 'untouched', 'untouched-cold', 'permanent-read', 'duplicate-cookies', 'split-read', 'split-write', 'many-users']

const DUPLICATE_COOKIE_COUNT = 300
/** Under Node's default 16 KiB limit for all request headers. */
const DUPLICATE_HEADER_BYTES = 15_700

const VARIANTS = {
  bare: { label: 'bare Fastify', setup: 'bare', routes: ['read', 'read-cold', 'write', 'untouched', 'untouched-cold', 'duplicate-cookies', 'split-read', 'split-write', 'many-users'] },
  ours: { label: 'fastify-cookie-session', setup: 'ours', format: 'default', routes: ['read', 'read-cold', 'write', 'untouched', 'untouched-cold', 'permanent-read', 'duplicate-cookies', 'many-users'] },
  'ours-encrypted': { label: 'fastify-cookie-session (encrypted format)', setup: 'ours', format: 'encrypted', routes: ['read', 'read-cold', 'write', 'untouched', 'untouched-cold', 'permanent-read', 'many-users'] },
  'ours-split': { label: 'fastify-cookie-session (10 KB session split in 3 cookies)', setup: 'ours', format: 'default', split: true, routes: ['split-read', 'split-write'] },
  'ours-flask': { label: 'fastify-cookie-session (flask format)', setup: 'ours', format: 'flask', routes: ['read', 'write', 'untouched', 'untouched-cold', 'permanent-read', 'duplicate-cookies', 'many-users'] },
  'secure-session': { label: '@fastify/secure-session', setup: 'secure-session', routes: ['read', 'read-cold', 'write', 'untouched', 'many-users'] },
  session: { label: '@fastify/session (memory store)', setup: 'session', routes: ['read', 'write', 'untouched', 'many-users'] },
  cookie: { label: '@fastify/cookie signed cookie', setup: 'cookie', routes: ['read', 'write', 'untouched', 'untouched-cold', 'many-users'] },
  // Ours with revocation on, against a live redis-server that the bench server starts and stops; every request is checked against the local mirror.
  revocation: { label: 'fastify-cookie-session + redisRevocationStore', setup: 'revocation', format: 'default', routes: ['read', 'write'] }
}

module.exports = { SESSION_DATA, BULK_TEXT, COLD_COOKIE_COUNT, UNTOUCHED_COLD_COOKIE_COUNT, MANY_USERS_COUNT, VISIT_READS, PERMANENT_SECONDS, DUPLICATE_COOKIE_COUNT, DUPLICATE_HEADER_BYTES, ROUTES, VARIANTS }
