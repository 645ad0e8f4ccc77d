import { inflateSync } from 'node:zlib'
import type { FastifyCookieSessionOptions } from '../index.js'
import { type Html, html } from './html.js'

export type SessionFormat = NonNullable<FastifyCookieSessionOptions['format']>

interface FormatNote {
  /** How the signature (or the authentication tag) is made. */
  signature: string
  /** What anyone holding the cookie learns without the secret. */
  givesAway: string
  /** The cookie's layout, named when a value does not have it. */
  shape: string
  /** The table rows of a cookie cut into its labelled parts; undefined when the value has another shape. */
  rows: (inspected: InspectedRequest, value: string) => Html | undefined
}

const SIGNED_SHAPE = 'payload.timestamp.signature'

/** What the inspector says of each format, and how it cuts the cookie; a new format is one more line here. */
export const FORMAT_NOTES: Record<SessionFormat, FormatNote> = {
  default: { shape: SIGNED_SHAPE, rows: signedRows, signature: 'HMAC-SHA256 of payload.timestamp, under a key bound to the cookie name', givesAway: 'Everything in the session: the payload is base64url of JSON, so whoever holds the cookie can read it. Without the secret nobody can change it.' },
  flask: { shape: SIGNED_SHAPE, rows: signedRows, signature: "HMAC-SHA1 of payload.timestamp, Flask's own key and salt", givesAway: "Everything in the session: the payload is base64url of Flask's tagged JSON, readable by whoever holds the cookie, and by any Flask app that shares the secret. Without the secret nobody can change it." },
  encrypted: { shape: 'version ‖ key id ‖ timestamp ‖ nonce ‖ ciphertext ‖ tag', rows: encryptedRows, signature: 'XAES-256-GCM tag over the encrypted data, the version, the key id and the timestamp', givesAway: 'Nothing of the session: only its size, which key sealed it and when. Without the secret nobody can read or change it.' }
}

/** A compressed cookie inflates to far less than this; more is not a session we would have written. */
const MAX_INFLATED_BYTES = 64 * 1024

interface CookieParts {
  compressed: boolean
  payload: string
  timestamp: string
  signature: string
  signedAtSeconds: number
  /** The payload's JSON, as anyone can decode it without the secret; undefined when it does not decode to JSON. */
  readableJson: string | undefined
}

function decodeTimestamp (segment: string): number {
  return [...Buffer.from(segment, 'base64url')].reduce((seconds, byte) => seconds * 256 + byte, 0)
}

function readPayload (payload: string, compressed: boolean): string | undefined {
  try {
    const bytes = Buffer.from(payload, 'base64url')
    const text = (compressed ? inflateSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }) : bytes).toString('utf8')
    JSON.parse(text)
    return text
  } catch {
    return undefined
  }
}

/** The cookie cut as itsdangerous writes it: `[.]payload.timestamp.signature`; undefined for any other shape. */
export function cutCookie (value: string): CookieParts | undefined {
  const compressed = value.startsWith('.')
  const segments = (compressed ? value.slice(1) : value).split('.')
  if (segments.length !== 3) return undefined
  const [payload, timestamp, signature] = segments as [string, string, string]
  return { compressed, payload, timestamp, signature, signedAtSeconds: decodeTimestamp(timestamp), readableJson: readPayload(payload, compressed) }
}

interface InspectedRequest {
  cookieName: string
  /** The cookie the browser sent with this request, if any. */
  cookieValue: string | undefined
  format: SessionFormat
  lifetimeSeconds: number
  /** True when the browser sent a cookie and the server refused it. */
  refused: boolean
  permanent: boolean
  /** `request.session.toJSON()` before the page took its flashed messages. */
  session: Record<string, unknown>
}

function oneKeyPerLine (session: Record<string, unknown>): string {
  const lines = Object.entries(session).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`)
  return lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n}`
}

