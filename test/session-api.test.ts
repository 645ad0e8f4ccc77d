import t from 'tap'
import { addLoginRoutes, buildApp, expectSessionValue, sessionValue } from './helpers.js'

t.test('get, set, has, keys, pop, delete and toJSON behave like a Flask session', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/fill', async (request) => {
      request.session.set('username', 'alice')
      request.session.set('visits', 3)
      request.session.set('flags', { admin: false, team: null })
      return 'ok'
    })
    app.get('/read', async (request) => {
      const { session } = request
      return {
        username: session.get('username'),
        missing: session.get('missing') ?? 'undefined',
        fallback: session.get('missing', 'guest'),
        presentIgnoresFallback: session.get('visits', 0),
        has: [session.has('username'), session.has('missing')],
        keys: session.keys(),
        json: session.toJSON(),
        isNew: session.isNew,
        permanent: session.permanent
      }
    })
    app.get('/pop', async (request) => {
      const { session } = request
      return {
        popped: session.pop('username'),
        again: session.pop('username', 'gone'),
        deleted: session.delete('visits'),
        deletedAgain: session.delete('visits'),
        keys: session.keys()
      }
    })
  })
  const filled = await app.inject('/fill')
  const cookie = expectSessionValue(filled)
  const read = await app.inject({ url: '/read', cookies: { session: cookie } })
  t.same(read.json(), {
    username: 'alice',
    missing: 'undefined',
    fallback: 'guest',
    presentIgnoresFallback: 3,
    has: [true, false],
    keys: ['username', 'visits', 'flags'],
    json: { username: 'alice', visits: 3, flags: { admin: false, team: null } },
    isNew: false,
    permanent: false
  })
  t.equal(read.headers['set-cookie'], undefined, 'reading never sends a cookie')
  const popped = await app.inject({ url: '/pop', cookies: { session: cookie } })
  t.same(popped.json(), { popped: 'alice', again: 'gone', deleted: true, deletedAgain: false, keys: ['flags'] })
  t.ok(sessionValue(popped), 'removing keys re-signs the cookie')
})

t.test('a fresh session is new and empty', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/', async (request) => ({ isNew: request.session.isNew, keys: request.session.keys(), accessed: request.session.accessed, modified: request.session.modified }))
  })
  const response = await app.inject('/')
  t.same(response.json(), { isNew: true, keys: [], accessed: true, modified: false })
  t.equal(response.headers['set-cookie'], undefined)
})

t.test('set(key, undefined) removes the key', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/login', async (request) => { request.session.set('user', 'bob'); request.session.set('role', 'x'); return 'ok' })
    app.get('/unset', async (request) => { request.session.set('role', undefined); request.session.set('never', undefined); return request.session.keys() })
  })
  const cookie = expectSessionValue(await app.inject('/login'))
  const response = await app.inject({ url: '/unset', cookies: { session: cookie } })
  t.same(response.json(), ['user'])
  t.ok(sessionValue(response))
})

t.test('a Date comes back as a Date, bytes as a Buffer, big integers exactly', async (t) => {
  const when = new Date('2024-02-29T12:34:56.789Z')
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/store', async (request) => {
      request.session.set('when', when)
      request.session.set('nested', { list: [when, new Uint8Array([0, 255])] })
      request.session.set('big', 9007199254740993n)
      return 'ok'
    })
    app.get('/load', async (request) => {
      const stored = request.session.get('when') as Date
      const nested = request.session.get('nested') as { list: [Date, Buffer] }
      return {
        isDate: stored instanceof Date,
        iso: stored.toISOString(),
        nestedIsDate: nested.list[0] instanceof Date,
        bytes: [...nested.list[1]],
        isBuffer: Buffer.isBuffer(nested.list[1]),
        big: String(request.session.get('big')),
        bigType: typeof request.session.get('big')
      }
    })
  })
  const cookie = expectSessionValue(await app.inject('/store'))
  t.same((await app.inject({ url: '/load', cookies: { session: cookie } })).json(), {
    isDate: true, iso: '2024-02-29T12:34:56.789Z', nestedIsDate: true, bytes: [0, 255], isBuffer: true, big: '9007199254740993', bigType: 'bigint'
  })
})

