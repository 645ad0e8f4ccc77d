// A strict JSON reader with a depth limit, exact for integers past 2^53.
/**
 * A strict JSON reader that keeps integers exact: an integer whose text is not a JS number's
 * own spelling (Python writes any size) comes back as a `bigint`. It is only used when the text has a
 * digit run long enough to need it; otherwise `JSON.parse` is faster and gives the same result.
 * Both refuse data that nests deeper than a limit.
 */

/** Fifteen digits always fit a double exactly, so shorter runs never need the exact reader. */
const LONG_DIGIT_RUN = /\d{16}/

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings, so the pattern must name them.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y
const WHITESPACE = /[ \t\n\r]*/y

/** Thrown for JSON that nests objects and arrays deeper than allowed; bad JSON throws a `SyntaxError`. */
export class TooDeepError extends Error {}

/**
 * The value of `text`, whose objects and arrays nest at most `maxDepth` levels (the outermost
 * is the first). JSON.parse does not recurse, so its result is measured, which costs less than
 * scanning the text; the exact reader recurses, so it counts the levels as it enters them.
 */
export function parseJson (text: string, maxDepth: number): unknown {
  if (LONG_DIGIT_RUN.test(text)) return new ExactJsonReader(text, maxDepth).read()
  const value: unknown = JSON.parse(text)
  if (isDeeperThan(value, maxDepth)) throw new TooDeepError()
  return value
}

function isDeeperThan (value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (levels === 0) return true
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (isDeeperThan(item, levels - 1)) return true
  }
  return false
}

class ExactJsonReader {
  readonly #text: string
  #position = 0
  /** How many more objects and arrays may open inside the current position. */
  #levelsLeft: number

  constructor (text: string, maxDepth: number) {
    this.#text = text
    this.#levelsLeft = maxDepth
  }

  read (): unknown {
    const value = this.#value()
    this.#skipWhitespace()
    if (this.#position !== this.#text.length) this.#fail()
    return value
  }

  #value (): unknown {
    this.#skipWhitespace()
    const char = this.#text[this.#position]
    if (char === '{' || char === '[') {
      if (this.#levelsLeft === 0) throw new TooDeepError()
      this.#levelsLeft--
      const value = char === '{' ? this.#object() : this.#array()
      this.#levelsLeft++
      return value
    }
    if (char === '"') return this.#string()
    for (const [literal, value] of LITERALS) {
      if (this.#text.startsWith(literal, this.#position)) {
        this.#position += literal.length
        return value
      }
    }
    return this.#number()
  }

  #object (): Record<string, unknown> {
    const object: Record<string, unknown> = {}
    this.#position++
    this.#skipWhitespace()
    if (this.#text[this.#position] === '}') {
      this.#position++
      return object
    }
    for (;;) {
      this.#skipWhitespace()
      const key = this.#string()
      this.#skipWhitespace()
      this.#expect(':')
      // defineProperty, not assignment: a "__proto__" key must stay a plain own property.
      Object.defineProperty(object, key, { value: this.#value(), enumerable: true, writable: true, configurable: true })
      this.#skipWhitespace()
      if (this.#text[this.#position] === '}') {
        this.#position++
        return object
      }
      this.#expect(',')
    }
  }

  #array (): unknown[] {
    const array: unknown[] = []
    this.#position++
    this.#skipWhitespace()
    if (this.#text[this.#position] === ']') {
      this.#position++
      return array
    }
    for (;;) {
      array.push(this.#value())
      this.#skipWhitespace()
      if (this.#text[this.#position] === ']') {
        this.#position++
        return array
      }
      this.#expect(',')
    }
  }

  #string (): string {
    const token = this.#token(STRING)
    return JSON.parse(token) as string
  }

  #number (): number | bigint {
    NUMBER.lastIndex = this.#position
    const match = NUMBER.exec(this.#text)
    if (match === null || match[0].length === 0) this.#fail()
    this.#position += match[0].length
    const text = match[0]
    const number = Number(text)
    if (match[1] !== undefined || match[2] !== undefined || Number.isSafeInteger(number)) return number
    // A JS number is written in its shortest round-trip form, so that text is a number. Any
    // other integer text (Python's 2**64, or past 1.8e308 where Number gives Infinity) is exact data.
    return String(number) === text ? number : BigInt(text)
  }

  #token (pattern: RegExp): string {
    pattern.lastIndex = this.#position
    const match = pattern.exec(this.#text)
    if (match === null) this.#fail()
    this.#position += match[0].length
    return match[0]
  }

  #expect (char: string): void {
    if (this.#text[this.#position] !== char) this.#fail()
    this.#position++
  }

  #skipWhitespace (): void {
    WHITESPACE.lastIndex = this.#position
    WHITESPACE.exec(this.#text)
    this.#position = WHITESPACE.lastIndex
  }

  #fail (): never {
    throw new SyntaxError(`Unexpected JSON at position ${this.#position}`)
  }
}

const LITERALS: ReadonlyArray<[string, unknown]> = [['true', true], ['false', false], ['null', null]]
