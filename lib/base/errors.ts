// The error codes, one class per code, and `ownError` for what a `catch` hands on.
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

const PREFIX = 'fastify-cookie-session: '

/** What every error of the plugin has: a stable `code`, and the HTTP status Fastify answers with when it reaches a reply. */
export interface CookieSessionError extends Error {
  readonly code: ErrorCode
  readonly statusCode?: number
}

/**
 * One class per code, as `@fastify/error` makes them, so `instanceof` tells the kind and `code`
 * stays stable. Errors about a value handed in (an option, a value to store, an id to revoke) are
 * also `TypeError`s, as they always were.
 */
function errorClass<const Code extends ErrorCode> (name: string, code: Code, Base: ErrorConstructor, statusCode?: number) {
  const ErrorClass = class extends Base implements CookieSessionError {
    readonly code: Code = code
    readonly statusCode: number | undefined = statusCode

    constructor (message: string, options?: ErrorOptions) {
      super(PREFIX + message, options)
    }
  }
  Object.defineProperty(ErrorClass, 'name', { value: name })
  Object.defineProperty(ErrorClass.prototype, 'name', { value: name })
  return ErrorClass
}

export const InvalidOptionError = errorClass('InvalidOptionError', ERROR_CODES.INVALID_OPTION, TypeError)
export const WeakSecretError = errorClass('WeakSecretError', ERROR_CODES.WEAK_SECRET, TypeError)
export const UnstorableValueError = errorClass('UnstorableValueError', ERROR_CODES.UNSTORABLE_VALUE, TypeError, 500)
export const CookieTooLargeError = errorClass('CookieTooLargeError', ERROR_CODES.COOKIE_TOO_LARGE, Error, 500)
export const HeadersSentError = errorClass('HeadersSentError', ERROR_CODES.HEADERS_SENT, Error)
export const UnverifiedCookieError = errorClass('UnverifiedCookieError', ERROR_CODES.UNVERIFIED_COOKIE, Error)
/** The store could not record a revocation; nothing was revoked, so the caller must not report success. */
export const RevocationFailedError = errorClass('RevocationFailedError', ERROR_CODES.REVOCATION_FAILED, Error, 503)
export const InvalidRevocationError = errorClass('InvalidRevocationError', ERROR_CODES.INVALID_REVOCATION, TypeError)

/** Every class, exported as `cookieSession.errors`. */
export const ERROR_CLASSES = { InvalidOptionError, WeakSecretError, UnstorableValueError, CookieTooLargeError, HeadersSentError, UnverifiedCookieError, RevocationFailedError, InvalidRevocationError }

const CLASSES: ReadonlyArray<abstract new (...args: never[]) => CookieSessionError> = Object.values(ERROR_CLASSES)

/**
 * A caught error that is one of ours comes back typed, for the caller to hand on; anything else
 * (a bug) is thrown again rather than passed off as a plugin error.
 */
export function ownError (error: unknown): CookieSessionError {
  if (CLASSES.some((ErrorClass) => error instanceof ErrorClass)) return error as CookieSessionError
  throw error
}
