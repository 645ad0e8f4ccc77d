/** Every error the plugin raises carries one of these stable codes (listed in the README). */
export const ERROR_CODES = {
  INVALID_OPTION: 'FST_COOKIE_SESSION_INVALID_OPTION',
  WEAK_SECRET: 'FST_COOKIE_SESSION_WEAK_SECRET',
  UNSTORABLE_VALUE: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE',
  COOKIE_TOO_LARGE: 'FST_COOKIE_SESSION_COOKIE_TOO_LARGE',
  HEADERS_SENT: 'FST_COOKIE_SESSION_HEADERS_SENT',
  UNVERIFIED_COOKIE: 'FST_COOKIE_SESSION_UNVERIFIED_COOKIE',
  REVOCATION_FAILED: 'FST_COOKIE_SESSION_REVOCATION_FAILED',
  INVALID_REVOCATION: 'FST_COOKIE_SESSION_INVALID_REVOCATION'
} as const

export type ErrorCode = typeof ERROR_CODES[keyof typeof ERROR_CODES]

export interface CookieSessionError extends Error {
  code: ErrorCode
  statusCode?: number
}

const PREFIX = 'fastify-cookie-session: '

export function optionError (message: string, code: ErrorCode = ERROR_CODES.INVALID_OPTION): CookieSessionError {
  return Object.assign(new TypeError(PREFIX + message), { code })
}

export function unstorableValueError (message: string): CookieSessionError {
  return Object.assign(new TypeError(PREFIX + message), { code: ERROR_CODES.UNSTORABLE_VALUE, statusCode: 500 })
}

export function cookieTooLargeError (message: string): CookieSessionError {
  return Object.assign(new Error(PREFIX + message), { code: ERROR_CODES.COOKIE_TOO_LARGE, statusCode: 500 })
}

export function headersSentError (message: string): CookieSessionError {
  return Object.assign(new Error(PREFIX + message), { code: ERROR_CODES.HEADERS_SENT })
}

export function unverifiedCookieError (message: string): CookieSessionError {
  return Object.assign(new Error(PREFIX + message), { code: ERROR_CODES.UNVERIFIED_COOKIE })
}

/** The store could not record a revocation; nothing was revoked, so the caller must not report success. */
export function revocationFailedError (message: string, cause?: unknown): CookieSessionError {
  return Object.assign(new Error(PREFIX + message, { cause }), { code: ERROR_CODES.REVOCATION_FAILED, statusCode: 503 })
}

export function invalidRevocationError (message: string): CookieSessionError {
  return Object.assign(new TypeError(PREFIX + message), { code: ERROR_CODES.INVALID_REVOCATION })
}
