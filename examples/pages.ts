import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FlashRequest } from '../index.js'
import { type Html, html, page } from './html.js'
import { renderInspector, type SessionFormat } from './inspector.js'

export interface PageSettings {
  cookieName: string
  format: SessionFormat
  lifetimeSeconds: number
}

const MAX_USERNAME_LENGTH = 40
const CSRF_KEY = 'csrf_token'
/** Printable text only: a name is shown on pages and kept in a cookie. */
const USERNAME = new RegExp(`^[^\\p{Cc}]{1,${MAX_USERNAME_LENGTH}}$`, 'u')
/** The form paths and the methods they answer, for a clear 405 instead of a 404. */
const FORM_METHODS: Record<string, string> = { '/login': 'POST', '/logout': 'GET, HEAD, POST', '/tamper': 'POST' }
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin'
}

/** `flash: true` adds the methods; they are not declared on every request, since `@fastify/flash` declares its own. */
const flashing = (request: FastifyRequest): FlashRequest => request as unknown as FlashRequest

class PageError extends Error {
  constructor (readonly statusCode: number, message: string) {
    super(message)
  }
}

function sendPage (reply: FastifyReply, statusCode: number, title: string, content: Html): FastifyReply {
  return reply.code(statusCode).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page(title, content).text)
}

function errorPage (reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return sendPage(reply, statusCode, `Error ${statusCode}`, html`<section><h1>${statusCode}: ${reply.request.method} ${reply.request.url}</h1>
<p>${message}</p><p><a href="/">Back to the home page</a></p></section>`)
}

/** A form's fields, or a 400 when the request carried none. */
function formFields (request: FastifyRequest): Record<string, unknown> {
  const { body } = request
  if (typeof body !== 'object' || body === null) throw new PageError(400, 'The form was sent without its fields. Use the form on the home page.')
  return body as Record<string, unknown>
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** The form's token matches the session's; compared in constant time, whatever the lengths. */
function hasValidToken (request: FastifyRequest): boolean {
  const expected = request.session.get(CSRF_KEY)
  const given = formFields(request)[CSRF_KEY]
  return typeof expected === 'string' && typeof given === 'string' && timingSafeEqual(digest(expected), digest(given))
}

function assertValidToken (request: FastifyRequest): void {
  if (!hasValidToken(request)) throw new PageError(403, "The form's token does not match this session (a stale page, or a form sent from another site). Nothing was changed.")
}

/**
 * The cookie header with one character of the data changed: the first of a signed payload, or,
 * in an encrypted cookie (one value without dots), one in the middle, which is ciphertext.
 * Either way the signature or the tag no longer matches.
 */
export function tamperWithCookie (setCookie: string, cookieName: string): string {
  const valueStart = cookieName.length + 1
  const valueEnd = setCookie.indexOf(';') === -1 ? setCookie.length : setCookie.indexOf(';')
  const value = setCookie.slice(valueStart, valueEnd)
  const at = value.includes('.')
    ? valueStart + (value.startsWith('.') ? 1 : 0)
    : valueStart + Math.floor(value.length / 2)
  const replacement = setCookie[at] === 'A' ? 'B' : 'A'
  return setCookie.slice(0, at) + replacement + setCookie.slice(at + 1)
}

function tokenField (token: unknown): Html {
  return html`<input type="hidden" name="${CSRF_KEY}" value="${String(token)}">`
}

function renderHome (request: FastifyRequest, settings: PageSettings, flashes: ReadonlyArray<readonly [string, string]>, inspector: Html): Html {
  const username = request.session.get('username')
  const messages = flashes.map(([category, message]) => html`<p class="flash ${category}" role="status">${message}</p>`)
  const account = typeof username === 'string'
    ? html`<section id="account"><h1>Logged in as ${username}</h1>
<p>${request.session.permanent ? 'A permanent session: the cookie has a Max-Age, so it outlives the browser.' : 'A browser session: the cookie has no Max-Age, so it ends when the browser closes.'}</p>
<form method="post" action="/logout">${tokenField(request.session.get(CSRF_KEY))}<button type="submit">Log out</button></form>
<form method="post" action="/tamper">${tokenField(request.session.get(CSRF_KEY))}<button type="submit" class="secondary">Tamper with the cookie</button></form>
</section>`
    : html`<section id="account"><h1>You are not logged in</h1>
<form method="post" action="/login">
<label>Name <input type="text" name="username" required maxlength="${MAX_USERNAME_LENGTH}" autocomplete="username"></label>
<label><input type="checkbox" name="remember"> Remember me</label>
<button type="submit">Log in</button>
</form>
<p class="muted">"Remember me" sets <code>session.permanent</code>: the cookie gets a Max-Age of ${settings.lifetimeSeconds} s and outlives the browser.</p>
</section>`
  return html`${messages}${account}${inspector}`
}

/** The demo's web pages: a login form, flash messages, a CSRF-protected logout, the session inspector and a tamper button. */
export async function registerPages (app: FastifyInstance, settings: PageSettings): Promise<void> {
  const { cookieName } = settings

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode = error.statusCode ?? 500
    if (statusCode < 500) return errorPage(reply, statusCode, error.message)
    request.log.error(error)
    return errorPage(reply, 500, 'Something went wrong on the server; the log says what.')
  })

  app.setNotFoundHandler((request, reply) => {
    const allowed = FORM_METHODS[request.url.split('?')[0]!]
    if (allowed === undefined) return errorPage(reply, 404, 'There is no such page.')
    return errorPage(reply.header('allow', allowed), 405, `This address only answers ${allowed}: use the buttons on the home page.`)
  })

  app.get('/', async (request, reply) => {
    const inspector = renderInspector({
      cookieName,
      cookieValue: request.cookies[cookieName],
      format: settings.format,
      lifetimeSeconds: settings.lifetimeSeconds,
      refused: request.cookies[cookieName] !== undefined && request.session.isNew,
      permanent: request.session.permanent,
      session: request.session.toJSON()
    })
    const flashes = flashing(request).flashedMessages({ withCategories: true })
    return sendPage(reply, 200, 'Home', renderHome(request, settings, flashes, inspector))
  })

  app.post('/login', async (request, reply) => {
    const { username, remember } = formFields(request)
    const name = typeof username === 'string' ? username.trim() : ''
    if (!USERNAME.test(name)) throw new PageError(400, `A name is 1 to ${MAX_USERNAME_LENGTH} printable characters.`)
    // A fresh session at login: nothing planted in the session before it survives (no session fixation).
    request.session.regenerate()
    request.session.set('username', name)
    request.session.set(CSRF_KEY, randomBytes(32).toString('base64url'))
    if (remember === 'on') request.session.permanent = true
    flashing(request).flash(`Logged in as ${name}`)
    return reply.redirect('/', 303)
  })

  app.post('/logout', async (request, reply) => {
    assertValidToken(request)
    request.session.clear()
    flashing(request).flash('Logged out')
    return reply.redirect('/', 303)
  })

  // The cookie is HttpOnly, so the page cannot change it: the server hands the browser a broken copy.
  app.post('/tamper', async (request, reply) => {
    assertValidToken(request)
    // A hijacked reply skips the hooks, so the plugin does not send its own (valid) cookie after this one.
    reply.hijack()
    request.session.modified = true
    reply.commitSession()
    reply.raw.setHeader('set-cookie', tamperWithCookie(String(reply.raw.getHeader('set-cookie')), cookieName))
    reply.raw.writeHead(303, { location: '/' })
    reply.raw.end()
  })
}
