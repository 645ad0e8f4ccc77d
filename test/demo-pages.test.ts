import { deflateSync } from 'node:zlib'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildDemoApp, type DemoOptions } from '../examples/app.js'
import { cutCookie, cutEncryptedCookie } from '../examples/inspector.js'
import { tamperWithCookie } from '../examples/pages.js'
import { NOW, SECRET, sessionValue, setCookies, stubClock } from './helpers.js'

/** One browser tab over `inject`: it keeps the session cookie the app sets, and drops it when deleted. */
class Tab {
  cookie: string | undefined

  constructor (readonly app: FastifyInstance) {}

  async request (options: InjectOptions): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ ...options, cookies: this.cookie === undefined ? {} : { session: this.cookie } })
    if (setCookies(response).length > 0) {
      const value = sessionValue(response)
      this.cookie = value === '' ? undefined : value
    }
    return response
  }

  /** The session cookie the tab holds; the test fails when the app set none, or deleted it. */
  heldCookie (): string {
    if (this.cookie === undefined) throw new Error('expected the tab to hold a session cookie, but the app set none or deleted it')
    return this.cookie
  }

  async form (url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request({ method: 'POST', url, payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  }

  async home (): Promise<string> {
    return (await this.request({ url: '/' })).body
  }

  async logIn (username: string, remember = false): Promise<LightMyRequestResponse> {
    return this.form('/login', remember ? { username, remember: 'on' } : { username })
  }

  /** The CSRF token the home page put in its forms. */
  async token (): Promise<string> {
    return /name="csrf_token" value="([^"]+)"/.exec(await this.home())?.[1] as string
  }
}

async function demo (t: Test, options: Partial<DemoOptions> = {}): Promise<FastifyInstance> {
  const app = await buildDemoApp({ secret: SECRET, ...options })
  t.teardown(() => app.close())
  return app
}

