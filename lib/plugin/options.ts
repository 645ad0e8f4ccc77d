// Checks the options and fills in their defaults.
import { maxHeaderSize as nodeMaxHeaderBytes } from 'node:http'
import { MAX_INCOMING_COOKIE_LENGTH } from '../base/browser-limits.js'
import { InvalidOptionError, WeakSecretError } from '../base/errors.js'
import type { CodecSettings } from '../codec/create-codec.js'
import { STAMP_KEYS } from '../codec/stamps.js'
import { CookieWriter, type CookieOptions } from '../cookies/cookie-writer.js'
import { DEFAULT_MAX_JSON_BYTES, type FormatPreset } from '../formats/preset.js'
import { FORMATS, type FormatName } from '../formats/registry.js'
import type { RevocationStore } from '../revocation/store.js'
import { FLASHES_KEY } from './flash.js'

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
  /** `'default'`: HMAC-SHA256 bound to the cookie name. `'flask'`: the bytes Flask reads and writes. `'encrypted'`: XAES-256-GCM, unreadable without the secret. */
  format?: FormatName
  /**
   * Formats the app moves away from: their cookies are still read (same secrets, same cookie name)
   * and are sealed again in `format` on that response. Default none.
   */
  fallbackFormats?: FormatName[]
  /**
   * A cookie over 4093 bytes: `'error'` (default) fails the response; `'warn'` logs and sends it anyway;
   * `'split'` sends it as several cookies (`name`, `name.1`, …), up to `maxCookies`.
   */
  oversizedCookie?: 'error' | 'warn' | 'split'
  /** With `oversizedCookie: 'split'`: the most cookies one session may take. Default 4. */
  maxCookies?: number
  /** Off by default. A session ends this long after it began, however often it is refreshed (OWASP's absolute timeout). */
  absoluteLifetimeSeconds?: number
  /** Default `false`. `true` adds Flask's message flashing: `request.flash()` and `request.flashedMessages()`. */
  flash?: boolean
  /** Default 16384. The largest session JSON, read or written: a small compressed cookie cannot unpack to more, and `set` refuses more. */
  maxJsonBytes?: number
  /** Off by default. Revocable sessions: `request.session.revoke()`, `app.revokeUser(id)`, `app.revokeSession(id)`. */
  revocation?: RevocationOptions
}

export interface RevocationOptions {
  /** `memoryRevocationStore()` for one process, `redisRevocationStore({ client })` for a fleet. */
  store: RevocationStore
  /** The session key that holds the user's id (a string or a number), e.g. `'user_id'`. */
  userKey: string
}

/** Bounds of `maxJsonBytes`: below 1 KiB a session could not fill a cookie; 64 KiB was the old hard limit. */
const MAX_JSON_BYTES_RANGE = { min: 1024, max: 64 * 1024 }

/** What a browser's request line and other headers may take, besides the session's cookies, under the server's header limit. */
export const REST_OF_REQUEST_BYTES = 4096

/** The default `cookieName` (Flask's `SESSION_COOKIE_NAME`) and `sessionName` (`request.session`). */
export const DEFAULT_NAME = 'session'

/** The default `lifetimeSeconds`: 31 days, Flask's `PERMANENT_SESSION_LIFETIME`. */
const DEFAULT_LIFETIME_SECONDS = 31 * 24 * 3600

/** RFC 6265 (6.1) promises at least 50 cookies per domain. */
const MOST_COOKIES = 50

