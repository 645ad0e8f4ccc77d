// Session data ⇄ JSON with Flask's tags, and JSON ⇄ a base64url payload, zlib-compressed when that pays.
import { UnstorableValueError } from '../base/errors.js'
import { Refusal } from '../base/refusal.js'
import { parseJson, TooDeepError } from './json-parse.js'
import { type Compress, createCompressor, createDecompressor, type Decompress, TooLargeError } from './zlib-stream.js'

export type SessionRecord = Map<string, unknown>

export interface SerializerOptions {
  /** Flask sorts keys by code point at every level; needed for byte-identical cookies. */
  sortKeys: boolean
  /** Flask escapes every character outside printable ASCII as `\uXXXX`. */
  asciiOnly: boolean
  /** `'http'` is Flask's `Wed, 21 Oct 2015 07:28:00 GMT` (whole seconds); `'iso'` keeps milliseconds. */
  dateStyle: 'http' | 'iso'
  /** Try zlib only for JSON at least this long; 0 tries always, as Flask does. */
  compressFromBytes: number
  /** Decompression stops here, so a small cookie cannot expand into a memory bomb. */
  maxJsonBytes: number
}

/** Flask's tag keys (`flask/json/tag.py`): a one-key object with one of these keys is a tagged value. */
const TAG_DICT = ' di'
const TAG_TUPLE = ' t'
const TAG_BYTES = ' b'
const TAG_MARKUP = ' m'
const TAG_UUID = ' u'
const TAG_DATE = ' d'
const TAG_KEYS = new Set([TAG_DICT, TAG_TUPLE, TAG_BYTES, TAG_MARKUP, TAG_UUID, TAG_DATE])

/** Arrays written with Flask's tuple tag; JS has no tuple, so they are marked by `tuple()`. */
const TUPLES = new WeakSet<readonly unknown[]>()

/**
 * A frozen array that is written as a Python tuple (`{" t": [...]}`), as Flask stores each
 * flashed `(category, message)`. It reads back as a plain array: only writers choose tuples.
 */
export function tuple<Items extends unknown[]> (...items: Items): Readonly<Items> {
  const frozen = Object.freeze(items)
  TUPLES.add(frozen)
  return frozen
}

/** Deeper data than this is refused on read and on write, counting the session object and tag objects as the JSON text nests; no real session nests this far. */
const MAX_DEPTH = 64

const NON_ASCII = /[\u007f-\uffff]/g
/** The same class without `g`: testing first is cheaper than a `replace` that finds nothing, as in most strings. */
const HAS_NON_ASCII = /[\u007f-\uffff]/
const UUID_HEX = /^[0-9a-fA-F]{32}$/

function escapeCharacter (char: string): string {
  return '\\u' + char.charCodeAt(0).toString(16).padStart(4, '0')
}

/** Python orders strings by code point; JS `sort()` by UTF-16 unit. They differ only around astral characters. */
function compareCodePoints (left: string, right: string): number {
  const length = Math.min(left.length, right.length)
  for (let index = 0; index < length; index++) {
    const a = left.codePointAt(index) as number
    const b = right.codePointAt(index) as number
    if (a !== b) return a - b
    if (a > 0xffff) index++
  }
  return left.length - right.length
}

/**
 * JSON text of a finite number, spelled as Python's `repr` where the two differ: below 1e-4 Python
 * switches to exponent form with at least two exponent digits (`1e-05`, `1.5e-07`), so Flask mode
 * writes Flask's bytes. Any JSON reader reads both spellings as the same number.
 */
function writeNumber (value: number): string {
  if (value === 0 || Math.abs(value) >= 1e-4) return JSON.stringify(value)
  return value.toExponential().replace(/e-(\d)$/, 'e-0$1')
}