t.test('a value that cannot be stored throws a TypeError naming the key, at set time', async (t) => {
  class Point { x = 1 }
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const deep: unknown[] = []
  let cursor = deep
  for (let depth = 0; depth < 100; depth++) { const next: unknown[] = []; cursor.push(next); cursor = next }
  const unstorable: Array<[string, unknown, RegExp]> = [
    ['fn', () => 1, /session value "fn" cannot be stored: it is a function/],
    ['sym', Symbol('s'), /session value "sym" cannot be stored: it is a symbol/],
    ['point', new Point(), /session value "point" cannot be stored: it is an instance of Point/],
    ['bare', Object.create(Object.create(null)), /session value "bare" cannot be stored: it is an object with a custom prototype/],
    ['map', new Map(), /it is an instance of Map/],
    ['nan', Number.NaN, /session value "nan" cannot be stored: it is NaN/],
    ['inf', [1, Infinity], /session value "inf" cannot be stored: it is Infinity/],
    ['hole', [undefined], /session value "hole" cannot be stored: it is undefined/],
    ['cycle', cyclic, /session value "cycle" contains a cycle/],
    ['badDate', new Date('nope'), /session value "badDate" is an invalid Date/],
    ['deep', deep, /session value "deep" nests deeper than 64 levels/]
  ]
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/', async (request) => {
      const errors = unstorable.map(([key, value]) => {
        try {
          request.session.set(key, value)
          return null
        } catch (error) {
          return { isTypeError: error instanceof TypeError, code: (error as { code: string }).code, message: (error as Error).message }
        }
      })
      request.session.set('shared', { a: [1, 2], b: { c: [1, 2] }, skipped: undefined })
      return { errors, keys: request.session.keys() }
    })
  })
  const response = await app.inject('/')
  const { errors, keys } = response.json()
  unstorable.forEach(([key, , message], index) => {
    t.match(errors[index], { isTypeError: true, code: 'FST_COOKIE_SESSION_UNSTORABLE_VALUE', message }, key)
  })
  t.same(keys, ['shared'], 'nothing unstorable was kept; a shared, acyclic reference is fine')
})

t.test('keys that look like prototype tricks stay plain data', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.get('/store', async (request) => {
      request.session.set('__proto__', { polluted: true })
      request.session.set('constructor', 'c')
      request.session.set('nested', JSON.parse('{"__proto__": {"polluted": true}, "prototype": 1}'))
      return 'ok'
    })
    app.get('/load', async (request) => {
      const nested = request.session.get('nested') as Record<string, unknown>
      return {
        proto: request.session.get('__proto__'),
        keys: request.session.keys(),
        nestedOwn: Object.keys(nested),
        nestedPolluted: (nested as { polluted?: boolean }).polluted ?? false,
        jsonOwn: Object.keys(request.session.toJSON()),
        globalPolluted: ({} as { polluted?: boolean }).polluted ?? false
      }
    })
  })
  const cookie = expectSessionValue(await app.inject('/store'))
  t.same((await app.inject({ url: '/load', cookies: { session: cookie } })).json(), {
    proto: { polluted: true },
    keys: ['__proto__', 'constructor', 'nested'],
    nestedOwn: ['__proto__', 'prototype'],
    nestedPolluted: false,
    jsonOwn: ['__proto__', 'constructor', 'nested'],
    globalPolluted: false
  })
})

t.test('modified can be set by hand, as in Flask', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    addLoginRoutes(app)
    app.get('/touch', async (request) => { request.session.modified = true; return request.session.modified })
  })
  const cookie = expectSessionValue(await app.inject('/login'))
  const response = await app.inject({ url: '/touch', cookies: { session: cookie } })
  t.equal(response.body, 'true')
  t.ok(sessionValue(response), 'a session marked modified is re-signed')
})
