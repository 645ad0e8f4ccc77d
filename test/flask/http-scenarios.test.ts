import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { CookieSessionOptions } from '../../lib/plugin/options.js'
import { buildApp, expectSessionValue, setCookies, stubClock } from '../helpers.js'
import { cookieValue, type HttpScenario, type HttpStep, payloadJson, vectors } from './vectors.js'

/** Flask's configuration keys, as the plugin's options (the README's mapping table). */
function optionsFromFlaskConfig (config: Record<string, unknown>): CookieSessionOptions {
  const sameSite = config.SESSION_COOKIE_SAMESITE
  return {
    secret: config.SECRET_KEY as string,
    cookieName: config.SESSION_COOKIE_NAME as string | undefined,
    lifetimeSeconds: config.PERMANENT_SESSION_LIFETIME as number | undefined,
    refreshEachRequest: config.SESSION_REFRESH_EACH_REQUEST as boolean | undefined,
    cookie: {
      domain: config.SESSION_COOKIE_DOMAIN as string | undefined,
      path: (config.SESSION_COOKIE_PATH ?? config.APPLICATION_ROOT) as string | undefined,
      secure: config.SESSION_COOKIE_SECURE as boolean | undefined,
      httpOnly: config.SESSION_COOKIE_HTTPONLY as boolean | undefined,
      // Flask sends no SameSite unless told to; the plugin's default is Lax.
      sameSite: typeof sameSite === 'string' ? sameSite.toLowerCase() as 'lax' : false
    },
    // Flask only warns about an oversized cookie and sends it anyway.
    oversizedCookie: 'warn',
    format: 'flask'
  }
}

/** The routes of the app that recorded the scenarios, with the same JSON bodies. */
function scenarioRoutes (bigValue: string) {
  return (app: FastifyInstance): void => {
    app.get<{ Params: { username: string } }>('/login/:username', async (request) => {
      request.session.set('username', request.params.username)
      return { ok: true }
    })
    app.get('/profile', async (request) => ({ username: request.session.get('username') ?? null }))
    app.get('/contains', async (request) => ({ has_username: request.session.has('username') }))
    app.get('/noop', async () => ({ ok: true }))
    app.get('/logout', async (request) => {
      request.session.pop('username')
      return { ok: true }
    })
    app.get('/permanent', async (request) => {
      request.session.permanent = true
      return { ok: true }
    })
    app.get('/clear', async (request) => {
      request.session.clear()
      return { ok: true }
    })
    app.get('/big', async (request) => {
      request.session.set('big', bigValue)
      return { ok: true }
    })
  }
}

/** Where the plugin answers differently from Flask 2.2 on purpose, and why. */
const DELETION = 'session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/'
const DIFFERENCES: Record<string, { reason: string, vary?: string | null, setCookie?: string[] }> = {
  'login_profile_logout#2': {
    reason: '`in` counts as an access, as in Flask 3.1.3 (GHSA-68rp-wp8r-4726): the response varies by cookie',
    vary: 'Cookie'
  },
  'login_profile_logout#5': {
    reason: 'pop() of a missing key reads the session, as in Flask 3.1.3: the response varies by cookie',
    vary: 'Cookie'
  },
  'expired_cookie_ignored#2': {
    reason: 'a refused cookie is deleted, so the browser stops sending it',
    setCookie: [DELETION]
  },
  'permanent_refresh#3': {
    reason: 'a route that never touches the session leaves its cookie alone: the permanent session is refreshed by the next route that uses it',
    setCookie: [],
    vary: null
  },
  'tampered_cookie#0': {
    reason: 'a refused cookie is deleted, so the browser stops sending it',
    setCookie: [DELETION]
  }
}

/** Flask's header, plus the `Max-Age` the plugin writes beside `Expires` on permanent cookies. */
function withMaxAge (header: string, lifetimeSeconds: number): string {
  return header.includes('; Max-Age=') ? header : header.replace(/; Expires=[^;]+/, `$&; Max-Age=${lifetimeSeconds}`)
}

function bigValueOf (scenario: HttpScenario): string {
  const written = scenario.steps.find((step) => step.request.path === '/big')?.set_cookie[0]
  return written === undefined ? '' : JSON.parse(payloadJson(cookieValue([written]) as string)).big
}

async function runStep (t: Test, app: FastifyInstance, scenario: HttpScenario, step: HttpStep, index: number, clock: { seconds: number }, options: CookieSessionOptions): Promise<void> {
  const cookieName = options.cookieName ?? 'session'
  clock.seconds = step.request.now
  const response = await app.inject({
    url: step.request.path,
    headers: step.request.cookie === null ? {} : { cookie: `${cookieName}=${step.request.cookie}` }
  })
  t.equal(response.statusCode, step.status)
  t.same(response.json(), step.body)
  const difference = DIFFERENCES[`${scenario.name}#${index}`]
  if (difference !== undefined) t.comment(`${scenario.name} step ${index}: differs from Flask 2.2 because ${difference.reason}`)
  const actual = setCookies(response)
  if (scenario.name === 'oversized_cookie') {
    // zlib builds differ, so the compressed bytes do too: compare what they hold and the attributes.
    const flaskHeader = step.set_cookie[0]!
    t.equal(actual.length, 1)
    t.equal(payloadJson(expectSessionValue(response, cookieName)), payloadJson(cookieValue([flaskHeader]) as string))
    t.equal(actual[0]!.slice(actual[0]!.indexOf(';')), flaskHeader.slice(flaskHeader.indexOf(';')))
  } else {
    const expected = difference?.setCookie ?? step.set_cookie.map((header) => withMaxAge(header, options.lifetimeSeconds ?? 2_678_400))
    t.strictSame(actual, expected, 'Set-Cookie')
  }
  t.equal(response.headers.vary ?? null, difference?.vary === undefined ? step.vary : difference.vary, 'Vary')
}

t.test('the recorded Flask request sequences give the same cookies, Vary headers and bodies', async (t) => {
  t.equal(vectors.http.length, 9)
  for (const scenario of vectors.http) {
    t.test(`${scenario.name}: ${scenario.description}`, async (t) => {
      const clock = stubClock(t, scenario.steps[0]!.request.now)
      const options = optionsFromFlaskConfig(scenario.config)
      const { app, logs } = await buildApp(t, options, scenarioRoutes(bigValueOf(scenario)))
      for (const [index, step] of scenario.steps.entries()) {
        await t.test(`${index}: ${step.request.path}`, (t) => runStep(t, app, scenario, step, index, clock, options))
      }
      // Flask's only session warning is the size one; ours about a Secure cookie over plain http, or a secret like 'dev' at register, have no Flask twin.
      const warnings = logs.filter((line) => line.level === 40 && !line.msg.includes('over plain http') && !line.msg.includes('different byte values')).map((line) => line.msg)
      t.equal(warnings.length, scenario.steps.flatMap((step) => step.warnings).length, 'a warning wherever Flask warned')
    })
  }
})