function isPlainObject (value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** The depth inside a value that opens `levels` JSON objects or arrays at `depth`; throws when the reader would refuse it. */
function enter (key: string, depth: number, levels: number): number {
  const inner = depth + levels
  if (inner > MAX_DEPTH) throw new UnstorableValueError(`session value "${key}" nests deeper than ${MAX_DEPTH} levels`)
  return inner
}

/**
 * A bigint's digits. The reader takes integer text that is a double's shortest form as that
 * double, so a bigint spelled like one but of another value would come back changed: refused.
 */
function writeBigint (value: bigint, key: string): string {
  const text = value.toString()
  const asNumber = Number(text)
  if (String(asNumber) === text && BigInt(asNumber) !== value) {
    throw new UnstorableValueError(`session value "${key}" is the bigint ${text}n, which would read back as the number ${BigInt(asNumber)} (its digits are also how JS writes that number); store it as a string`)
  }
  return text
}

/**
 * True for a value whose JSON is known to be storable without writing it (the seal writes it
 * anyway): a boolean, null, a finite number (at most 24 bytes, and maxJsonBytes is at least
 * 1 KiB), or a string short enough that even its longest spelling fits, since JSON spells each
 * UTF-16 unit in at most 6 bytes (`\u0001`, a lone surrogate; `asciiOnly`'s escapes too).
 */
function fitsWithoutWriting (value: unknown, maxJsonBytes: number): boolean {
  switch (typeof value) {
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'string':
      return value.length * 6 + 2 <= maxJsonBytes
  }
  return value === null
}

function valueAt (mapping: SessionRecord | Record<string, unknown>, name: string): unknown {
  return mapping instanceof Map ? mapping.get(name) : mapping[name]
}

function cannotStore (key: string, value: unknown): Error {
  return new UnstorableValueError(`session value "${key}" cannot be stored: it is ${describe(value)}; use JSON values, Date or Uint8Array`)
}

function describe (value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol') return 'a symbol'
  if (typeof value === 'undefined') return 'undefined'
  if (typeof value === 'number') return String(value)
  const name = (value as object).constructor?.name
  return name === undefined ? 'an object with a custom prototype' : `an instance of ${name}`
}

/**
 * The top layer: session data to JSON text (with Flask's tags for dates and bytes) and back,
 * and JSON text to a payload segment, zlib-compressed when that saves bytes.
 */
export class TaggedJsonSerializer {
  readonly #options: SerializerOptions
  /** Made at the first payload long enough to try, since each holds zlib's buffers (about 270 KB to compress). */
  #compress: Compress | undefined
  #decompress: Decompress | undefined

  constructor (options: SerializerOptions) {
    this.#options = options
  }

  /**
   * Throws a `TypeError` that names `key` when `value` cannot be stored, or would not be read
   * back as it is: the writer refuses all that the reader refuses.
   */
  assertStorable (key: string, value: unknown): void {
    if (fitsWithoutWriting(value, this.#options.maxJsonBytes)) return
    // Inside the session object: the first level.
    const bytes = Buffer.byteLength(this.#write(value, key, new Set(), 1))
    if (bytes > this.#options.maxJsonBytes) {
      throw new UnstorableValueError(`session value "${key}" is ${bytes} bytes of JSON, over maxJsonBytes (${this.#options.maxJsonBytes}); store an id, not the record`)
    }
  }

  dumpJson (record: SessionRecord): string {
    return this.#writeMapping(record, [...record.keys()], undefined, new Set(), 0)
  }

  /** The session as a Map, or why the text is not a session. */
  loadJson (json: string): SessionRecord | Refusal {
    let parsed: unknown
    try {
      parsed = parseJson(json, MAX_DEPTH)
    } catch (error) {
      // Deeper data could be read but never written back, so every later save would fail.
      return new Refusal('bad-payload', error instanceof TooDeepError ? `payload nests deeper than ${MAX_DEPTH} levels` : 'payload is not JSON')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return new Refusal('bad-payload', 'payload is not a JSON object')
    const record: SessionRecord = new Map()
    // Tags only ever appear as `{" x":`; when that text is absent the walk would change nothing.
    const tagged = json.includes('{" ')
    try {
      const untagged = tagged ? this.#untag(parsed) : parsed
      if (typeof untagged !== 'object' || untagged === null || Array.isArray(untagged) || untagged instanceof Date || ArrayBuffer.isView(untagged)) {
        return new Refusal('bad-payload', 'payload is a tagged value, not a session')
      }
      for (const key of Object.keys(untagged)) record.set(key, (untagged as Record<string, unknown>)[key])
    } catch (error) {
      return new Refusal('bad-payload', (error as Error).message)
    }
    return record
  }

  encodePayload (json: string): string {
    const bytes = Buffer.from(json)
    if (bytes.length > this.#options.maxJsonBytes) {
      throw new UnstorableValueError(`the session is ${bytes.length} bytes of JSON, over maxJsonBytes (${this.#options.maxJsonBytes}), so it could not be read back; store less in the session (an id, not the record), or raise maxJsonBytes`)
    }
    if (bytes.length >= this.#options.compressFromBytes) {
      this.#compress ??= createCompressor()
      // Flask's rule: only when it saves at least two bytes.
      const compressed = this.#compress(bytes, bytes.length - 2)
      if (compressed !== undefined) return '.' + compressed.toString('base64url')
    }
    return bytes.toString('base64url')
  }

  decodePayload (segment: string): { json: string } | Refusal {
    const compressed = segment.startsWith('.')
    const base64 = compressed ? segment.slice(1) : segment
    if (base64.length % 4 === 1) return new Refusal('bad-payload', 'payload is not base64url')
    let bytes: Buffer = Buffer.from(base64, 'base64url')
    if (bytes.length > this.#options.maxJsonBytes) return new Refusal('too-large', `payload is over ${this.#options.maxJsonBytes} bytes`)
    if (compressed) {
      this.#decompress ??= createDecompressor()
      try {
        bytes = this.#decompress(bytes, this.#options.maxJsonBytes)
      } catch (error) {
        return new Refusal('bad-payload', error instanceof TooLargeError ? `payload decompresses to over ${this.#options.maxJsonBytes} bytes` : `payload is not zlib data: ${(error as Error).message}`)
      }
    }
    const json = bytes.toString('utf8')
    if (json.includes('\ufffd') && !Buffer.from(json).equals(bytes)) return new Refusal('bad-payload', 'payload is not UTF-8')
    return { json }
  }

  #string (text: string): string {
    const json = JSON.stringify(text)
    return this.#options.asciiOnly && HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeCharacter) : json
  }

  #write (value: unknown, key: string, seen: Set<object>, depth: number): string {
    switch (typeof value) {
      case 'string':
        return this.#string(value)
      case 'boolean':
        return value ? 'true' : 'false'
      case 'bigint':
        return writeBigint(value, key)
      case 'number':
        if (Number.isFinite(value)) return writeNumber(value)
        break
      case 'object':
        if (value === null) return 'null'
        return this.#writeObject(value, key, seen, depth)
    }
    throw cannotStore(key, value)
  }

  /** `depth` is how many JSON objects and arrays enclose `value`, counted as the reader counts them. */
  #writeObject (value: object, key: string, seen: Set<object>, depth: number): string {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new UnstorableValueError(`session value "${key}" is an invalid Date`)
      enter(key, depth, 1)
      const year = value.getUTCFullYear()
      // The HTTP date has four year digits, and both readers take a year under 100 as 19xx or 20xx.
      if (this.#options.dateStyle === 'http' && (year < 100 || year > 9999)) {
        throw new UnstorableValueError(`session value "${key}" is a Date in the year ${year}; Flask's date format carries the years 100 to 9999`)
      }
      return `{"${TAG_DATE}":"${this.#options.dateStyle === 'http' ? value.toUTCString() : value.toISOString()}"}`
    }
    if (value instanceof Uint8Array) {
      enter(key, depth, 1)
      return `{"${TAG_BYTES}":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`
    }
    if (seen.has(value)) throw new UnstorableValueError(`session value "${key}" contains a cycle`)
    seen.add(value)
    let json: string
    if (Array.isArray(value)) {
      // A tuple is an array inside a tag object.
      const inner = enter(key, depth, TUPLES.has(value) ? 2 : 1)
      json = '['
      for (let index = 0; index < value.length; index++) {
        if (index > 0) json += ','
        json += this.#write(value[index], key, seen, inner)
      }
      json += ']'
      if (TUPLES.has(value)) json = `{"${TAG_TUPLE}":${json}}`
    } else if (isPlainObject(value)) {
      json = this.#writeMapping(value, Object.keys(value).filter((name) => value[name] !== undefined), key, seen, depth)
    } else {
      throw cannotStore(key, value)
    }
    seen.delete(value)
    return json
  }

  /**
   * A JSON object from `keys` of the session or of a nested object. `key` names the session key
   * in errors; at the top level (undefined) each entry is its own session key.
   */
  #writeMapping (mapping: SessionRecord | Record<string, unknown>, keys: string[], key: string | undefined, seen: Set<object>, depth: number): string {
    // A lone key that looks like a tag would be read back as that tag, so Flask escapes it.
    const onlyKey = keys.length === 1 ? keys[0] : undefined
    if (onlyKey !== undefined && TAG_KEYS.has(onlyKey)) {
      const valueKey = key ?? onlyKey
      return `{"${TAG_DICT}":{${this.#string(onlyKey + '__')}:${this.#write(valueAt(mapping, onlyKey), valueKey, seen, enter(valueKey, depth, 2))}}}`
    }
    // The session object itself (depth 0) is never too deep.
    const inner = enter(key ?? '', depth, 1)
    if (this.#options.sortKeys) keys.sort(compareCodePoints)
    let json = '{'
    for (const name of keys) {
      if (json.length > 1) json += ','
      json += this.#string(name) + ':' + this.#write(valueAt(mapping, name), key ?? name, seen, inner)
    }
    return json + '}'
  }

  /** Bottom-up, as Flask: children first, then a one-key object with a tag key becomes its value. */
  #untag (value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) value[index] = this.#untag(value[index])
      return value
    }
    const object = value as Record<string, unknown>
    const keys = Object.keys(object)
    for (const key of keys) object[key] = this.#untag(object[key])
    const onlyKey = keys.length === 1 ? keys[0] : undefined
    if (onlyKey === undefined || !TAG_KEYS.has(onlyKey)) return object
    return untagValue(onlyKey, object[onlyKey])
  }
}

function untagValue (tag: string, content: unknown): unknown {
  switch (tag) {
    case TAG_DICT: {
      // Children are untagged first, so the content may already be an array, a Date or bytes: Flask fails on those too.
      if (typeof content !== 'object' || content === null || !isPlainObject(content)) throw new Error('payload has a malformed dict tag')
      const result: Record<string, unknown> = {}
      for (const [escapedKey, inner] of Object.entries(content)) {
        Object.defineProperty(result, escapedKey.slice(0, -2), { value: inner, enumerable: true, writable: true, configurable: true })
      }
      return result
    }
    case TAG_TUPLE:
      return content
    case TAG_BYTES:
      return Buffer.from(String(content), 'base64')
    case TAG_MARKUP:
      return String(content)
    case TAG_UUID: {
      const hex = String(content)
      if (!UUID_HEX.test(hex)) throw new Error('payload has a malformed UUID tag')
      const lower = hex.toLowerCase()
      return `${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`
    }
    default: {
      // Flask yields None for a date it cannot parse; so do we.
      const milliseconds = Date.parse(String(content))
      return Number.isNaN(milliseconds) ? null : new Date(milliseconds)
    }
  }
}