/** The options checked, with their defaults: the codec is built from them (`CodecSettings`), the session interface and the registry read the rest. */
export interface ResolvedOptions extends CodecSettings {
  secrets: Buffer[]
  cookieName: string
  sessionName: string
  lifetimeSeconds: number
  refreshEachRequest: boolean
  cookie: CookieWriter
  format: FormatPreset
  fallbackFormats: FormatPreset[]
  oversizedCookie: 'error' | 'warn' | 'split'
  /** 1 unless sessions are split. */
  maxCookies: number
  /**
   * The most characters the session may take in a request's Cookie header (names and `; ` included):
   * one cookie's 4096, or, split, what the server's header limit leaves after the rest of a request.
   */
  maxRequestCookieBytes: number
  absoluteLifetimeSeconds: number | undefined
  flash: boolean
  maxJsonBytes: number
  /** Said once at register: the options work, but something about them looks wrong. */
  warnings: string[]
  revocation: RevocationOptions | undefined
}

/**
 * Every key of `CookieSessionOptions`, once: `satisfies` fails the build when an option is added to
 * the interface and not here, or listed here and not there, so the unknown-option check cannot drift.
 */
const OPTION_NAMES = Object.keys({
  secret: true,
  cookieName: true,
  sessionName: true,
  lifetimeSeconds: true,
  refreshEachRequest: true,
  cookie: true,
  format: true,
  fallbackFormats: true,
  oversizedCookie: true,
  maxCookies: true,
  absoluteLifetimeSeconds: true,
  flash: true,
  maxJsonBytes: true,
  revocation: true
} satisfies Record<keyof CookieSessionOptions, true>)

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
    throw new WeakSecretError(`option "secret" is required: a string or Buffer of at least ${minimumBytes} bytes, or an array of them; ${HOW_TO_MAKE_A_SECRET}`)
  }
  const secrets = Array.isArray(secret) ? secret : [secret]
  return secrets.map((item: unknown, index) => {
    const label = Array.isArray(secret) ? `option "secret[${index}]"` : 'option "secret"'
    if (typeof item !== 'string' && !Buffer.isBuffer(item)) throw new InvalidOptionError(`${label} must be a string or a Buffer, got ${typeof item}`)
    const bytes = typeof item === 'string' ? Buffer.from(item) : item
    if (bytes.length < minimumBytes) {
      throw new WeakSecretError(`${label} is ${bytes.length} bytes; it needs at least ${minimumBytes} random bytes, ${HOW_TO_MAKE_A_SECRET}`)
    }
    return bytes
  })
}

/** A name `request.adminSession` can use: a plain JavaScript identifier. The names Fastify and other plugins already use on the request are refused against the app, in lib/plugin/session-registry.ts. */
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

function resolveFallbackFormats (value: unknown, formatName: FormatName): FormatName[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new InvalidOptionError(`option "fallbackFormats" must be an array of format names, such as ['flask'], got ${JSON.stringify(value)}`)
  value.forEach((name: unknown, index) => {
    pick(`fallbackFormats[${index}]`, name, formatName, Object.keys(FORMATS))
    if (name === formatName) throw new InvalidOptionError(`option "fallbackFormats" lists "${name}", the format itself; list only the formats the app moves away from`)
    if (value.indexOf(name) !== index) throw new InvalidOptionError(`option "fallbackFormats" lists "${name}" twice`)
  })
  return value
}

/**
 * Each format uses the secrets long enough for it: the first secret seals, so it must suit the
 * current format; a shorter one (an old Flask secret) only reads the fallback formats that accept it.
 */
function checkSecretsFitFormats (secrets: readonly Buffer[], formatName: FormatName, fallbackNames: readonly FormatName[]): void {
  const { minimumSecretBytes } = FORMATS[formatName]
  const sealingBytes = secrets[0]!.length // resolveOptions refused an empty list before this
  if (sealingBytes < minimumSecretBytes) {
    throw new WeakSecretError(`option "secret" starts with a secret of ${sealingBytes} bytes; the first secret seals cookies, and the "${formatName}" format needs at least ${minimumSecretBytes} random bytes (put a new one first, keep the old one after it to read old cookies); ${HOW_TO_MAKE_A_SECRET}`)
  }
  for (const name of fallbackNames) {
    const needed = FORMATS[name].minimumSecretBytes
    if (!secrets.some((secret) => secret.length >= needed)) {
      throw new WeakSecretError(`option "fallbackFormats" lists "${name}", whose cookies need a secret of at least ${needed} bytes, and option "secret" has none that long`)
    }
  }
}

