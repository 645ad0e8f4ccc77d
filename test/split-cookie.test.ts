import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { FastifyInstance, FastifyServerOptions, LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { ERROR_CODES } from '../lib/base/errors.js'
import { buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, setCookies, stubClock } from './helpers.js'

// Random text does not compress, so the cookie really grows.
const RANDOM_TEXT = randomBytes(20_000).toString('base64')
/**
 * Data sizes that make a cookie of three pieces and of two: the default format compresses
 * random base64 back to about its own length, the encrypted one adds a third (base64url).
 */
const SIZES = { default: { three: 10_000, two: 7000 }, encrypted: { three: 7000, two: 5000 } }
const DELETION_TAIL = '=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax'

function routes (app: FastifyInstance): void {
  app.get('/store', async (request) => {
    const { size, from = '0' } = request.query as { size: string, from?: string }
    request.session.set('blob', RANDOM_TEXT.slice(Number(from), Number(from) + Number(size)))
    return 'ok'
  })
  app.get('/remember', async (request) => {
    const { size } = request.query as { size: string }
    request.session.permanent = true
    request.session.set('blob', RANDOM_TEXT.slice(0, Number(size)))
    return 'ok'
  })
  app.get('/size', async (request) => (request.session.get('blob') as string | undefined)?.length ?? 'none')
}

/** The `Cookie` request header a browser sends back after `response`: every cookie it set, deletions dropped. */
function cookieHeaderFrom (response: LightMyRequestResponse): string {
  return response.cookies.filter((cookie) => cookie.value !== '').map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
}

function pieceValues (response: LightMyRequestResponse): Map<string, string> {
  return new Map(response.cookies.map((cookie) => [cookie.name, cookie.value]))
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`a 9 KB cookie (7 KB of data) goes out as session, session.1, session.2, each at most 4093 bytes with the same attributes, and reads back (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format, oversizedCookie: 'split' }, routes)
    const { three } = SIZES[format]
    const stored = await app.inject(`/store?size=${three}`)
    t.equal(stored.statusCode, 200)
    const headers = setCookies(stored)
    t.same(headers.map((header) => header.slice(0, header.indexOf('='))), ['session', 'session.1', 'session.2'])
    for (const header of headers) {
      t.ok(Buffer.byteLength(header) <= 4093, `${Buffer.byteLength(header)} bytes`)
      t.match(header, /^session(\.\d)?=[\w.-]+; HttpOnly; Path=\/; SameSite=Lax$/)
    }
    t.equal((await app.inject({ url: '/size', headers: { cookie: cookieHeaderFrom(stored) } })).body, String(three))

    const remembered = await app.inject(`/remember?size=${three}`)
    t.equal(setCookies(remembered).filter((header) => /; Expires=[^;]+; Max-Age=2678400;/.test(header)).length, 3, 'a permanent session: every piece lives as long')
  })

  t.test(`when the session shrinks, the same response deletes the pieces it no longer needs (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format, oversizedCookie: 'split' }, routes)
    const { three, two } = SIZES[format]
    const big = cookieHeaderFrom(await app.inject(`/store?size=${three}`))
    const smaller = await app.inject({ url: `/store?size=${two}`, headers: { cookie: big } })
    t.same(setCookies(smaller).map((header) => header.slice(0, header.indexOf('='))), ['session', 'session.1', 'session.2'])
    t.equal(setCookies(smaller)[2], 'session.2' + DELETION_TAIL)
    const small = await app.inject({ url: '/store?size=10', headers: { cookie: cookieHeaderFrom(smaller) } })
    t.same(setCookies(small).slice(1), ['session.1' + DELETION_TAIL], 'back to one cookie')
    t.equal((await app.inject({ url: '/size', headers: { cookie: cookieHeaderFrom(small) } })).body, '10')
  })

  t.test(`a piece missing, out of order, extra or from another session refuses the whole: a fresh session, every piece deleted (${format} format)`, async (t) => {
    const { app, logs } = await buildApp(t, { format, oversizedCookie: 'split' }, routes)
    const stored = await app.inject(`/store?size=${SIZES[format].three}`)
    const mine = pieceValues(stored)
    const minePiece = (name: string) => expectSessionValue(stored, name)
    const otherPiece = expectSessionValue(await app.inject(`/store?size=${SIZES[format].three}&from=5000`), 'session.1')
    const cases: Array<[string, Array<[string, string]>, number, { reason: RegExp, detail: RegExp }]> = [
      ['a missing piece', [['session', minePiece('session')], ['session.2', minePiece('session.2')]], 3, { reason: /^split-missing-piece$/, detail: /"session.1" is missing, but "session.2" came/ }],
      ['the first piece missing', [['session.1', minePiece('session.1')]], 2, { reason: /^split-missing-piece$/, detail: /"session" is missing, but "session.1" came/ }],
      ['the last piece missing', [['session', minePiece('session')], ['session.1', minePiece('session.1')]], 2, { reason: /./, detail: /./ }],
      ['pieces out of order', [['session', minePiece('session')], ['session.1', minePiece('session.2')], ['session.2', minePiece('session.1')]], 3, { reason: /./, detail: /./ }],
      ['an extra piece', [...mine, ['session.3', 'AAAA']], 4, { reason: /./, detail: /./ }],
      ['a piece past maxCookies', [...mine, ['session.3', 'AAAA'], ['session.4', 'AAAA']], 5, { reason: /^split-too-many$/, detail: /"session.4" came, over maxCookies \(4\)/ }],
      ['a piece of another session', [['session', minePiece('session')], ['session.1', otherPiece], ['session.2', minePiece('session.2')]], 3, { reason: /./, detail: /./ }],
      ['pieces longer together than the server\'s header limit leaves for them', ['session', 'session.1', 'session.2', 'session.3'].map((key) => [key, 'A'.repeat(4000)]), 4, { reason: /^too-long$/, detail: /split cookie is 16000 characters, over the 12288 limit/ }],
      ['a piece longer than a browser keeps', [['session', minePiece('session')], ['session.1', 'A'.repeat(4097)]], 2, { reason: /^too-long$/, detail: /"session.1" is 4097 characters, over the 4096 limit/ }]
    ]
    for (const [name, pieces, count, reason] of cases) {
      const before = logs.length
      const response = await app.inject({ url: '/size', headers: { cookie: pieces.map(([key, value]) => `${key}=${value}`).join('; ') } })
      t.equal(response.statusCode, 200, name)
      t.equal(response.body, 'none', `${name}: a fresh session`)
      t.same(setCookies(response), Array.from({ length: count }, (_, index) => (index === 0 ? 'session' : `session.${index}`) + DELETION_TAIL), `${name}: every piece deleted`)
      t.match(logs.slice(before).find((line) => line.reason !== undefined), reason, `${name}: the log gives the code and says why`)
    }
  })

  t.test(`any change to one piece of a split cookie gives a fresh session and deletes every piece, never a 5xx (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format, oversizedCookie: 'split' }, routes)
    const pieces = [...pieceValues(await app.inject(`/store?size=${SIZES[format].three}`))]
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    await fc.assert(fc.asyncProperty(fc.nat(pieces.length - 1), fc.nat(), fc.nat(63), fc.boolean(), async (piece, at, replacement, truncate) => {
      const value = pieces[piece]![1]
      const index = at % value.length
      const changed = truncate ? value.slice(0, Math.max(index, 1)) : value.slice(0, index) + alphabet[replacement] + value.slice(index + 1)
      fc.pre(changed !== value)
      const cookie = pieces.map(([name, original], position) => `${name}=${position === piece ? changed : original}`).join('; ')
      const response = await app.inject({ url: '/size', headers: { cookie } })
      t.equal(response.statusCode, 200)
      t.equal(response.body, 'none')
      t.equal(setCookies(response).length, 3)
    }), { numRuns: 300 })
  })
}

t.test('maxCookies bounds a session: past it, FST_COOKIE_SESSION_COOKIE_TOO_LARGE', async (t) => {
  const { app } = await buildApp(t, { format: 'encrypted', oversizedCookie: 'split', maxCookies: 2 }, routes)
  t.equal((await app.inject('/store?size=5000')).statusCode, 200)
  const response = await app.inject('/store?size=7000')
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: ERROR_CODES.COOKIE_TOO_LARGE, message: /the session needs 3 cookies of at most 4093 bytes, over maxCookies \(2\).*raise maxCookies/ })
  t.same(setCookies(response), [])
})

t.test('signSessionCookie and readSessionCookie handle split sessions', async (t) => {
  const { app } = await buildApp(t, { format: 'encrypted', oversizedCookie: 'split' }, routes)
  const cookie = app.signSessionCookie({ blob: RANDOM_TEXT.slice(0, 7000) })
  t.match(cookie, /^session=[\w-]+; session\.1=[\w-]+; session\.2=[\w-]+$/)
  t.equal((await app.inject({ url: '/size', headers: { cookie } })).body, '7000')
  t.same(app.readSessionCookie(await app.inject('/store?size=6000')), { blob: RANDOM_TEXT.slice(0, 6000) })
  t.throws(() => app.signSessionCookie({ blob: RANDOM_TEXT.slice(0, 12_000) }), { code: ERROR_CODES.COOKIE_TOO_LARGE })
})

t.test('oversizedCookie: \'split\' and maxCookies are checked at register', async (t) => {
  await t.rejects(buildApp(t, { format: 'flask', secret: 'dev', oversizedCookie: 'split' }), { code: ERROR_CODES.INVALID_OPTION, message: /option "oversizedCookie" is 'split', which the "flask" format cannot do: Flask reads its session from one cookie only/ })
  await t.rejects(buildApp(t, { maxCookies: 3 }), { message: /option "maxCookies" only applies with oversizedCookie: 'split'/ })
  for (const maxCookies of [1, 51, 2.5, '4']) {
    await t.rejects(buildApp(t, { oversizedCookie: 'split', maxCookies: maxCookies as number }), { message: /option "maxCookies" must be a whole number from 2 to 50/ }, String(maxCookies))
  }
})

/** Headers a desktop Chrome sends with a navigation, besides its cookies: about 1.3 KB. */
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-GB,en-US;q=0.9,en;q=0.8,fr;q=0.7',
  'cache-control': 'max-age=0',
  'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-user': '?1',
  'upgrade-insecure-requests': '1',
  referer: 'https://app.example.com/account/settings/profile?tab=security&from=dashboard#two-factor-authentication',
  priority: 'u=0, i',
  // Other cookies of the site: analytics, consent, preferences.
  'x-other-cookies-stand-in': 'a'.repeat(400)
}

function get (port: number, path: string, headers: Record<string, string>): Promise<{ status: number, body: string, setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode as number, body, setCookie: response.headers['set-cookie'] ?? [] }))
    })
    request.on('error', reject)
    request.end()
  })
}

t.test('the largest session allowed goes through real HTTP, with a browser\'s other headers, under Node\'s default 16 KB header limit', async (t) => {
  stubClock(t, NOW)
  const { app } = await buildApp(t, { format: 'encrypted', oversizedCookie: 'split' }, routes)
  // The largest blob a response agrees to send, found by bisection.
  let fits = 0
  let fails = RANDOM_TEXT.length
  while (fails - fits > 1) {
    const size = Math.floor((fits + fails) / 2)
    if ((await app.inject(`/store?size=${size}`)).statusCode === 200) fits = size
    else fails = size
  }
  t.ok(fits > 8500, `a session of ${fits} bytes of data fits`)
  t.match((await app.inject(`/store?size=${fails}`)).json(), { code: ERROR_CODES.COOKIE_TOO_LARGE, message: /take \d+ bytes of a request's Cookie header, over the 12288 bytes the server's header limit \(maxHeaderSize\) leaves for them/ })

  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const stored = await get(port, `/store?size=${fits}`, {})
  t.equal(stored.status, 200)
  const cookie = stored.setCookie.map((header) => header.slice(0, header.indexOf(';'))).join('; ')
  t.ok(cookie.length <= 12288 && cookie.length > 12288 - 8, `the session's Cookie header takes ${cookie.length} of the 12 288 bytes left for it`)
  const read = await get(port, '/size', { ...BROWSER_HEADERS, cookie })
  t.equal(read.status, 200, 'Node accepts the request')
  t.equal(read.body, String(fits), 'and the whole session comes back')
  const tooMuch = await get(port, '/size', { ...BROWSER_HEADERS, cookie, 'x-padding': 'a'.repeat(4096) })
  t.equal(tooMuch.status, 431, 'while 4 KB more of other headers would pass Node\'s limit: the room kept for them is needed')
})

t.test('a server with a larger maxHeaderSize allows a larger split session', async (t) => {
  const { app } = await buildApp(t, { format: 'encrypted', oversizedCookie: 'split', maxCookies: 6 }, routes, { http: { maxHeaderSize: 32768 } } as FastifyServerOptions)
  t.equal((await app.inject('/store?size=14000')).statusCode, 200)
  t.equal(setCookies(await app.inject('/store?size=14000')).length, 5)
})
