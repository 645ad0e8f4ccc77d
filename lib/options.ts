import { CookieWriter, type CookieOptions } from './cookie-options.js'
import { ERROR_CODES, optionError } from './errors.js'
import type { RevocationStore } from './revocation-store.js'
import type { SerializerOptions } from './serializer.js'
import type { Digest, KeyDerivation } from './signer.js'

export type Secret = string | Buffer

export interface CookieSessionOptions {
  /** The first secret signs, every one verifies: put a new secret first to rotate. */
  secret: Secret | Secret[]
  /** Default `'session'` (Flask's `SESSION_COOKIE_NAME`). */
  cookieName?: string
  /** Default 31 days (Flask's `PERMANENT_SESSION_LIFETIME`): the age limit of every cookie and the `Max-Age` of permanent ones. */
  lifetimeSeconds?: number
  /** Default `true` (Flask's `SESSION_REFRESH_EACH_REQUEST`): permanent sessions get a fresh cookie on every response. */
  refreshEachRequest?: boolean
  cookie?: CookieOptions
  /** `'default'`: HMAC-SHA256 bound to the cookie name. `'flask'`: the bytes Flask reads and writes. */
  format?: 'default' | 'flask'
  /** A cookie over 4093 bytes: `'error'` (default) fails the response; `'warn'` logs and sends it anyway. */
  oversizedCookie?: 'error' | 'warn'
  /** Off by default. A session ends this long after it began, however often it is refreshed (OWASP's absolute timeout). */
  absoluteLifetimeSeconds?: number
  /** Default `false`. `true` adds Flask's message flashing: `request.flash()` and `request.flashedMessages()`. */
  flash?: boolean
  /** Off by default. Revocable sessions: `request.session.revoke()`, `app.revokeUser(id)`, `app.revokeSession(id)`. */
  revocation?: RevocationOptions
}

export interface RevocationOptions {
  /** `memoryRevocationStore()` for one process, `redisRevocationStore({ client })` for a fleet. */
  store: RevocationStore
  /** The session key that holds the user's id (a string or a number), e.g. `'user_id'`. */
  userKey: string
}

export interface FormatPreset {
  digest: Digest
  keyDerivation: KeyDerivation
  salt: (cookieName: string) => string
  minimumSecretBytes: number
  futureToleranceSeconds: number
  serializer: SerializerOptions
}

/** Browsers keep cookies up to about 4096 bytes; Flask's `MAX_COOKIE_SIZE` is 4093. */
export const MAX_COOKIE_BYTES = 4093

/** Largest JSON a payload may inflate to; a cookie is at most 4 KB, so real sessions stay far below. */
const MAX_JSON_BYTES = 64 * 1024

export const FORMATS: Record<'default' | 'flask', FormatPreset> = {
  default: {
    digest: 'sha256',
    keyDerivation: 'hmac',
    // The cookie name is in the salt, so a value cannot be replayed under another cookie name.
    salt: (cookieName) => `fastify-cookie-session.v1.${cookieName}`,
    minimumSecretBytes: 32,
    // Instances that share a secret may disagree on the clock by a little.
    futureToleranceSeconds: 5,
    serializer: { sortKeys: false, asciiOnly: false, dateStyle: 'iso', compressFromBytes: 256, maxJsonBytes: MAX_JSON_BYTES }
  },
  flask: {
    digest: 'sha1',
    keyDerivation: 'hmac',
    salt: () => 'cookie-session',
    minimumSecretBytes: 1,
    futureToleranceSeconds: 0,
    serializer: { sortKeys: true, asciiOnly: true, dateStyle: 'http', compressFromBytes: 0, maxJsonBytes: MAX_JSON_BYTES }
  }
}

export interface ResolvedOptions {
  secrets: Buffer[]
  cookieName: string
  lifetimeSeconds: number
  refreshEachRequest: boolean
  cookie: CookieWriter
  format: FormatPreset
  oversizedCookie: 'error' | 'warn'
  absoluteLifetimeSeconds: number | undefined
  flash: boolean
  revocation: RevocationOptions | undefined
}

const OPTION_NAMES = ['secret', 'cookieName', 'lifetimeSeconds', 'refreshEachRequest', 'cookie', 'format', 'oversizedCookie', 'absoluteLifetimeSeconds', 'flash', 'revocation']

/** Names other session plugins use, and ours for the same thing. */
const PEER_OPTION_NAMES: Record<string, string> = {
  key: 'secret',
  keys: 'secret',
  maxAge: 'lifetimeSeconds',
  expiry: 'lifetimeSeconds',
  rolling: 'refreshEachRequest',
  name: 'cookieName'
}

