import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, request as httpRequest, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { buildDemoApp, type DemoOptions } from '../examples/app.js'
import { SECRET } from './helpers.js'

/**
 * The demo in a real Chromium over real HTTP. Debian's Chromium (`apt-get install chromium`),
 * driven by playwright-core; Playwright's own browser download is never used.
 * Without Chromium these tests are skipped, unless REQUIRE_BROWSER=1 (set by .ci/run).
 * UPDATE_SCREENSHOTS=1 (`npm run screenshots`) writes the README's screenshots into docs/.
 */
const CHROMIUM = '/usr/bin/chromium'
// --disable-dev-shm-usage: containers often have a tiny /dev/shm, where Chromium would crash.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const DOCS = join(__dirname, '..', 'docs')

async function listen (server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The demo on a free port; its log lines are kept, to see what the plugin warned about. */
async function startDemo (t: Test, options: Partial<DemoOptions> = {}): Promise<{ url: string, logs: string[] }> {
  const logs: string[] = []
  const app = await buildDemoApp({ secret: SECRET, logger: { level: 'warn', stream: { write: (line: string) => { logs.push(line) } } }, ...options })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, logs }
}

/** A TLS-terminating proxy, minus the TLS: it forwards to `target` and says the client came over https. */
async function startProxy (t: Test, target: string): Promise<string> {
  const proxy = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = httpRequest(`${target}${incoming.url ?? '/'}`, {
      method: incoming.method,
      headers: { ...incoming.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1' }
    }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers)
      response.pipe(outgoing)
    })
    incoming.pipe(upstream)
  })
  t.teardown(() => {
    proxy.closeAllConnections()
    proxy.close()
  })
  return listen(proxy)
}

/** A browser on a profile directory that outlives it, so closing and reopening is a real restart. */
async function openBrowser (t: Test, profileDir: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1000, height: 700 }
  })
  t.teardown(() => context.close())
  // Fail a step in seconds with Playwright's message, well before tap's own timeout.
  context.setDefaultTimeout(10_000)
  return context
}

function newProfileDir (t: Test): string {
  const profileDir = mkdtempSync(join(tmpdir(), 'demo-browser-'))
  t.teardown(() => rmSync(profileDir, { recursive: true, force: true }))
  return profileDir
}

async function newPage (t: Test): Promise<Page> {
  const context = await openBrowser(t, newProfileDir(t))
  return context.pages()[0] ?? await context.newPage()
}

/** Fills in the login form and waits for the page the redirect lands on; returns the login response's Set-Cookie. */
async function logIn (page: Page, username: string, remember = false): Promise<string> {
  await page.fill('input[name=username]', username)
  if (remember) await page.check('input[name=remember]')
  const [login] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith('/login')),
    page.click('button:has-text("Log in")')
  ])
  await page.waitForSelector('#account h1:has-text("Logged in as")')
  return await login.headerValue('set-cookie') ?? ''
}

async function screenshot (page: Page, name: string, selector?: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return
  const path = join(DOCS, `${name}.png`)
  if (selector === undefined) await page.screenshot({ path, fullPage: true })
  else await page.locator(selector).screenshot({ path })
}

