import type { RefusalCode } from '../lib/base/refusal.js'
import { deflateSync } from 'node:zlib'
import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, NOW, SECRET, sessionValue, setCookies, signByHand, signedParts, signRaw, stubClock } from './helpers.js'

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The last character of a 32-byte signature holds 2 unused bits; flipping one keeps the decoded bytes. */
const strayBits = (char: string) => BASE64URL[BASE64URL.indexOf(char) ^ 1]

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url')

t.test('a forged, tampered, truncated, garbage or non-object cookie gives a fresh session, a debug log and a deletion', async (t) => {
  stubClock(t, NOW)
  const { app, logs } = await buildApp(t, {}, (app) => {
    addLoginRoutes(app)
    app.get('/state', async (request) => ({ user: request.session.get('user') ?? null, isNew: request.session.isNew }))
  })
  const valid = expectSessionValue(await app.inject('/login'))
  const [payload, timestamp, signature] = signedParts(valid)
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
  const cases: Array<[string, string, RefusalCode, string]> = [
    ['tampered signature', `${payload}.${timestamp}.${flipped}`, 'bad-signature', 'signature does not match'],
    ['tampered payload', `${b64('{"user":"admin"}')}.${timestamp}.${signature}`, 'bad-signature', 'signature does not match'],
    ['truncated', valid.slice(0, -5), 'bad-signature', 'signature does not match'],
    ['signature removed', `${payload}.${timestamp}`, 'malformed', 'cookie is not a signed value'],
    ['extra dot', `${payload}..${timestamp}.${signature}`, 'malformed', 'cookie is not a signed value'],
    ['garbage', 'garbage', 'malformed', 'cookie is not a signed value'],
    ['non-base64 characters', `${payload}.${timestamp}.${signature.slice(0, -1)}+`, 'malformed', 'cookie is not a signed value'],
    ['padded signature', `${valid}=`, 'malformed', 'cookie is not a signed value'],
    ['signature with stray low bits', `${payload}.${timestamp}.${signature.slice(0, -1)}${strayBits(signature.at(-1) as string)}`, 'bad-signature', 'signature does not match'],
    ['wrong secret', signRaw(payload, NOW, 'another-secret-of-at-least-32-bytes'), 'bad-signature', 'signature does not match'],
    ['another cookie name', signRaw(payload, NOW, SECRET, 'other'), 'bad-signature', 'signature does not match'],
    ['over-long', `${'a'.repeat(5000)}.${timestamp}.${signature}`, 'too-long', `cookie is ${5002 + timestamp.length + signature.length} characters, over the 4096 limit`],
    ['JSON array', signRaw(b64('[1,2]')), 'bad-payload', 'payload is not a JSON object'],
    ['JSON string', signRaw(b64('"ann"')), 'bad-payload', 'payload is not a JSON object'],
    ['JSON null', signRaw(b64('null')), 'bad-payload', 'payload is not a JSON object'],
    ['not JSON', signRaw(b64('{user')), 'bad-payload', 'payload is not JSON'],
    ['bad base64 length', signRaw('abcde'), 'bad-payload', 'payload is not base64url'],
    ['not UTF-8', signRaw(b64(Buffer.from([0x7b, 0xff, 0x7d]))), 'bad-payload', 'payload is not UTF-8'],
    ['not zlib', signRaw('.' + b64('not zlib')), 'bad-payload', 'payload is not zlib data: incorrect header check'],
    ['zip bomb', signRaw('.' + b64(deflateSync(`{"a":"${'x'.repeat(200_000)}"}`))), 'bad-payload', 'payload decompresses to over 16384 bytes'],
    ['a tagged value, not a session', signRaw(b64('{" d":"Wed, 21 Oct 2015 07:28:00 GMT"}')), 'bad-payload', 'payload is a tagged value, not a session'],
    ['malformed UUID tag', signRaw(b64('{"id":{" u":"xyz"}}')), 'bad-payload', 'payload has a malformed UUID tag'],
    ['malformed dict tag', signRaw(b64('{"d":{" di":5}}')), 'bad-payload', 'payload has a malformed dict tag'],
    ['nested too deep', signRaw(b64('{"a":' + '['.repeat(80) + ']'.repeat(80) + ',"b":{" t":[]}}')), 'bad-payload', 'payload nests deeper than 64 levels']
  ]
  for (const [name, cookie, code, detail] of cases) {
    logs.length = 0
    const response = await app.inject({ url: '/state', cookies: { session: cookie } })
    t.equal(response.statusCode, 200, name)
    t.same(response.json(), { user: null, isNew: true }, name)
    t.same(setCookies(response), ['session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax'], `${name}: the bad cookie is deleted`)
    t.match(logs, [{ level: 20, reason: code, detail, msg: 'fastify-cookie-session: ignored the session cookie' }], `${name}: the log gives the code and says why`)
  }
})

t.test('a validly signed 9-byte timestamp is malformed', async (t) => {
  stubClock(t, NOW)
  const { app, logs } = await buildApp(t, {}, (app) => { app.get('/', async (request) => request.session.isNew) })
  const cookie = signByHand(`${b64('{"a":1}')}.${b64(Buffer.alloc(9, 1))}`)
  t.equal((await app.inject({ url: '/', cookies: { session: cookie } })).body, 'true')
  t.match(logs, [{ reason: 'malformed', detail: 'malformed timestamp' }])
})

t.test('a bad cookie replaced by new data is overwritten, not deleted', async (t) => {
  const { app } = await buildApp(t, {}, addLoginRoutes)
  const response = await app.inject({ url: '/login', cookies: { session: 'garbage' } })
  t.equal(setCookies(response).length, 1)
  t.ok(sessionValue(response))
})

t.test('an empty cookie value is simply no session', async (t) => {
  const { app } = await buildApp(t, {}, (app) => { app.get('/', async (request) => request.session.isNew) })
  const response = await app.inject({ url: '/', headers: { cookie: 'session=' } })
  t.equal(response.body, 'true')
  t.same(setCookies(response), [])
})

t.test('a value moved to another cookie name is refused in the default format; Flask mode accepts it, as Flask does (its salt is fixed)', async (t) => {
  for (const [format, accepted] of [['default', false], ['flask', true]] as const) {
    const { app: writer } = await buildApp(t, { format }, addLoginRoutes)
    const value = expectSessionValue(await writer.inject('/login'))
    const { app: other } = await buildApp(t, { format, cookieName: 'admin_session' }, addLoginRoutes)
    t.equal((await other.inject({ url: '/whoami', cookies: { admin_session: value } })).body, accepted ? 'ann' : 'nobody', format)
  }
})
