'use strict'

/** The session every client holds: about 100 bytes of JSON, a typical logged-in session. */
const SESSION_DATA = { username: 'alice', user_id: 12345, csrf_token: '3q2-7wEAAAAx9c4bXb0sTg', role: 'editor' }

/**
 * The split rows' session: SESSION_DATA and this much incompressible text, a cookie of about
 * 10 KB that goes out in three pieces (deterministic, so every run sends the same bytes).
 */
const BULK_TEXT = require('node:crypto').createHash('shake256', { outputLength: 7500 }).update('bench').digest('base64')

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
 * - split-read, split-write: as read and write, with a session of about 10 KB (BULK_TEXT), split in three cookies.
 */
const ROUTES = ['read', 'read-cold', 'write', 'untouched', 'permanent-read', 'split-read', 'split-write']

const VARIANTS = {
  bare: { label: 'bare Fastify', setup: 'bare', routes: ['read', 'read-cold', 'write', 'untouched', 'split-read', 'split-write'] },
  ours: { label: 'fastify-cookie-session', setup: 'ours', format: 'default', routes: ['read', 'read-cold', 'write', 'untouched', 'permanent-read'] },
  'ours-encrypted': { label: 'fastify-cookie-session (encrypted format)', setup: 'ours', format: 'encrypted', routes: ['read', 'read-cold', 'write', 'untouched', 'permanent-read'] },
  'ours-split': { label: 'fastify-cookie-session (10 KB session split in 3 cookies)', setup: 'ours', format: 'default', split: true, routes: ['split-read', 'split-write'] },
  'ours-flask': { label: 'fastify-cookie-session (flask format)', setup: 'ours', format: 'flask', routes: ['read', 'write', 'untouched', 'permanent-read'] },
  'secure-session': { label: '@fastify/secure-session', setup: 'secure-session', routes: ['read', 'write', 'untouched'] },
  session: { label: '@fastify/session (memory store)', setup: 'session', routes: ['read', 'write', 'untouched'] },
  cookie: { label: '@fastify/cookie signed cookie', setup: 'cookie', routes: ['read', 'write', 'untouched'] }
}

module.exports = { SESSION_DATA, BULK_TEXT, COLD_COOKIE_COUNT, ROUTES, VARIANTS }
