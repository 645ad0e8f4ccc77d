import fastifyFlash from '@fastify/flash'
import { Authenticator } from '@fastify/passport'
import Fastify, { type FastifyRequest } from 'fastify'
import t from 'tap'
import cookieSession, { type FlashRequest } from '../index.js'
import { ERROR_CODES } from '../lib/base/errors.js'
import { FORMATS, type FormatName } from '../lib/formats/registry.js'
import { TaggedJsonSerializer, tuple } from '../lib/payload/tagged-json.js'
import { buildApp, expectSessionValue, FORMATS_UNDER_TEST, SECRET, setCookies, stubClock } from './helpers.js'

/** `flash: true` adds the methods; their types are opt-in (see the README), so tests name them here. */
const flashing = (request: FastifyRequest) => request as unknown as FlashRequest

/** The JSON inside a Flask-mode cookie value. */
function payloadJson (cookieValue: string): string {
  const serializer = new TaggedJsonSerializer(FORMATS.flask.serializer)
  const decoded = serializer.decodePayload(cookieValue.slice(0, cookieValue.lastIndexOf('.', cookieValue.lastIndexOf('.') - 1)))
  return (decoded as { json: string }).json
}

/**
 * Made by Flask 3.1.3 with `SECRET_KEY = SECRET`: `flash('Hello')`, `flash('Careful', 'warning')`,
 * `flash('Héllo <b>')`, signed at 1795728713. Its JSON, decoded by itsdangerous, is FLASK_FLASHES_JSON.
 */
const FLASK_COOKIE = '.eJyrVopPy0kszkgtVrKKrlZSKAFSSrmpxcWJ6alKOkoeqTk5-UqxtTowqfLEorzMvHSglHNiUWpaaQ6yJJK-mFIDg1RLoGYFmyQ7oJrYWgAowCH-.awilSQ.dayb5UxQ3YRP2I03pPIaEc9qaBc'
const FLASK_SIGNED_AT_SECONDS = 1795728713
const FLASK_FLASHES_JSON = '{"_flashes":[{" t":["message","Hello"]},{" t":["warning","Careful"]},{" t":["message","H\\u00e9llo <b>"]}]}'

async function flashApp (t: Parameters<typeof buildApp>[0], format: FormatName = 'default') {
  const { app } = await buildApp(t, { flash: true, format }, (app) => {
    app.get('/flash', async (request) => {
      const { flash } = flashing(request)
      flashing(request).flash('Hello')
      flash.call(request, 'Careful', 'warning')
      flashing(request).flash('Héllo <b>')
      return 'flashed'
    })
    app.get('/more', async (request) => {
      flashing(request).flash('More')
      return 'flashed'
    })
    app.get('/messages', async (request) => ({
      messages: flashing(request).flashedMessages(),
      again: flashing(request).flashedMessages({ withCategories: true }),
      modified: request.session.modified
    }))
    app.get('/warnings', async (request) => ({
      warnings: flashing(request).flashedMessages({ categoryFilter: ['warning'], withCategories: true }),
      messages: flashing(request).flashedMessages({ categoryFilter: ['message'] })
    }))
    app.get('/with-other-data', async (request) => {
      request.session.set('username', 'alice')
      flashing(request).flash('Welcome')
      return 'ok'
    })
  })
  return app
}

for (const format of FORMATS_UNDER_TEST) {
  t.test(`flash() keeps a message until a later request reads it with flashedMessages(), once (${format} format)`, async (t) => {
    const app = await flashApp(t, format)
    const flashed = await app.inject('/flash')
    const cookies = { session: expectSessionValue(flashed) }
    t.same(app.readSessionCookie(flashed), { _flashes: [['message', 'Hello'], ['warning', 'Careful'], ['message', 'Héllo <b>']] })

    const read = await app.inject({ url: '/messages', cookies })
    t.same(read.json(), {
      messages: ['Hello', 'Careful', 'Héllo <b>'],
      again: [['message', 'Hello'], ['warning', 'Careful'], ['message', 'Héllo <b>']],
      modified: true
    }, 'every call in the request sees what the first one took, as in Flask')
    t.match(setCookies(read), [/^session=; Expires=Thu, 01 Jan 1970/], 'taking the only data empties the session and deletes the cookie')

    const none = await app.inject({ url: '/messages', cookies: { session: '' } })
    t.same(none.json(), { messages: [], again: [], modified: false }, 'nothing to take: the session is not modified')
    t.same(setCookies(none), [])
  })
}

t.test('categoryFilter returns the chosen categories and, as Flask, takes out the others too', async (t) => {
  const app = await flashApp(t)
  const flashed = await app.inject('/flash')
  const read = await app.inject({ url: '/warnings', cookies: { session: expectSessionValue(flashed) } })
  t.same(read.json(), { warnings: [['warning', 'Careful']], messages: ['Hello', 'Héllo <b>'] })
  t.same(app.readSessionCookie(read), {})
})

for (const format of FORMATS_UNDER_TEST) {
  t.test(`reading flashes keeps the rest of the session (${format} format)`, async (t) => {
    const app = await flashApp(t, format)
    const login = await app.inject('/with-other-data')
    const read = await app.inject({ url: '/messages', cookies: { session: expectSessionValue(login) } })
    t.same(read.json().messages, ['Welcome'])
    t.same(app.readSessionCookie(read), { username: 'alice' })
  })
}

