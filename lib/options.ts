import { CookieWriter, type CookieOptions } from './cookie-options.js'
import { ERROR_CODES, optionError } from './errors.js'
import type { SerializerOptions } from './serializer.js'
import type { Digest, KeyDerivation } from './signer.js'

export type Secret = string | Buffer

export interface CookieSessionOptions {
  /** The first secret signs, every one verifies: put a new secret first to rotate. */
  secret: Secret | Secret[]
  /** Default `'session'` (Flask's `SESSION_COOKIE_NAME`). */
  cookieName?: string
  /** Default `'session'`: the request property, `request[sessionName]`. Each registration of the plugin needs its own. */
  sessionName?: string
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
  /** Default 16384. The largest session JSON, read or written: a small compressed cookie cannot unpack to more, and `set` refuses more. */
  maxJsonBytes?: number
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

/**
 * The default of `maxJsonBytes`. A 4 KB cookie of real data rarely inflates past 8 KB; more
 * comes from data built to compress (a client-shaped body), which is then parsed on every read.
 */
const DEFAULT_MAX_JSON_BYTES = 16 * 1024
/** Bounds of `maxJsonBytes`: below 1 KiB a session could not fill a cookie; 64 KiB was the old hard limit. */
const MAX_JSON_BYTES_RANGE = { min: 1024, max: 64 * 1024 }

export const FORMATS: Record<'default' | 'flask', FormatPreset> = {
  default: {
    digest: 'sha256',
    keyDerivation: 'hmac',
    // The cookie name is in the salt, so a value cannot be replayed under another cookie name.
    salt: (cookieName) => `fastify-cookie-session.v1.${cookieName}`,
    minimumSecretBytes: 32,
    // Instances that share a secret may disagree on the clock by a little.
    futureToleranceSeconds: 5,
    serializer: { sortKeys: false, asciiOnly: false, dateStyle: 'iso', compressFromBytes: 256, maxJsonBytes: DEFAULT_MAX_JSON_BYTES }
  },
  flask: {
    digest: 'sha1',
    keyDerivation: 'hmac',
    salt: () => 'cookie-session',
    minimumSecretBytes: 1,
    futureToleranceSeconds: 0,
    serializer: { sortKeys: true, asciiOnly: true, dateStyle: 'http', compressFromBytes: 0, maxJsonBytes: DEFAULT_MAX_JSON_BYTES }
  }
}

export interface ResolvedOptions {
  secrets: Buffer[]
  cookieName: string
  sessionName: string
  lifetimeSeconds: number
  refreshEachRequest: boolean
  cookie: CookieWriter
  format: FormatPreset
  oversizedCookie: 'error' | 'warn'
  absoluteLifetimeSeconds: number | undefined
  flash: boolean
  maxJsonBytes: number
  /** Said once at register: the options work, but something about them looks wrong. */
  warnings: string[]
}

const OPTION_NAMES = ['secret', 'cookieName', 'sessionName', 'lifetimeSeconds', 'refreshEachRequest', 'cookie', 'format', 'oversizedCookie', 'absoluteLifetimeSeconds', 'flash', 'maxJsonBytes']

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

/** A name `request.adminSession` can use: a plain JavaScript identifier. The names Fastify and other plugins already use on the request are refused against the app, in lib/session-registry.ts. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Random bytes take many values; 32 of them take 8 or more all but never (hex text too), while `'a'.repeat(32)` or a zeroed Buffer take one. */
const MIN_DISTINCT_SECRET_BYTES = 8

/** A warning for each secret with too little variety to be random: not a proof of weakness, a sign of it. */
export function secretWarnings (secrets: readonly Buffer[]): string[] {
  const warnings: string[] = []
  secrets.forEach((secret, index) => {
    const distinct = new Set(secret).size
    if (distinct >= MIN_DISTINCT_SECRET_BYTES) return
    const label = secrets.length > 1 ? `option "secret[${index}]"` : 'option "secret"'
    warnings.push(`fastify-cookie-session: ${label} has only ${distinct} different byte values, too few for random bytes; anyone who guesses it can sign any session: ${HOW_TO_MAKE_A_SECRET}`)
  })
  return warnings
}

/** RFC 6265bis: browsers cap a cookie's life at 400 days. */
const MAX_COOKIE_LIFETIME_SECONDS = 400 * 24 * 3600

function pick<T> (name: string, value: unknown, fallback: T, allowed: readonly unknown[]): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) throw optionError(`option "${name}" must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

function expectSeconds (name: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw optionError(`option "${name}" must be a positive whole number of seconds, got ${JSON.stringify(value)}`)
  }
  if ((value as number) > MAX_COOKIE_LIFETIME_SECONDS) {
    throw optionError(`option "${name}" is ${value as number} s, over 400 days (${MAX_COOKIE_LIFETIME_SECONDS} s): browsers keep a cookie at most 400 days (RFC 6265bis), so a longer lifetime would only pretend; use ${MAX_COOKIE_LIFETIME_SECONDS} or less`)
  }
}

export function resolveOptions (options: CookieSessionOptions): ResolvedOptions {
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.includes(name)) continue
    const hint = PEER_OPTION_NAMES[name] === undefined ? `known options: ${OPTION_NAMES.join(', ')}` : `did you mean "${PEER_OPTION_NAMES[name]}"?`
    throw optionError(`unknown option "${name}"; ${hint}`)
  }
  const formatName = pick('format', options.format, 'default' as const, ['default', 'flask'])
  const format = FORMATS[formatName]
  const { cookieName = 'session', lifetimeSeconds = 2_678_400, absoluteLifetimeSeconds, maxJsonBytes = format.serializer.maxJsonBytes } = options
  if (typeof cookieName !== 'string') throw optionError(`option "cookieName" must be a string, got ${typeof cookieName}`)
  const { sessionName = 'session' } = options
  if (typeof sessionName !== 'string' || !IDENTIFIER.test(sessionName)) {
    throw optionError(`option "sessionName" must be a JavaScript identifier such as 'adminSession' (it becomes request.adminSession), got ${JSON.stringify(sessionName)}`)
  }
  expectSeconds('lifetimeSeconds', lifetimeSeconds)
  if (absoluteLifetimeSeconds !== undefined) expectSeconds('absoluteLifetimeSeconds', absoluteLifetimeSeconds)
  if (!Number.isSafeInteger(maxJsonBytes) || maxJsonBytes < MAX_JSON_BYTES_RANGE.min || maxJsonBytes > MAX_JSON_BYTES_RANGE.max) {
    throw optionError(`option "maxJsonBytes" must be a whole number of bytes from ${MAX_JSON_BYTES_RANGE.min} to ${MAX_JSON_BYTES_RANGE.max}, got ${JSON.stringify(maxJsonBytes)}; the default, ${DEFAULT_MAX_JSON_BYTES}, fits any session a cookie can carry`)
  }
  const secrets = resolveSecrets(options.secret, format.minimumSecretBytes)
  return {
    secrets,
    cookieName,
    sessionName,
    lifetimeSeconds,
    refreshEachRequest: pick('refreshEachRequest', options.refreshEachRequest, true, [true, false]),
    cookie: new CookieWriter(cookieName, options.cookie),
    format,
    oversizedCookie: pick('oversizedCookie', options.oversizedCookie, 'error' as const, ['error', 'warn']),
    absoluteLifetimeSeconds,
    flash: pick('flash', options.flash, false, [true, false]),
    maxJsonBytes,
    warnings: secretWarnings(secrets)
  }
}
