import { deflateSync } from 'node:zlib'
import fc from 'fast-check'
import t from 'tap'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { type FormatName } from '../lib/formats/registry.js'
import { resolveOptions } from '../lib/plugin/options.js'
import { Refusal } from '../lib/base/refusal.js'
import { addLoginRoutes, buildApp, expectSessionValue, FORMATS_UNDER_TEST, NOW, SECRET, signRaw } from './helpers.js'

function codecFor (format: FormatName, secret = SECRET, cookieName = 'session') {
  return createSessionCodec(resolveOptions({ secret, format, cookieName, lifetimeSeconds: 3600 }), 64 * 1024)
}

const codec = codecFor('default')
const flaskCodec = codecFor('flask', 'dev')
const encryptedCodec = codecFor('encrypted')
const sample = new Map<string, unknown>([['user', 'ann'], ['roles', ['admin']], ['when', new Date(0)]])
const large = new Map<string, unknown>([['blob', 'abc'.repeat(200)]])
const valid = codec.seal(sample, NOW)

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), text: fc.constantFrom('.', '..', '=', '==', '+', '/', '%2E', 'é', '\u0000', ' ', '"', 'A'.repeat(5000)) }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) })
)

function mutate (cookie: string, change: { kind: string, at: number, bit?: number, text?: string, length?: number }): string {
  const at = change.at % (cookie.length + 1)
  switch (change.kind) {
    case 'flip': {
      const index = Math.min(at, cookie.length - 1)
      return cookie.slice(0, index) + String.fromCharCode(cookie.charCodeAt(index) ^ (1 << (change.bit as number))) + cookie.slice(index + 1)
    }
    case 'truncate': return cookie.slice(0, at)
    case 'insert': return cookie.slice(0, at) + (change.text as string) + cookie.slice(at)
    default: return cookie.slice(0, at) + cookie.slice(at + (change.length as number))
  }
}

function opensTo (value: string, using = codec): Refusal | Record<string, unknown> {
  const opened = using.verify(value, NOW)
  return opened instanceof Refusal ? opened : Object.fromEntries(using.parse(opened))
}

t.test('random bytes never throw out of the decoder and are never accepted', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 6000 }), (value) => {
    t.type(codec.verify(value, NOW), Refusal)
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.stringMatching(/^\.?[\w-]{1,80}\.[\w-]{0,8}\.[\w-]{1,50}$/), (value) => {
    t.type(codec.verify(value, NOW), Refusal)
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 6000 }), fc.stringMatching(/^[\w-]{60,400}$/), fc.uint8Array({ minLength: 50, maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64url'))), (value) => {
    t.type(encryptedCodec.verify(value, NOW), Refusal)
  }), { numRuns: 2000 })
})

t.test('any mutation of a valid cookie is refused (no forgery), and never throws, in every format', async (t) => {
  for (const using of [codec, flaskCodec, encryptedCodec]) {
    for (const original of [using.seal(sample, NOW), using.seal(large, NOW)]) {
      t.type(opensTo(original, using), 'object')
      fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        const mutated = changes.reduce(mutate, original)
        fc.pre(mutated !== original)
        t.type(opensTo(mutated, using), Refusal)
      }), { numRuns: 1000 })
    }
  }
})

t.test('the wrong secret, another cookie name, or another format never verifies', async (t) => {
  t.match(codecFor('default', 'another-secret-of-at-least-32-bytes').verify(valid, NOW), { code: 'bad-signature' })
  t.match(codecFor('default', SECRET, 'other').verify(valid, NOW), { code: 'bad-signature' })
  t.match(codecFor('flask', SECRET).verify(valid, NOW), { code: 'bad-signature' })
  t.match(codec.verify(flaskCodec.seal(sample, NOW), NOW), { code: 'bad-signature' })
  const sealed = encryptedCodec.seal(sample, NOW)
  const unknownKey = 'cookie was encrypted with a key this app does not have (another secret or cookie name)'
  t.match(codecFor('encrypted', 'another-secret-of-at-least-32-bytes').verify(sealed, NOW), { code: 'unknown-key', detail: unknownKey })
  t.match(codecFor('encrypted', SECRET, 'other').verify(sealed, NOW), { code: 'unknown-key', detail: unknownKey })
  t.match(codec.verify(sealed, NOW), { code: 'malformed', detail: 'cookie is not a signed value' })
  t.match(encryptedCodec.verify(valid, NOW), { code: 'malformed', detail: 'cookie is not an encrypted value' })
  t.match(encryptedCodec.verify(flaskCodec.seal(sample, NOW), NOW), { code: 'malformed', detail: 'cookie is not an encrypted value' })
})

t.test('validly signed hostile payloads give a clear refusal or plain data, never a polluted prototype', async (t) => {
  const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url')
  fc.assert(fc.property(fc.json({ maxDepth: 4 }), (json) => {
    const opened = codec.verify(signRaw(b64(json)), NOW)
    const parsed = JSON.parse(json)
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    t.equal(!(opened instanceof Refusal), isObject, json)
  }), { numRuns: 500 })
  const polluting = opensTo(signRaw(b64('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"prototype":2}')))
  t.same(Object.keys(polluting), ['__proto__', 'constructor', 'prototype'])
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal(Object.getPrototypeOf(polluting), Object.prototype)
  for (const deep of ['{"a":' + '['.repeat(1400) + ']'.repeat(1400) + '}', '{"a":' + '{"b":'.repeat(100) + '1' + '}'.repeat(100) + '}']) {
    t.match(opensTo(signRaw(b64(deep))), { code: 'bad-payload', detail: 'payload nests deeper than 64 levels' }, 'deep nesting is refused, so it can never fail a later save')
  }
  t.same(opensTo(signRaw(b64('{"a":"[[[[{{{{\\"' + '['.repeat(100) + '"}'))), { a: '[[[[{{{{"' + '['.repeat(100) }, 'brackets inside strings do not count')
  const bomb = signRaw('.' + b64(deflateSync(Buffer.alloc(2_000_000, 32))))
  t.ok(bomb.length < 4096, 'the bomb fits in a cookie')
  t.match(opensTo(bomb), { code: 'bad-payload', detail: /decompresses to over 16384 bytes/ }, 'a 2 MB zip bomb in a cookie stops at maxJsonBytes (16 KiB)')
  t.match(opensTo('a'.repeat(1_000_000)), { code: 'too-long', detail: /over the 4096 limit/ }, 'a huge cookie is refused before any decoding')
})

for (const format of FORMATS_UNDER_TEST) {
  t.test(`no hostile cookie causes a 5xx through a real route, and the cookie is deleted (${format} format)`, async (t) => {
    const { app } = await buildApp(t, { format }, addLoginRoutes)
    const cookie = expectSessionValue(await app.inject('/login'))
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (changes) => {
      const mutated = changes.reduce(mutate, cookie)
      // The Cookie header parser trims spaces and quotes and decodes %XX, so some mutations give back the very same value: no forgery.
      const parsed = app.parseCookie(`session=${mutated}`).session
      fc.pre(parsed !== cookie)
      const response = await app.inject({ url: '/whoami', headers: { cookie: `session=${mutated}` } })
      t.equal(response.statusCode, 200)
      t.equal(response.body, 'nobody')
      // A mutation that leaves an empty value (cut to nothing) is no cookie at all: nothing to delete.
      if (parsed) t.match(response.headers['set-cookie'], /^session=; Expires=Thu, 01 Jan 1970/)
      else t.equal(response.headers['set-cookie'], undefined)
    }), { numRuns: 1000 })
  })
}