t.test('Flask mode stores flashes exactly as Flask: a list of tuples under _flashes', async (t) => {
  stubClock(t, FLASK_SIGNED_AT_SECONDS)
  const app = await flashApp(t, 'flask')
  const flashed = await app.inject('/flash')
  t.equal(payloadJson(expectSessionValue(flashed)), FLASK_FLASHES_JSON, 'the JSON Flask writes for the same three calls')
  t.equal(payloadJson(FLASK_COOKIE), FLASK_FLASHES_JSON)

  const fromFlask = await app.inject({ url: '/messages', cookies: { session: FLASK_COOKIE } })
  t.same(fromFlask.json().again, [['message', 'Hello'], ['warning', 'Careful'], ['message', 'Héllo <b>']], 'messages Flask flashed show in Fastify')

  const added = await app.inject({ url: '/more', cookies: { session: FLASK_COOKIE } })
  t.equal(payloadJson(expectSessionValue(added)), FLASK_FLASHES_JSON.slice(0, -2) + ',{" t":["message","More"]}]}',
    'a message added to Flask\'s keeps every entry a tuple')
})

t.test('tuple() marks a frozen array that the serializer writes with Flask\'s tuple tag', async (t) => {
  const serializer = new TaggedJsonSerializer(FORMATS.default.serializer)
  const pair = tuple('message', 'Hi')
  t.ok(Object.isFrozen(pair))
  const json = serializer.dumpJson(new Map<string, unknown>([['pair', pair], ['list', ['message', 'Hi']]]))
  t.equal(json, '{"pair":{" t":["message","Hi"]},"list":["message","Hi"]}')
  t.same(serializer.loadJson(json), new Map([['pair', ['message', 'Hi']], ['list', ['message', 'Hi']]]), 'a tuple reads back as an array')
})

t.test('a message that cannot be stored fails like session.set', async (t) => {
  const { app } = await buildApp(t, { flash: true }, (app) => {
    app.get('/', async (request) => {
      flashing(request).flash(Symbol('nope') as unknown as string)
      return 'unreachable'
    })
  })
  const response = await app.inject('/')
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: ERROR_CODES.UNSTORABLE_VALUE, message: /"_flashes" cannot be stored: it is a symbol/ })
})

t.test('without the option, requests have no flash methods', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/', async (request) => ({ flash: typeof flashing(request).flash, flashedMessages: typeof flashing(request).flashedMessages }))
  })
  t.same((await app.inject('/')).json(), { flash: 'undefined', flashedMessages: 'undefined' })
  await t.rejects(buildApp(t, { flash: 'yes' as unknown as boolean }), { code: ERROR_CODES.INVALID_OPTION, message: /option "flash" must be one of true, false, got "yes"/ })
})

t.test('flash: true and @fastify/flash (or @fastify/passport, which registers it) cannot both be on, in either order', async (t) => {
  const conflict = { code: ERROR_CODES.INVALID_OPTION, message: /option "flash" adds request.flash\(\), but request.flash is already taken by another plugin, likely @fastify\/flash/ }

  const flashFirst = Fastify()
  t.teardown(() => flashFirst.close())
  await t.rejects(async () => { await flashFirst.register(fastifyFlash) }, { code: 'FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE' },
    '@fastify/flash first cannot even register: it needs a session plugin before it')

  const flashAfter = Fastify()
  t.teardown(() => flashAfter.close())
  await flashAfter.register(cookieSession, { secret: SECRET, flash: true })
  await flashAfter.register(fastifyFlash)
  await t.rejects(async () => { await flashAfter.ready() }, conflict, '@fastify/flash after: ready fails')

  const withPassport = Fastify()
  t.teardown(() => withPassport.close())
  await withPassport.register(cookieSession, { secret: SECRET, flash: true })
  await withPassport.register(new Authenticator().initialize())
  await t.rejects(async () => { await withPassport.ready() }, conflict, '@fastify/passport after: ready fails')

  const handMade = Fastify()
  t.teardown(() => handMade.close())
  handMade.decorateRequest('flash', () => 0)
  await handMade.register(cookieSession, { secret: SECRET, flash: true })
  await t.rejects(async () => { await handMade.ready() }, conflict, 'any request.flash declared before fails too')
})

t.test('a _flashes value that is not a list of (category, message) pairs means no messages: a debug line, no 500', async (t) => {
  const { app, logs } = await buildApp(t, { flash: true }, (app) => {
    app.get('/messages', async (request) => flashing(request).flashedMessages({ withCategories: true }))
    app.get('/flash', async (request) => { flashing(request).flash('fresh'); return 'ok' })
  })
  for (const flashes of ['oops', null, { 0: ['message', 'x'] }, ['just a message'], [['message']], [['message', 1]], [['a', 'b', 'c']]]) {
    const cookie = app.signSessionCookie({ _flashes: flashes, user: 'ann' })
    logs.length = 0
    const read = await app.inject({ url: '/messages', headers: { cookie } })
    t.equal(read.statusCode, 200, JSON.stringify(flashes))
    t.same(read.json(), [], `${JSON.stringify(flashes)}: no messages`)
    t.same(app.readSessionCookie(read), { user: 'ann' }, 'the bad value is taken out, the rest stays')
    t.match(logs, [{ level: 20, msg: 'fastify-cookie-session: ignored the session\'s _flashes: it is not a list of (category, message) pairs of strings' }])
    const flashed = await app.inject({ url: '/flash', headers: { cookie } })
    t.equal(flashed.statusCode, 200)
    t.same(app.readSessionCookie(flashed), { _flashes: [['message', 'fresh']], user: 'ann' }, 'flash() starts a new list')
  }
})