function pick<T> (name: string, value: unknown, fallback: T, allowed: readonly unknown[]): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) throw new InvalidOptionError(`option "${name}" must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

function expectSeconds (name: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new InvalidOptionError(`option "${name}" must be a positive whole number of seconds, got ${JSON.stringify(value)}`)
  }
  if ((value as number) > MAX_COOKIE_LIFETIME_SECONDS) {
    throw new InvalidOptionError(`option "${name}" is ${value as number} s, over 400 days (${MAX_COOKIE_LIFETIME_SECONDS} s): browsers keep a cookie at most 400 days (RFC 6265bis), so a longer lifetime would only pretend; use ${MAX_COOKIE_LIFETIME_SECONDS} or less`)
  }
}

const STORE_METHODS = ['add', 'load', 'follow', 'close']
/** Keys the plugin itself keeps in the session. */
const RESERVED_KEYS: readonly string[] = [...STAMP_KEYS, FLASHES_KEY]

function resolveRevocation (revocation: unknown): RevocationOptions | undefined {
  if (revocation === undefined) return undefined
  if (typeof revocation !== 'object' || revocation === null) {
    throw new InvalidOptionError(`option "revocation" must be an object, { store: redisRevocationStore({ client }), userKey: 'user_id' }; got ${JSON.stringify(revocation)}`)
  }
  for (const name of Object.keys(revocation)) {
    if (name !== 'store' && name !== 'userKey') throw new InvalidOptionError(`unknown option "revocation.${name}"; known: store, userKey`)
  }
  const { store, userKey } = revocation as Partial<Record<'store' | 'userKey', unknown>>
  if (typeof store !== 'object' || store === null || !STORE_METHODS.every((method) => typeof (store as Record<string, unknown>)[method] === 'function')) {
    throw new InvalidOptionError('option "revocation.store" must be a revocation store: memoryRevocationStore() for one process or redisRevocationStore({ client }) for a fleet, both exported by fastify-cookie-session')
  }
  if (typeof userKey !== 'string' || userKey === '' || RESERVED_KEYS.includes(userKey)) {
    throw new InvalidOptionError(`option "revocation.userKey" must name the session key that holds the user's id, e.g. 'user_id' (not one of ${RESERVED_KEYS.join(', ')}); got ${JSON.stringify(userKey)}`)
  }
  return { store: store as RevocationStore, userKey }
}

/**
 * The session's share of the request headers: one cookie, or, split, up to `maxCookies` of them
 * within what the server accepts (`maxHeaderSize`, Node's 16 KiB by default) minus the rest of a request.
 */
function resolveSplitting (options: CookieSessionOptions, formatName: FormatName, serverMaxHeaderBytes: number): Pick<ResolvedOptions, 'oversizedCookie' | 'maxCookies' | 'maxRequestCookieBytes'> {
  const oversizedCookie = pick<ResolvedOptions['oversizedCookie']>('oversizedCookie', options.oversizedCookie, 'error', ['error', 'warn', 'split'])
  const { maxCookies } = options
  if (oversizedCookie !== 'split') {
    if (maxCookies !== undefined) throw new InvalidOptionError('option "maxCookies" only applies with oversizedCookie: \'split\'')
    return { oversizedCookie, maxCookies: 1, maxRequestCookieBytes: MAX_INCOMING_COOKIE_LENGTH }
  }
  if (formatName === 'flask') throw new InvalidOptionError('option "oversizedCookie" is \'split\', which the "flask" format cannot do: Flask reads its session from one cookie only')
  if (maxCookies !== undefined && (!Number.isSafeInteger(maxCookies) || maxCookies < 2 || maxCookies > MOST_COOKIES)) {
    throw new InvalidOptionError(`option "maxCookies" must be a whole number from 2 to ${MOST_COOKIES} (RFC 6265 promises ${MOST_COOKIES} cookies per domain), got ${JSON.stringify(maxCookies)}`)
  }
  const cookies = maxCookies ?? 4
  const headerShare = Math.max(MAX_INCOMING_COOKIE_LENGTH, serverMaxHeaderBytes - REST_OF_REQUEST_BYTES)
  return { oversizedCookie, maxCookies: cookies, maxRequestCookieBytes: Math.min(cookies * (MAX_INCOMING_COOKIE_LENGTH + 2), headerShare) }
}