t.test('the home page shows a login form and an empty inspector, and sends no cookie', async (t) => {
  const response = await new Tab(await demo(t)).request({ url: '/' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/html; charset=utf-8/)
  t.match(response.headers['content-security-policy'], /default-src 'none'/)
  t.match(response.body, /<form method="post" action="\/login">/)
  t.match(response.body, /name="remember"/)
  t.match(response.body, /Your browser sent no <code>session<\/code> cookie/)
  t.strictSame(setCookies(response), [])
})

t.test('logging in through the form shows the user, the flash once, and the inspector with the cookie cut into parts', async (t) => {
  const tab = new Tab(await demo(t))
  const login = await tab.logIn('alice')
  t.equal(login.statusCode, 303)
  t.equal(login.headers.location, '/')
  t.notMatch(setCookies(login)[0], /Max-Age/, 'without "remember me" the cookie is a browser-session cookie')
  const sentCookie = `session=${tab.heldCookie()}`
  const page = await tab.home()
  t.match(page, /<h1>Logged in as alice<\/h1>/)
  t.match(page, /<p class="flash message" role="status">Logged in as alice<\/p>/)
  t.match(page, /A browser session: the cookie has no Max-Age/)
  t.match(page, /<th>decoded session<\/th><td><pre>\{\n {2}&quot;username&quot;: &quot;alice&quot;/)
  t.match(page, /<code class="payload">[\w-]+<\/code>/)
  t.match(page, /<code class="timestamp">[\w-]+<\/code> = \d{4}-\d\d-\d\dT/)
  t.match(page, /<code class="signature">[\w-]+<\/code><br><span class="muted">HMAC-SHA256/)
  t.match(page, /Not permanent: the browser drops it when it closes, and the server refuses it after/)
  t.match(page, new RegExp(`<code>session</code>, ${sentCookie.length} bytes`))
  t.notMatch(await tab.home(), /class="flash/, 'a flashed message shows once')
})

t.test('"remember me" makes the session permanent: Max-Age on the cookie, and the inspector says until when', async (t) => {
  const tab = new Tab(await demo(t, { lifetimeSeconds: 3600 }))
  const login = await tab.logIn('alice', true)
  t.match(setCookies(login)[0], /; Max-Age=3600;/)
  const page = await tab.home()
  t.match(page, /A permanent session: the cookie has a Max-Age/)
  t.match(page, /Permanent: the browser keeps it until \S+ \(Max-Age 3600 s\), and the server accepts it until then\./)
})

t.test('a name is escaped everywhere it is shown', async (t) => {
  const tab = new Tab(await demo(t))
  await tab.logIn('<script>alert(1)</script>')
  const page = await tab.home()
  t.notMatch(page, /<script>/)
  t.match(page, /<h1>Logged in as &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/)
})

t.test('logging in again starts a fresh session: nothing planted before login survives', async (t) => {
  const app = await demo(t)
  const tab = new Tab(app)
  tab.cookie = sessionValue(await app.inject('/login/mallory'))
  await tab.form('/login', { username: 'alice' })
  t.equal((await tab.request({ url: '/profile' })).body, 'User: alice\n')
  t.notOk(/mallory/.test(await tab.home()))
})

t.test('logging out through the form takes its token, clears the session and flashes "Logged out"', async (t) => {
  const tab = new Tab(await demo(t))
  await tab.logIn('alice', true)
  const token = await tab.token()
  const logout = await tab.form('/logout', { csrf_token: token })
  t.equal(logout.statusCode, 303)
  t.equal((await tab.request({ url: '/profile' })).body, 'Not logged in\n', 'the plain routes see it too')
  const page = await tab.home()
  t.match(page, /<p class="flash message" role="status">Logged out<\/p>/)
  t.match(page, /You are not logged in/)
  t.equal(tab.cookie, undefined, 'once the flash is read the session is empty and the cookie deleted')

  const replay = await tab.form('/logout', { csrf_token: token })
  t.equal(replay.statusCode, 403, 'a replayed logout is refused: the token left with the session')
})

t.test('a logout without the right token gets a 403 page and leaves the session as it was', async (t) => {
  const tab = new Tab(await demo(t))
  await tab.logIn('alice')
  const token = await tab.token()
  for (const fields of [{} as Record<string, string>, { csrf_token: '' }, { csrf_token: token.slice(1) }, { csrf_token: 'x'.repeat(token.length) }]) {
    const cookieBefore = tab.cookie
    const response = await tab.form('/logout', fields)
    t.equal(response.statusCode, 403, JSON.stringify(fields))
    t.match(response.body, /The form&#39;s token does not match this session/)
    t.match(response.headers['content-type'], /^text\/html/)
    t.strictSame(setCookies(response), [], 'no cookie change')
    t.equal(tab.cookie, cookieBefore)
  }
  const missingBody = await tab.request({ method: 'POST', url: '/logout' })
  t.equal(missingBody.statusCode, 400)
  t.equal((await tab.request({ url: '/profile' })).body, 'User: alice\n')
})

t.test('bad form input gets a clear 4xx page, never a 500', async (t) => {
  const tab = new Tab(await demo(t))
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const cases: Array<[string, InjectOptions, number, RegExp]> = [
    ['an empty name', { method: 'POST', url: '/login', payload: 'username=', headers: form }, 400, /A name is 1 to 40 printable characters/],
    ['a name of spaces', { method: 'POST', url: '/login', payload: 'username=%20%20', headers: form }, 400, /A name is 1 to 40/],
    ['a name of 41 characters', { method: 'POST', url: '/login', payload: `username=${'a'.repeat(41)}`, headers: form }, 400, /A name is 1 to 40/],
    ['a control character', { method: 'POST', url: '/login', payload: 'username=a%00b', headers: form }, 400, /A name is 1 to 40/],
    ['no username field', { method: 'POST', url: '/login', payload: 'name=alice', headers: form }, 400, /A name is 1 to 40/],
    ['two username fields', { method: 'POST', url: '/login', payload: 'username=a&username=b', headers: form }, 400, /A name is 1 to 40/],
    ['a JSON number as the name', { method: 'POST', url: '/login', payload: { username: 7 } }, 400, /A name is 1 to 40/],
    ['no body', { method: 'POST', url: '/login' }, 400, /The form was sent without its fields/],
    ['broken JSON', { method: 'POST', url: '/login', payload: '{"username"', headers: { 'content-type': 'application/json' } }, 400, /JSON/],
    ['plain text', { method: 'POST', url: '/login', payload: 'alice', headers: { 'content-type': 'text/plain' } }, 400, /The form was sent without its fields/],
    ['an unknown content type', { method: 'POST', url: '/login', payload: '<username/>', headers: { 'content-type': 'application/xml' } }, 415, /Unsupported Media Type/],
    ['GET on the login form', { method: 'GET', url: '/login' }, 405, /only answers POST/],
    ['PUT on logout', { method: 'PUT', url: '/logout' }, 405, /only answers GET, HEAD, POST/],
    ['GET on tamper', { method: 'GET', url: '/tamper?x=1' }, 405, /only answers POST/],
    ['a page that does not exist', { method: 'GET', url: '/nowhere' }, 404, /There is no such page/]
  ]
  for (const [name, options, statusCode, message] of cases) {
    const response = await tab.request(options)
    t.equal(response.statusCode, statusCode, name)
    t.match(response.headers['content-type'], /^text\/html/, name)
    t.match(response.body, message, name)
    t.strictSame(setCookies(response), [], `${name}: no session is started`)
  }
  t.equal((await tab.request({ method: 'GET', url: '/login' })).headers.allow, 'POST')
})

t.test('an error of the server gets a 500 page that says nothing of it', async (t) => {
  const app = await demo(t)
  app.get('/broken', async () => { throw new Error('secret detail') })
  const response = await app.inject('/broken')
  t.equal(response.statusCode, 500)
  t.match(response.body, /Something went wrong on the server/)
  t.notMatch(response.body, /secret detail/)
})

t.test('the tamper button changes one character of the cookie; the next page has a fresh session and no error', async (t) => {
  for (const remember of [false, true]) {
    const tab = new Tab(await demo(t))
    await tab.logIn('alice', remember)
    const token = await tab.token()
    const before = tab.heldCookie()
    t.equal(before[0], 'e', 'a JSON payload starts with eyJ')
    const tamper = await tab.form('/tamper', { csrf_token: token })
    t.equal(tamper.statusCode, 303)
    t.equal(setCookies(tamper).length, 1, 'only the broken cookie: the plugin sends no valid one after it')
    t.match(setCookies(tamper)[0], remember ? /; Max-Age=2678400; HttpOnly; Path=\/; SameSite=Lax$/ : /^session=[^;]+; HttpOnly; Path=\/; SameSite=Lax$/, 'same attributes as a real one')
    const tampered = tab.heldCookie()
    t.not(tampered, before)
    t.equal(tampered[0], 'A', 'the first character of the payload changed')
    const restored = await tab.app.inject({ url: '/profile', cookies: { session: before[0] + tampered.slice(1) } })
    t.equal(restored.body, 'User: alice\n', 'with that one character put back, the cookie is valid')
    const home = await tab.request({ url: '/' })
    t.equal(home.statusCode, 200)
    t.match(home.body, /The server <strong>refused<\/strong> this cookie/)
    t.match(home.body, /You are not logged in/)
    t.match(home.body, /<th>expires<\/th><td>Refused by the server\.<\/td>/)
    t.match(setCookies(home)[0], /^session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0/, 'and the bad cookie is deleted')
    t.equal(tab.cookie, undefined)
  }
  const tab = new Tab(await demo(t))
  t.equal((await tab.form('/tamper', { csrf_token: 'guess' })).statusCode, 403, 'tampering needs the token too')
})

t.test('tamperWithCookie changes exactly one character of the payload', async (t) => {
  t.equal(tamperWithCookie('session=eyJh.b.c; Path=/', 'session'), 'session=AyJh.b.c; Path=/')
  t.equal(tamperWithCookie('session=AyJh.b.c; Path=/', 'session'), 'session=ByJh.b.c; Path=/')
  t.equal(tamperWithCookie('s=.eJy.b.c; Path=/', 's'), 's=.AJy.b.c; Path=/', 'after the dot of a compressed payload')
  t.equal(tamperWithCookie('s=abcdefgh; Path=/', 's'), 's=abcdAfgh; Path=/', 'the middle of an encrypted value')
  t.equal(tamperWithCookie('s=abcdAfgh', 's'), 's=abcdBfgh', 'a header without attributes')
})

t.test('a cookie older than lifetimeSeconds is refused by the server, whatever the browser kept', async (t) => {
  const clock = stubClock(t, NOW)
  const tab = new Tab(await demo(t, { lifetimeSeconds: 60 }))
  await tab.logIn('alice')
  t.match(await tab.home(), /Logged in as alice/)
  clock.seconds += 61
  const page = await tab.home()
  t.match(page, /You are not logged in/)
  t.match(page, /The server <strong>refused<\/strong> this cookie/)
})

t.test('the inspector says when a cookie is not a signed value, or its payload does not decode', async (t) => {
  const app = await demo(t)
  const garbage = await app.inject({ url: '/', cookies: { session: 'not-a-cookie' } })
  t.match(garbage.body, /Not a <code>payload.timestamp.signature<\/code> value/)
  t.match(garbage.body, /refused/)
  const opaque = await app.inject({ url: '/', cookies: { session: 'AAAA.axEmiQ.c2ln' } })
  t.match(opaque.body, /Nothing: the payload does not decode without the secret/)
  t.equal(cutCookie('.' + deflateSync('{"a":1}').toString('base64url') + '.AQ.c2ln')?.readableJson, '{"a":1}')
  t.equal(cutCookie('.' + Buffer.from('not zlib').toString('base64url') + '.AQ.c2ln')?.readableJson, undefined)
})

t.test('in Flask format the inspector shows Flask\'s tagged JSON and signature, and the pages work the same', async (t) => {
  const tab = new Tab(await demo(t, { format: 'flask' }))
  await tab.logIn('alice')
  const page = await tab.home()
  t.match(page, /Logged in as alice/)
  t.match(page, /HMAC-SHA1 of payload.timestamp, Flask&#39;s own key and salt/)
  t.match(page, /base64url of Flask&#39;s tagged JSON/)
  t.match(page, /&quot;_flashes&quot;:\[\{&quot; t&quot;:\[&quot;message&quot;,&quot;Logged in as alice&quot;\]\}\]/, 'the tuple tag Flask writes')
  const logout = await tab.form('/logout', { csrf_token: await tab.token() })
  t.equal(logout.statusCode, 303)
  t.match(await tab.home(), /Logged out/)

  await tab.request({ url: `/login/${'ab'.repeat(45)}` })
  t.match(tab.cookie, /^\./, 'Flask compresses a session that shrinks by it')
  const compressed = await tab.home()
  t.match(compressed, /<code class="payload">\.[\w-]+<\/code><br><span class="muted">The leading dot says: zlib-compressed\. base64url, not encrypted\./)
  t.match(compressed, /<pre>\{&quot;username&quot;:&quot;(ab)+&quot;\}<\/pre>/, 'and anyone can still inflate it and read it')
})

t.test('in the encrypted format the inspector cuts the cookie into version, key id, timestamp, nonce, ciphertext and tag, and none of them shows the data', async (t) => {
  stubClock(t, NOW)
  const tab = new Tab(await demo(t, { format: 'encrypted' }))
  await tab.logIn('alice')
  const page = await tab.home()
  t.match(page, /Logged in as alice/)
  for (const label of ['version', 'key id', 'timestamp', 'nonce', 'ciphertext', 'tag']) t.match(page, new RegExp(`<tr><th>${label}`), `the ${label} is labelled`)
  t.match(page, /= 2023-11-14T22:13:20Z/, 'the timestamp, in the clear')
  t.match(page, /XAES-256-GCM tag over the encrypted data/)
  t.match(page, /Nothing of the session: only its size, which key sealed it and when/)
  const parts = cutEncryptedCookie(tab.heldCookie())
  t.equal(parts?.version, 1)
  t.equal(parts?.signedAtSeconds, NOW)
  const token = await tab.token()
  const shown = [...page.matchAll(/<code class="[\w-]+">([^<]*)<\/code>/g)].map((match) => match[1]).join(' ')
  for (const secretValue of ['alice', token, Buffer.from('alice').toString('base64url'), Buffer.from(token).toString('base64url'), Buffer.from('alice').toString('hex')]) {
    t.notOk(shown.includes(secretValue), `the cookie's parts do not show ${secretValue}`)
  }
  t.match(page, /<pre>\{\n {2}&quot;username&quot;: &quot;alice&quot;/, 'the server, holding the secret, still shows the decoded session')

  const before = tab.heldCookie()
  const tamper = await tab.form('/tamper', { csrf_token: token })
  t.equal(tamper.statusCode, 303)
  const tampered = tab.heldCookie()
  t.not(tampered, before)
  t.equal(cutEncryptedCookie(tampered)?.version, 1, 'the version is untouched: the change is in the ciphertext, so the tag no longer matches')
  const refused = await tab.request({ url: '/' })
  t.match(refused.body, /The server <strong>refused<\/strong> this cookie/)
  t.match(refused.body, /<form method="post" action="\/login">/, 'a fresh, logged-out session')
  t.match(setCookies(refused), [/^session=; Expires=Thu, 01 Jan 1970/], 'and the broken cookie is deleted')
  t.equal(cutEncryptedCookie('not.encrypted'), undefined)
  t.equal(cutEncryptedCookie('AAAA'), undefined, 'too short to hold a nonce and a tag')
  const garbage = await tab.app.inject({ url: '/', cookies: { session: 'AAAA' } })
  t.match(garbage.body, /Not a <code>version ‖ key id ‖ timestamp ‖ nonce ‖ ciphertext ‖ tag<\/code> value/)
})
