// The one place the time is read (`Date.now`, which tests stub).
// Through `Date.now`, so a test moves time by replacing `Date.now` (test/helpers.ts).

/** Cookies carry whole seconds, as in itsdangerous. */
export function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

/** The revocation list and a revocable session's start keep milliseconds, to order a login and a revocation in the same second. */
export function nowMilliseconds (): number {
  return Date.now()
}
