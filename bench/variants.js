'use strict'

/** The session every client holds: about 100 bytes of JSON, a typical logged-in session. */
const SESSION_DATA = { username: 'alice', user_id: 12345, csrf_token: '3q2-7wEAAAAx9c4bXb0sTg', role: 'editor' }

/**
 * `read-cold` cycles through this many distinct valid cookies, twice the plugin's cache of
 * recent verifications, with each connection at its own offset, so nearly every request misses the cache.
 */
const COLD_COOKIE_COUNT = 2000

/**
 * What each route does:
 * - read: a valid session cookie is sent; the route returns the username.
 * - write: the route sets two keys, so the cookie is signed again.
 * - untouched: the cookie is sent; the route never touches the session.
 * - permanent-read: as read, with a permanent session (refresh-each-request signs a new cookie every time).
 * - read-cold: as read, but with COLD_COOKIE_COUNT different cookies (our verification cache misses).
 */
const ROUTES = ['read', 'read-cold', 'write', 'untouched', 'permanent-read']

const VARIANTS = {
  bare: { label: 'bare Fastify', setup: 'bare', routes: ['read', 'read-cold', 'write', 'untouched'] },
  ours: { label: 'fastify-cookie-session', setup: 'ours', format: 'default', routes: ['read', 'read-cold', 'write', 'untouched', 'permanent-read'] },
  'ours-flask': { label: 'fastify-cookie-session (flask format)', setup: 'ours', format: 'flask', routes: ['read', 'write', 'untouched', 'permanent-read'] },
  'secure-session': { label: '@fastify/secure-session', setup: 'secure-session', routes: ['read', 'write', 'untouched'] },
  session: { label: '@fastify/session (memory store)', setup: 'session', routes: ['read', 'write', 'untouched'] },
  cookie: { label: '@fastify/cookie signed cookie', setup: 'cookie', routes: ['read', 'write', 'untouched'] },
  // Ours with revocation on, against a live redis-server that the bench server starts and stops; every request is checked against the local mirror.
  revocation: { label: 'fastify-cookie-session + redisRevocationStore', setup: 'revocation', format: 'default', routes: ['read', 'write'] }
}

module.exports = { SESSION_DATA, COLD_COOKIE_COUNT, ROUTES, VARIANTS }