function isoSeconds (seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

function expiry ({ permanent, lifetimeSeconds }: InspectedRequest, parts: { signedAtSeconds: number }): string {
  const deadline = isoSeconds(parts.signedAtSeconds + lifetimeSeconds)
  return permanent
    ? `Permanent: the browser keeps it until ${deadline} (Max-Age ${lifetimeSeconds} s), and the server accepts it until then.`
    : `Not permanent: the browser drops it when it closes, and the server refuses it after ${deadline} (${lifetimeSeconds} s after it was signed) whatever the browser does.`
}

function signedRows (inspected: InspectedRequest, value: string): Html | undefined {
  const parts = cutCookie(value)
  if (parts === undefined) return undefined
  const note = FORMAT_NOTES[inspected.format]
  return html`
<tr><th>payload <span class="muted">(the data)</span></th><td><code class="payload">${parts.compressed ? '.' : ''}${parts.payload}</code><br><span class="muted">${parts.compressed ? 'The leading dot says: zlib-compressed. ' : ''}base64url, not encrypted.</span></td></tr>
<tr><th>timestamp <span class="muted">(when signed)</span></th><td><code class="timestamp">${parts.timestamp}</code> = ${isoSeconds(parts.signedAtSeconds)}</td></tr>
<tr><th>signature</th><td><code class="signature">${parts.signature}</code><br><span class="muted">${note.signature}. Change one character of the cookie and it no longer matches.</span></td></tr>
<tr><th>what anyone can read</th><td>${parts.readableJson === undefined ? html`Nothing: the payload does not decode without the secret.` : html`<pre>${parts.readableJson}</pre>`}<span class="muted">${note.givesAway}</span></td></tr>
<tr><th>expires</th><td>${inspected.refused ? 'Refused by the server.' : expiry(inspected, parts)}</td></tr>`
}

interface EncryptedParts {
  version: number
  keyId: string
  timestamp: string
  signedAtSeconds: number
  nonce: string
  ciphertext: string
  ciphertextBytes: number
  tag: string
}

/** Version, key id and timestamp (sent in the clear, authenticated), the 24-byte nonce, and the 16-byte tag (lib/crypto/encrypted-sealer.ts). */
const ENCRYPTED_LAYOUT = { keyId: 1, timestamp: 5, nonce: 10, ciphertext: 34, tagBytes: 16 }

/** The encrypted format's cookie, one base64url value of version ‖ key id ‖ timestamp ‖ nonce ‖ ciphertext ‖ tag; undefined for any other shape. */
export function cutEncryptedCookie (value: string): EncryptedParts | undefined {
  if (!/^[\w-]+$/.test(value)) return undefined
  const bytes = Buffer.from(value, 'base64url')
  const { keyId, timestamp, nonce, ciphertext, tagBytes } = ENCRYPTED_LAYOUT
  const tagStart = bytes.length - tagBytes
  if (tagStart < ciphertext) return undefined
  const hex = (start: number, end: number) => bytes.subarray(start, end).toString('hex')
  return {
    version: bytes[0] as number,
    keyId: hex(keyId, timestamp),
    timestamp: hex(timestamp, nonce),
    signedAtSeconds: bytes.readUIntBE(timestamp, nonce - timestamp),
    nonce: hex(nonce, ciphertext),
    ciphertext: bytes.subarray(ciphertext, tagStart).toString('base64url'),
    ciphertextBytes: tagStart - ciphertext,
    tag: hex(tagStart, bytes.length)
  }
}

function encryptedRows (inspected: InspectedRequest, value: string): Html | undefined {
  const parts = cutEncryptedCookie(value)
  if (parts === undefined) return undefined
  const note = FORMAT_NOTES[inspected.format]
  return html`
<tr><th>version</th><td><code>${String(parts.version)}</code><br><span class="muted">The layout of the cookie. In the clear, but authenticated: change it and the cookie is refused.</span></td></tr>
<tr><th>key id</th><td><code class="key-id">${parts.keyId}</code><br><span class="muted">Which secret sealed it: an id derived apart from the key, so it tells nothing about it.</span></td></tr>
<tr><th>timestamp <span class="muted">(when sealed)</span></th><td><code class="timestamp">${parts.timestamp}</code> = ${isoSeconds(parts.signedAtSeconds)}<br><span class="muted">In the clear, authenticated.</span></td></tr>
<tr><th>nonce</th><td><code class="nonce">${parts.nonce}</code><br><span class="muted">24 random bytes, new for every cookie: the same session never encrypts to the same bytes twice.</span></td></tr>
<tr><th>ciphertext <span class="muted">(the data)</span></th><td><code class="payload">${parts.ciphertext}</code><br><span class="muted">The session's JSON, encrypted: ${String(parts.ciphertextBytes)} bytes, as many as the JSON, and nothing else of it.</span></td></tr>
<tr><th>tag</th><td><code class="signature">${parts.tag}</code><br><span class="muted">${note.signature}. Change one character of the cookie and it no longer matches.</span></td></tr>
<tr><th>what anyone can read</th><td><span class="muted">${note.givesAway}</span></td></tr>
<tr><th>expires</th><td>${inspected.refused ? 'Refused by the server.' : expiry(inspected, parts)}</td></tr>`
}

/** The inspector panel: the cookie this request brought, cut into its labelled parts. */
export function renderInspector (inspected: InspectedRequest): Html {
  const { cookieName, cookieValue, format } = inspected
  if (cookieValue === undefined) {
    return html`<section id="inspector"><h2>Session inspector</h2>
<p>Your browser sent no <code>${cookieName}</code> cookie with this request: the session is empty, and a page that does not change it sends no cookie either.</p>
<p class="muted">Format: <code>${format}</code>.</p></section>`
  }
  const note = FORMAT_NOTES[format]
  const rows = note.rows(inspected, cookieValue)
  const sizeBytes = Buffer.byteLength(`${cookieName}=${cookieValue}`)
  return html`<section id="inspector"><h2>Session inspector</h2>
${inspected.refused ? html`<p class="refused">The server <strong>refused</strong> this cookie (tampered, forged or expired) and started a fresh, empty session; its response deletes the cookie. The log says why, at debug level.</p>` : html``}
<table>
<tr><th>decoded session</th><td><pre>${oneKeyPerLine(inspected.session)}</pre></td></tr>
<tr><th>cookie</th><td><code>${cookieName}</code>, ${sizeBytes} bytes (browsers keep about 4096), format <code>${format}</code></td></tr>
${rows ?? html`<tr><th>parts</th><td>Not a <code>${note.shape}</code> value.</td></tr>`}
</table></section>`
}
