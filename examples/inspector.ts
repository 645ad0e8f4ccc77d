import { inflateSync } from 'node:zlib'
import type { FastifyCookieSessionOptions } from '../index.js'
import { type Html, html } from './html.js'

export type SessionFormat = NonNullable<FastifyCookieSessionOptions['format']>

interface FormatNote {
  /** How the signature is made. */
  signature: string
  /** What anyone holding the cookie learns without the secret. */
  givesAway: string
}

/** What the inspector says of each format; a new format is one more line here. */
export const FORMAT_NOTES: Record<SessionFormat, FormatNote> = {
  default: { signature: 'HMAC-SHA256 of payload.timestamp, under a key bound to the cookie name', givesAway: 'Everything in the session: the payload is base64url of JSON, so whoever holds the cookie can read it. Without the secret nobody can change it.' },
  flask: { signature: "HMAC-SHA1 of payload.timestamp, Flask's own key and salt", givesAway: "Everything in the session: the payload is base64url of Flask's tagged JSON, readable by whoever holds the cookie, and by any Flask app that shares the secret. Without the secret nobody can change it." },
  encrypted: { signature: 'XAES-256-GCM tag over the encrypted data, the version, the key id and the timestamp', givesAway: 'Nothing of the session: only its size, which key sealed it and when. Without the secret nobody can read or change it.' }
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
  const [payload, timestamp, signature] = segments
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

function expiry ({ permanent, lifetimeSeconds }: InspectedRequest, parts: CookieParts): string {
  const deadline = isoSeconds(parts.signedAtSeconds + lifetimeSeconds)
  return permanent
    ? `Permanent: the browser keeps it until ${deadline} (Max-Age ${lifetimeSeconds} s), and the server accepts it until then.`
    : `Not permanent: the browser drops it when it closes, and the server refuses it after ${deadline} (${lifetimeSeconds} s after it was signed) whatever the browser does.`
}

function partsRows (inspected: InspectedRequest, parts: CookieParts): Html {
  const note = FORMAT_NOTES[inspected.format]
  return html`
<tr><th>payload <span class="muted">(the data)</span></th><td><code class="payload">${parts.compressed ? '.' : ''}${parts.payload}</code><br><span class="muted">${parts.compressed ? 'The leading dot says: zlib-compressed. ' : ''}base64url, not encrypted.</span></td></tr>
<tr><th>timestamp <span class="muted">(when signed)</span></th><td><code class="timestamp">${parts.timestamp}</code> = ${isoSeconds(parts.signedAtSeconds)}</td></tr>
<tr><th>signature</th><td><code class="signature">${parts.signature}</code><br><span class="muted">${note.signature}. Change one character of the cookie and it no longer matches.</span></td></tr>
<tr><th>what anyone can read</th><td>${parts.readableJson === undefined ? html`Nothing: the payload does not decode without the secret.` : html`<pre>${parts.readableJson}</pre>`}<span class="muted">${note.givesAway}</span></td></tr>
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
  const parts = cutCookie(cookieValue)
  const sizeBytes = Buffer.byteLength(`${cookieName}=${cookieValue}`)
  return html`<section id="inspector"><h2>Session inspector</h2>
${inspected.refused ? html`<p class="refused">The server <strong>refused</strong> this cookie (tampered, forged or expired) and started a fresh, empty session; its response deletes the cookie. The log says why, at debug level.</p>` : html``}
<table>
<tr><th>decoded session</th><td><pre>${oneKeyPerLine(inspected.session)}</pre></td></tr>
<tr><th>cookie</th><td><code>${cookieName}</code>, ${sizeBytes} bytes (browsers keep about 4096), format <code>${format}</code></td></tr>
${parts === undefined ? html`<tr><th>parts</th><td>Not a <code>payload.timestamp.signature</code> value.</td></tr>` : partsRows(inspected, parts)}
</table></section>`
}
