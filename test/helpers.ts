/**
 * What the test files share: an app with the plugin and a readable log, the login routes most tests
 * log in with, the session cookie a response set, cookies signed by hand, and the clock.
 *
 * Time, one way: a test never reads the real clock, and a test whose result depends on the time
 * chooses it.
 * - Code that reads the clock (everything behind `app.inject`, the revocation list) is stopped with
 *   `stubClock(t, NOW)` and moved with `clock.seconds = NOW + n`. The plugin reads the time only
 *   through `Date.now` (lib/base/clock.ts; the revocation list in milliseconds), so that one stub reaches
 *   all of it. No fake timers, and no Date.now swap of a test's own.
 * - A function that takes the time as an argument (`seal`, `verify`, `unseal`, a store's `load`) is
 *   handed a fixed number (`NOW`, `NOW + n`, or `clock.seconds` under a stub), never `Date.now()`.
 * - Timers run for real: a test that waits for a retry waits for it (`waitFor` in redis-server.ts).
 */
import { createHmac } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import cookieSession from '../index.js'
import type { CookieSessionOptions } from '../lib/plugin/options.js'
import { encodeTimestamp } from '../lib/crypto/timestamp-signer.js'

export const SECRET = 'test-secret-of-at-least-32-bytes!!'

/** The second (2023-11-14T22:13:20Z) at which tests that need a time stop the clock. */
export const NOW = 1_700_000_000

/** Formats in which every session rule is tested; Flask's has its own tests against Flask. */
export const FORMATS_UNDER_TEST = ['default', 'encrypted'] as const

/** A log line; a refused cookie's has `reason` (its refusal code) and `detail` (the words). */
export interface LogLine { level: number, msg: string, reason?: string, detail?: string }

/** An app with the plugin and a log we can read; closed when the test ends. */
export async function buildApp (
  t: Test,
  options: Partial<CookieSessionOptions> = {},
  routes: (app: FastifyInstance) => void | Promise<void> = () => {},
  serverOptions: FastifyServerOptions = {}
): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  // Fastify's own request lines are noise here; keep what the plugin and the error handler say.
  const stream = { write: (line: string) => { const entry = JSON.parse(line); if (entry.msg !== 'incoming request' && entry.msg !== 'request completed') logs.push(entry) } }
  const app = Fastify({ logger: { level: 'debug', stream }, ...serverOptions })
  await app.register(cookieSession, { secret: SECRET, ...options })
  await routes(app)
  t.teardown(() => app.close())
  return { app, logs }
}

/**
 * GET /login logs a user in: it stores `user` under `key` (`?user=bob` logs bob in instead), and
 * `?permanent=1` makes the session permanent first. It answers the session's id, which a session
 * has with the revocation option, or else 'ok'. GET /whoami answers who is logged in, or 'nobody'.
 */
export function addLoginRoutes (app: FastifyInstance, { key = 'user', user = 'ann' } = {}): void {
  app.get('/login', async (request) => {
    const query = request.query as { user?: string, permanent?: string }
    if (query.permanent === '1') request.session.permanent = true
    request.session.set(key, query.user ?? user)
    return request.session.id ?? 'ok'
  })
  app.get('/whoami', async (request) => request.session.get(key) ?? 'nobody')
}

/** Who the app's GET /whoami says is logged in with this session cookie. */
export async function whoami (app: FastifyInstance, cookie: string): Promise<string> {
  return (await app.inject({ url: '/whoami', cookies: { session: cookie } })).body
}

/** The raw Set-Cookie headers of a response, always as an array. */
export function setCookies (response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [header]
}

/** The value the response set for the session cookie, or undefined when it set none. */
export function sessionValue (response: LightMyRequestResponse, name = 'session'): string | undefined {
  return response.cookies.find((cookie) => cookie.name === name)?.value
}

/** The value the response set for the session cookie; the test fails, saying what came instead, when it set none. */
export function expectSessionValue (response: LightMyRequestResponse, name = 'session'): string {
  const value = sessionValue(response, name)
  if (value === undefined) {
    throw new Error(`expected the response to set the "${name}" cookie, but it set none (status ${response.statusCode}, Set-Cookie: ${JSON.stringify(setCookies(response))})`)
  }
  return value
}

interface HandSigning { secret?: string | Buffer, format?: 'default' | 'flask', cookieName?: string }

/**
 * `input` signed by hand, as itsdangerous signs: key = HMAC(secret, salt), then HMAC(key, input) in
 * base64url. The default format salts with its cookie name and uses SHA-256; Flask's salts with
 * 'cookie-session' and uses SHA-1. Written out here, so that a test checks the plugin's signer
 * against something other than itself, and can sign nonsense validly.
 */
export function signByHand (input: string, { secret = SECRET, format = 'default', cookieName = 'session' }: HandSigning = {}): string {
  const { digest, salt } = format === 'flask' ? { digest: 'sha1', salt: 'cookie-session' } : { digest: 'sha256', salt: `fastify-cookie-session.v1.${cookieName}` }
  const key = createHmac(digest, secret).update(salt).digest()
  return `${input}.${createHmac(digest, key).update(input).digest('base64url')}`
}

/** A default-format cookie around any payload segment, validly signed: what only a holder of the secret could make. */
export function signRaw (payloadSegment: string, timestampSeconds = NOW, secret = SECRET, cookieName = 'session'): string {
  return signByHand(`${payloadSegment}.${encodeTimestamp(timestampSeconds)}`, { secret, cookieName })
}

/** Replaces `Date.now` for the rest of the test: `clock.seconds = n` moves time. */
export function stubClock (t: Test, startSeconds: number): { seconds: number } {
  const clock = { seconds: startSeconds }
  const realNow = Date.now
  Date.now = () => clock.seconds * 1000
  t.teardown(() => { Date.now = realNow })
  return clock
}

/** The error `register` (up to `ready`) fails with, or undefined when the app starts. */
export async function registrationError (register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<unknown> {
  const app = Fastify()
  try {
    await register(app)
    await app.ready()
    return undefined
  } catch (error) {
    return error
  } finally {
    await app.close()
  }
}

/** The parts of a signed cookie value, `payload.timestamp.signature`; a value of any other shape fails the test. */
export function signedParts (value: string): [payload: string, timestamp: string, signature: string] {
  const parts = value.split('.')
  if (parts.length !== 3) throw new Error(`expected a signed cookie value payload.timestamp.signature, got ${JSON.stringify(value)}`)
  return parts as [string, string, string]
}
