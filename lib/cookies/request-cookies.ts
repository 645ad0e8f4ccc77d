// Every copy of our cookie in a `Cookie` header (a parent domain's, another path's), up to a cap.
/**
 * How many distinct values of our cookie are tried. A browser sends a few at most (ours, a
 * parent domain's, another path's); each try may cost an HMAC per secret, so a header with
 * hundreds of copies would otherwise buy hundreds of HMACs for one request.
 */
export const MAX_SAME_NAME_COOKIES = 3

/** True when `name=` at `at` in a Cookie header starts a cookie: only spaces between it and the previous `;`. */
function startsCookie (header: string, at: number): boolean {
  for (let index = at - 1; index >= 0; index--) {
    const char = header[index]
    if (char === ';') return true
    if (char !== ' ' && char !== '\t') return false
  }
  return true
}

/**
 * The first distinct values of our cookie in a Cookie header, in order, and how many cookies
 * of that name came after them. Only called when `nameEquals` occurs more than once; it scans for it
 * rather than splitting the header, as a hostile header holds hundreds of cookies.
 */
export function sameNameCookieValues (header: string, nameEquals: string): { values: string[], ignoredCount: number } {
  const values: string[] = []
  let ignoredCount = 0
  for (let at = header.indexOf(nameEquals); at !== -1; at = header.indexOf(nameEquals, at + nameEquals.length)) {
    if (!startsCookie(header, at)) continue
    // Once the tries are chosen, the rest are only counted: no copy of them is made.
    if (values.length === MAX_SAME_NAME_COOKIES) {
      ignoredCount++
      continue
    }
    const end = header.indexOf(';', at)
    const value = header.slice(at + nameEquals.length, end === -1 ? header.length : end).trim()
    if (!values.includes(value)) values.push(value)
  }
  return { values, ignoredCount }
}