const HOW_TO_MAKE_A_SECRET = 'make one with: node -e "console.log(require(\'node:crypto\').randomBytes(32).toString(\'base64url\'))"'

function resolveSecrets (secret: unknown, minimumBytes: number): Buffer[] {
  if (secret === undefined || secret === null || (Array.isArray(secret) && secret.length === 0)) {
    throw optionError(`option "secret" is required: a string or Buffer of at least ${minimumBytes} bytes, or an array of them; ${HOW_TO_MAKE_A_SECRET}`, ERROR_CODES.WEAK_SECRET)
  }
  const secrets = Array.isArray(secret) ? secret : [secret]
  return secrets.map((item: unknown, index) => {
    const label = Array.isArray(secret) ? `option "secret[${index}]"` : 'option "secret"'
    if (typeof item !== 'string' && !Buffer.isBuffer(item)) throw optionError(`${label} must be a string or a Buffer, got ${typeof item}`)
    const bytes = typeof item === 'string' ? Buffer.from(item) : item
    if (bytes.length < minimumBytes) {
      throw optionError(`${label} is ${bytes.length} bytes; it needs at least ${minimumBytes} random bytes, ${HOW_TO_MAKE_A_SECRET}`, ERROR_CODES.WEAK_SECRET)
    }
    return bytes
  })
}

function pick<T> (name: string, value: unknown, fallback: T, allowed: readonly unknown[]): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) throw optionError(`option "${name}" must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

function expectSeconds (name: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw optionError(`option "${name}" must be a positive whole number of seconds, got ${JSON.stringify(value)}`)
  }
}

const STORE_METHODS = ['add', 'load', 'follow', 'close']
/** Keys the plugin itself keeps in the session. */
const RESERVED_KEYS = ['_permanent', '_issued_at', '_session_id', '_flashes']

function resolveRevocation (revocation: unknown): RevocationOptions | undefined {
  if (revocation === undefined) return undefined
  if (typeof revocation !== 'object' || revocation === null) {
    throw optionError(`option "revocation" must be an object, { store: redisRevocationStore({ client }), userKey: 'user_id' }; got ${JSON.stringify(revocation)}`)
  }
  for (const name of Object.keys(revocation)) {
    if (name !== 'store' && name !== 'userKey') throw optionError(`unknown option "revocation.${name}"; known: store, userKey`)
  }
  const { store, userKey } = revocation as Partial<Record<'store' | 'userKey', unknown>>
  if (typeof store !== 'object' || store === null || !STORE_METHODS.every((method) => typeof (store as Record<string, unknown>)[method] === 'function')) {
    throw optionError('option "revocation.store" must be a revocation store: memoryRevocationStore() for one process or redisRevocationStore({ client }) for a fleet, both exported by fastify-cookie-session')
  }
  if (typeof userKey !== 'string' || userKey === '' || RESERVED_KEYS.includes(userKey)) {
    throw optionError(`option "revocation.userKey" must name the session key that holds the user's id, e.g. 'user_id' (not one of ${RESERVED_KEYS.join(', ')}); got ${JSON.stringify(userKey)}`)
  }
  return { store: store as RevocationStore, userKey }
}

export function resolveOptions (options: CookieSessionOptions): ResolvedOptions {
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.includes(name)) continue
    const hint = PEER_OPTION_NAMES[name] === undefined ? `known options: ${OPTION_NAMES.join(', ')}` : `did you mean "${PEER_OPTION_NAMES[name]}"?`
    throw optionError(`unknown option "${name}"; ${hint}`)
  }
  const formatName = pick('format', options.format, 'default' as const, ['default', 'flask'])
  const format = FORMATS[formatName]
  const { cookieName = 'session', lifetimeSeconds = 2_678_400, absoluteLifetimeSeconds } = options
  if (typeof cookieName !== 'string') throw optionError(`option "cookieName" must be a string, got ${typeof cookieName}`)
  expectSeconds('lifetimeSeconds', lifetimeSeconds)
  if (absoluteLifetimeSeconds !== undefined) expectSeconds('absoluteLifetimeSeconds', absoluteLifetimeSeconds)
  return {
    secrets: resolveSecrets(options.secret, format.minimumSecretBytes),
    cookieName,
    lifetimeSeconds,
    refreshEachRequest: pick('refreshEachRequest', options.refreshEachRequest, true, [true, false]),
    cookie: new CookieWriter(cookieName, options.cookie),
    format,
    oversizedCookie: pick('oversizedCookie', options.oversizedCookie, 'error' as const, ['error', 'warn']),
    absoluteLifetimeSeconds,
    flash: pick('flash', options.flash, false, [true, false]),
    revocation: resolveRevocation(options.revocation)
  }
}
