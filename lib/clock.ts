/**
 * The one place the plugin reads the time. Cookies carry whole seconds, as in itsdangerous, and
 * it goes through `Date.now`, so a test moves time by replacing `Date.now` (test/helpers.ts).
 */
export function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}