async function browserScenarios (t: Test): Promise<void> {
  t.test('1. logging in through the form shows the user, the flash and the session in the inspector', async (t) => {
    const { url } = await startDemo(t)
    const page = await newPage(t)
    await page.goto(url)
    t.equal(await page.textContent('#account h1'), 'You are not logged in')
    t.match(await page.textContent('#inspector'), /Your browser sent no session cookie/)
    await screenshot(page, 'demo-logged-out')

    await logIn(page, 'alice')
    t.equal(await page.textContent('#account h1'), 'Logged in as alice')
    t.equal(await page.textContent('.flash'), 'Logged in as alice')
    const inspector = await page.textContent('#inspector') ?? ''
    t.match(inspector, /"username": "alice"/, 'the decoded session')
    t.match(inspector, /payload \(the data\)/)
    t.match(inspector, /timestamp \(when signed\)/)
    t.match(inspector, /HMAC-SHA256/)
    await screenshot(page, 'demo-logged-in')
    await screenshot(page, 'demo-inspector', '#inspector')

    await page.reload()
    t.equal(await page.locator('.flash').count(), 0, 'the flash showed once')
    t.equal(await page.textContent('#account h1'), 'Logged in as alice')
  })

  t.test('2. closing the browser ends a browser session; with "remember me" the session outlives it', async (t) => {
    const { url } = await startDemo(t)
    for (const remember of [false, true]) {
      const profileDir = newProfileDir(t)
      const first = await openBrowser(t, profileDir)
      const page = first.pages()[0]!
      await page.goto(url)
      const setCookie = await logIn(page, 'alice', remember)
      if (remember) t.match(setCookie, /; Max-Age=2678400;/, 'the cookie has the lifetime as Max-Age')
      else t.notMatch(setCookie, /Max-Age|Expires/, 'a browser-session cookie')
      const [stored] = await first.cookies(url)
      t.equal(stored!.expires > 0, remember, remember ? 'the browser keeps it on disk' : 'the browser keeps it in memory only')
      await first.close()

      const second = await openBrowser(t, profileDir)
      const reopened = second.pages()[0]!
      await reopened.goto(url)
      t.equal(await reopened.textContent('#account h1'), remember ? 'Logged in as alice' : 'You are not logged in', `remember me: ${remember}`)
    }
  })

  t.test('3. the logout button logs out everywhere; a replayed logout without the token is refused', async (t) => {
    const { url } = await startDemo(t)
    const page = await newPage(t)
    await page.goto(url)
    await logIn(page, 'alice', true)
    const token = await page.inputValue('form[action="/logout"] input[name=csrf_token]')
    await page.click('button:has-text("Log out")')
    t.equal(await page.textContent('.flash'), 'Logged out')
    t.equal(await page.textContent('#account h1'), 'You are not logged in')
    await page.goto(`${url}/profile`)
    t.equal(await page.textContent('body'), 'Not logged in\n', 'the plain routes see the same session')

    const withoutToken = await page.request.post(`${url}/logout`, { form: {}, maxRedirects: 0 })
    t.equal(withoutToken.status(), 403)
    const withOldToken = await page.request.post(`${url}/logout`, { form: { csrf_token: token }, maxRedirects: 0 })
    t.equal(withOldToken.status(), 403, 'the old token left with the session')
  })

  t.test('4. the tamper button gets a fresh session and a page that explains, not an error', async (t) => {
    const { url } = await startDemo(t)
    const page = await newPage(t)
    await page.goto(url)
    await logIn(page, 'alice')
    const [tamper] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/tamper')),
      page.click('button:has-text("Tamper with the cookie")')
    ])
    t.equal(tamper.status(), 303)
    await page.waitForSelector('.refused')
    t.equal(await page.textContent('#account h1'), 'You are not logged in')
    t.match(await page.textContent('.refused'), /The server refused this cookie/)
    t.strictSame(await page.context().cookies(url), [], 'the response deleted the bad cookie')
  })

  t.test('5. a cookie older than lifetimeSeconds is refused by the server, though the browser still sends it', async (t) => {
    // Real time: the plugin signs whole seconds, so 3.1 s later the cookie is at least 3 s old, over the 2 s
    // lifetime; 2 s leave a slow machine time to log in before the cookie expires.
    const { url } = await startDemo(t, { lifetimeSeconds: 2 })
    const page = await newPage(t)
    await page.goto(url)
    await logIn(page, 'alice')
    await sleep(3100)
    t.equal((await page.context().cookies(url)).length, 1, 'the browser kept the browser-session cookie')
    await page.reload()
    t.equal(await page.textContent('#account h1'), 'You are not logged in')
    t.match(await page.textContent('.refused'), /The server refused this cookie/)
  })

  t.test('6. behind a proxy that says https (trustProxy), the browser stores and sends a __Host- cookie and secure: \'auto\' sets Secure', async (t) => {
    // Chromium treats http://127.0.0.1 as potentially trustworthy, so it keeps Secure and __Host- cookies
    // over plain http there (on a non-loopback http address it drops them); a real proxy speaks https to the browser.
    const host = await startDemo(t, { cookieName: '__Host-session', secure: true, trustProxy: true })
    const page = await newPage(t)
    await page.goto(await startProxy(t, host.url))
    const setCookie = await logIn(page, 'alice')
    t.match(setCookie, /^__Host-session=[^;]+; Secure; HttpOnly; Path=\/; SameSite=Lax$/)
    const [stored] = await page.context().cookies()
    t.match(stored, { name: '__Host-session', secure: true, httpOnly: true, path: '/' }, 'the browser stored it')
    await page.reload()
    t.equal(await page.textContent('#account h1'), 'Logged in as alice', 'and sends it back')
    t.notMatch(host.logs.join(''), /sent over plain http/, 'the plugin saw https through the proxy, so it did not warn')

    const auto = await startDemo(t, { secure: 'auto', trustProxy: true })
    const autoPage = await newPage(t)
    await autoPage.goto(await startProxy(t, auto.url))
    t.match(await logIn(autoPage, 'alice'), /; Secure;/, 'through the proxy: Secure')
    const directPage = await newPage(t)
    await directPage.goto(auto.url)
    t.notMatch(await logIn(directPage, 'bob'), /Secure/, 'straight to the server over http: no Secure, which the browser would drop on a real host')
    await directPage.reload()
    t.equal(await directPage.textContent('#account h1'), 'Logged in as bob')
  })
}

// Nine browser starts and a real wait: more than tap's 30 s default for a file.
t.setTimeout(180_000)

const browserMissing = existsSync(CHROMIUM) ? undefined : `there is no Chromium at ${CHROMIUM} (apt-get install chromium)`
if (browserMissing !== undefined && process.env.REQUIRE_BROWSER === '1') {
  t.fail(`REQUIRE_BROWSER=1, so the browser tests are mandatory, but ${browserMissing}`)
} else {
  t.test('the demo in a real browser', { skip: browserMissing === undefined ? false : `skipped: ${browserMissing}; REQUIRE_BROWSER=1 makes this a failure` }, browserScenarios)
}
