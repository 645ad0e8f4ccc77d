import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'

/** Cookies that real Flask wrote with its clocks frozen: test/flask/flask_vectors.py writes the file (npm run flask-vectors). */
export interface ValidVector {
  name: string
  secret_hex: string
  timestamp: number
  value: Record<string, unknown>
  decoded: Record<string, unknown>
  tagged_json: string
  compressed: boolean
  payload: string
  signing_input: string
  signature: string
  cookie: string
  verify: { now: number, max_age: number }
}

export interface RefusedVector {
  name: string
  description: string
  secret_hex: string
  cookie: string
  now: number
  max_age: number
  flask: { result: 'empty_session' | 'server_error' | 'session', status: number, session?: Record<string, unknown> }
}

export interface HttpStep {
  request: { path: string, cookie: string | null, now: number }
  status: number
  body: Record<string, unknown>
  set_cookie: string[]
  vary: string | null
  warnings: string[]
}

export interface HttpScenario {
  name: string
  description: string
  config: Record<string, unknown>
  steps: HttpStep[]
}

export interface FlaskVectors {
  keys: Array<{ label: string, secret_hex: string, derived_key_hex: string }>
  valid: ValidVector[]
  invalid: RefusedVector[]
  lenient: RefusedVector[]
  http: HttpScenario[]
}

export const vectors = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'flask-vectors.json'), 'utf8')) as FlaskVectors

/** A vector's secret as bytes (one of them is binary, so it is only given in hex). */
export function secretOf (vector: { secret_hex: string }): Buffer {
  return Buffer.from(vector.secret_hex, 'hex')
}

/**
 * The vectors write Python-only values as `{"$tuple": [...]}` and the like; this is the JS
 * value the plugin gives for each. `$float` has no JS form (a JS number does not know whether
 * it was written `1` or `1.0`), so it is returned as a marker that no session value can equal.
 */
export function toJs (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJs)
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  const [onlyEntry] = entries
  if (entries.length === 1 && onlyEntry !== undefined && onlyEntry[0].startsWith('$')) {
    const [tag, content] = onlyEntry
    switch (tag) {
      case '$tuple': return (content as unknown[]).map(toJs)
      case '$bytes': return Buffer.from(content as string, 'base64')
      case '$datetime': return new Date(content as string)
      case '$int': return BigInt(content as string)
      case '$uuid': case '$markup': return content
      case '$float': return { pythonFloatText: content }
      default: throw new Error(`unknown vector tag ${tag}`)
    }
  }
  return Object.fromEntries(entries.map(([key, inner]) => [key, toJs(inner)]))
}

/** The JSON text inside a cookie value, decompressed when it starts with `.`. */
export function payloadJson (cookieValue: string): string {
  const segment = cookieValue.slice(0, cookieValue.lastIndexOf('.', cookieValue.lastIndexOf('.') - 1))
  const bytes = Buffer.from(segment.replace(/^\./, ''), 'base64url')
  return (segment.startsWith('.') ? inflateSync(bytes) : bytes).toString('utf8')
}

/** The value of the first `name=value` Set-Cookie header for `name`, or undefined. */
export function cookieValue (headers: string[], name = 'session'): string | undefined {
  const header = headers.find((line) => line.startsWith(name + '='))
  return header?.slice(name.length + 1).split(';')[0]
}