/** `serverMaxHeaderBytes`: the server's `maxHeaderSize`, which bounds split sessions; Node's default when the server has none of its own. */
export function resolveOptions (options: CookieSessionOptions, serverMaxHeaderBytes: number = nodeMaxHeaderBytes): ResolvedOptions {
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.includes(name)) continue
    const hint = PEER_OPTION_NAMES[name] === undefined ? `known options: ${OPTION_NAMES.join(', ')}` : `did you mean "${PEER_OPTION_NAMES[name]}"?`
    throw new InvalidOptionError(`unknown option "${name}"; ${hint}`)
  }
  const formatName = pick<FormatName>('format', options.format, 'default', Object.keys(FORMATS))
  const format = FORMATS[formatName]
  const fallbackNames = resolveFallbackFormats(options.fallbackFormats, formatName)
  const secrets = resolveSecrets(options.secret, Math.min(format.minimumSecretBytes, ...fallbackNames.map((name) => FORMATS[name].minimumSecretBytes)))
  checkSecretsFitFormats(secrets, formatName, fallbackNames)
  const { cookieName = DEFAULT_NAME, lifetimeSeconds = DEFAULT_LIFETIME_SECONDS, absoluteLifetimeSeconds, maxJsonBytes = DEFAULT_MAX_JSON_BYTES } = options
  if (typeof cookieName !== 'string') throw new InvalidOptionError(`option "cookieName" must be a string, got ${typeof cookieName}`)
  const { sessionName = DEFAULT_NAME } = options
  if (typeof sessionName !== 'string' || !IDENTIFIER.test(sessionName)) {
    throw new InvalidOptionError(`option "sessionName" must be a JavaScript identifier such as 'adminSession' (it becomes request.adminSession), got ${JSON.stringify(sessionName)}`)
  }
  expectSeconds('lifetimeSeconds', lifetimeSeconds)
  if (absoluteLifetimeSeconds !== undefined) expectSeconds('absoluteLifetimeSeconds', absoluteLifetimeSeconds)
  if (!Number.isSafeInteger(maxJsonBytes) || maxJsonBytes < MAX_JSON_BYTES_RANGE.min || maxJsonBytes > MAX_JSON_BYTES_RANGE.max) {
    throw new InvalidOptionError(`option "maxJsonBytes" must be a whole number of bytes from ${MAX_JSON_BYTES_RANGE.min} to ${MAX_JSON_BYTES_RANGE.max}, got ${JSON.stringify(maxJsonBytes)}; the default, ${DEFAULT_MAX_JSON_BYTES}, fits any session a cookie can carry`)
  }
  return {
    secrets,
    cookieName,
    sessionName,
    lifetimeSeconds,
    refreshEachRequest: pick('refreshEachRequest', options.refreshEachRequest, true, [true, false]),
    cookie: new CookieWriter(cookieName, options.cookie),
    format,
    fallbackFormats: fallbackNames.map((name) => FORMATS[name]),
    ...resolveSplitting(options, formatName, serverMaxHeaderBytes),
    absoluteLifetimeSeconds,
    flash: pick('flash', options.flash, false, [true, false]),
    maxJsonBytes,
    warnings: secretWarnings(secrets),
    revocation: resolveRevocation(options.revocation)
  }
}
