'use strict'

// Codec micro-benchmark, in one process: `node bench/codec.js [--quick] [--json] [--match <regexp>]`.
// Sign+serialize and verify+parse of a ~100-byte session, per second, for our codec and the
// peers' primitives, against one raw createHmac over the same bytes (the floor for a signed cookie)
// or one raw AEAD call per message (the floor for an encrypted one). --match keeps the cases whose name matches the regular expression.
// The cases run round-robin in short slices and each reports the median slice, because this
// machine's speed drifts from second to second.

const { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual } = require('node:crypto')
const Fastify = require('fastify')
const sodium = require('sodium-native')
const { Signer: CookieSigner } = require('@fastify/cookie')
const { resolveOptions } = require('../dist/lib/plugin/options.js')
const { VERIFIED_CACHE_BYTES } = require('../dist/lib/codec/verification-cache.js')
const { createSessionCodec } = require('../dist/lib/codec/create-codec.js')
const { RevocationList } = require('../dist/lib/revocation/revocation-list.js')
const { memoryRevocationStore } = require('../dist/lib/revocation/memory-store.js')
const { SESSION_DATA } = require('./variants.js')

const SECRET = 'bench-secret-0123456789-0123456789-0123456789'
const SECURE_SESSION_KEY = Buffer.alloc(32, 7)
const quick = process.argv.includes('--quick')
const SLICE_MS = quick ? 60 : 150
const SLICES = quick ? 5 : 11
const BATCH = 200

/** Keeps results alive so the optimiser cannot drop the work. */
let sink = 0

/** Distinct cookies for the full-cache row: more than VERIFIED_CACHE_BYTES holds of this session, so every read misses and evicts. */
const FULL_CACHE_COOKIES = 6000

/** The HMAC each signed format uses, for the raw floor next to it. */
const DIGESTS = { default: 'sha256', flask: 'sha1' }

/** One raw HMAC over the signed cookie's bytes: what signing cannot go below. */
function hmacFloorCases (digest, label, cookie) {
  const signingInput = cookie.slice(0, cookie.lastIndexOf('.'))
  const key = createHmac(digest, 'key').digest()
  const signature = createHmac(digest, key).update(signingInput, 'latin1').digest()
  return {
    [`raw createHmac-${digest} over the ${label} cookie bytes (floor)`]: () => {
      sink += createHmac(digest, key).update(signingInput, 'latin1').digest()[0]
    },
    [`raw createHmac-${digest} + timingSafeEqual (verify floor)`]: () => {
      sink += timingSafeEqual(createHmac(digest, key).update(signingInput, 'latin1').digest(), signature) ? 1 : 0
    }
  }
}

/** One raw AEAD call (createCipheriv per message, as a cookie needs) over the session's JSON, for AES-256-GCM and ChaCha20-Poly1305. */
function aeadFloorCases () {
  const plaintext = Buffer.from(JSON.stringify(SESSION_DATA))
  const key = Buffer.alloc(32, 9)
  const additionalData = Buffer.alloc(10, 1)
  const nonce = Buffer.alloc(12)
  const cases = {}
  for (const cipher of ['aes-256-gcm', 'chacha20-poly1305']) {
    const seal = () => {
      const encryptor = createCipheriv(cipher, key, nonce, { authTagLength: 16 })
      encryptor.setAAD(additionalData, { plaintextLength: plaintext.length })
      const ciphertext = encryptor.update(plaintext)
      encryptor.final()
      return { ciphertext, tag: encryptor.getAuthTag() }
    }
    const sealed = seal()
    cases[`raw ${cipher} seal (createCipheriv per message, 12-byte random nonce)`] = () => {
      randomFillSync(nonce)
      sink += seal().tag[0]
    }
    cases[`raw ${cipher} open (createDecipheriv per message)`] = () => {
      const decryptor = createDecipheriv(cipher, key, nonce.fill(0), { authTagLength: 16 })
      decryptor.setAAD(additionalData, { plaintextLength: sealed.ciphertext.length })
      decryptor.setAuthTag(sealed.tag)
      sink += decryptor.update(sealed.ciphertext)[0]
      decryptor.final()
    }
    nonce.fill(0)
  }
  return cases
}

/**
 * The JSON reader of a cold read (issue #12): `parseJson` takes `JSON.parse` and a walk for the
 * depth limit, unless a run of 16 digits needs the exact reader; both on the same texts.
 */
function jsonReaderCases () {
  const { parseJson } = require('../dist/lib/payload/json-parse.js')
  const text = JSON.stringify(SESSION_DATA)
  const withLongId = text.replace(`"user_id":${SESSION_DATA.user_id}`, '"user_id":12345678901234567890')
  return {
    'JSON.parse of the session JSON': () => { sink += JSON.parse(text).role.length },
    'parseJson of the same text (JSON.parse, then the depth walk)': () => { sink += parseJson(text, 64).role.length },
    'JSON.parse of the session with a 20-digit user_id (rounds it)': () => { sink += JSON.parse(withLongId).role.length },
    'parseJson of the same text (the exact reader: a bigint)': () => { sink += parseJson(withLongId, 64).role.length }
  }
}

function ourCases (format, label) {
  const options = resolveOptions({ secret: SECRET, format })
  // A cache of no bytes remembers nothing.
  const uncached = createSessionCodec(options, 0)
  const cached = createSessionCodec(options, VERIFIED_CACHE_BYTES)
  const record = new Map(Object.entries(SESSION_DATA))
  const now = Math.floor(Date.now() / 1000)
  const cookie = uncached.seal(record, now)
  const otherCookies = [cookie, uncached.seal(new Map(Object.entries({ ...SESSION_DATA, user_id: 54321 })), now)]
  let turn = 0
  cached.verify(cookie, now)
  const full = createSessionCodec(options, VERIFIED_CACHE_BYTES)
  const manyCookies = Array.from({ length: FULL_CACHE_COOKIES }, (_, n) => uncached.seal(new Map(Object.entries({ ...SESSION_DATA, user_id: n })), now))
  for (const value of manyCookies) full.verify(value, now)
  let fullTurn = 0
  const sealing = createSessionCodec(options, VERIFIED_CACHE_BYTES)
  const changing = new Map(record)
  let visits = 0
  return {
    cookieLength: cookie.length,
    cases: {
      ...(format === 'encrypted' ? aeadFloorCases() : hmacFloorCases(DIGESTS[format], label, cookie)),
      [`ours ${label}: sign+serialize (seal)`]: () => {
        sink += uncached.seal(record, now).length
      },
      [`ours ${label}: verify+parse, cache miss`]: () => {
        sink += uncached.verify(otherCookies[turn ^= 1], now).record.size
      },
      [`ours ${label}: verify+parse, miss in a full cache (evicts)`]: () => {
        sink += full.verify(manyCookies[fullTurn++ % FULL_CACHE_COOKIES], now).record.size
      },
      [`ours ${label}: verify+parse, cache hit`]: () => {
        sink += cached.parse(cached.verify(cookie, now)).size
      },
      [`ours ${label}: seal, then verify+parse it (sealed memory)`]: () => {
        // A new value each time, so the cookie is new even within the same second.
        changing.set('visits', ++visits)
        const opened = sealing.verify(sealing.seal(changing, now), now)
        sink += (opened.record ?? sealing.parse(opened)).size
      }
    }
  }
}

/** Entries in the mirror while revocation is measured: a busy site's day of logouts. */
const REVOKED_ENTRIES = 10_000

/** What revocation adds to a read: the lookup alone, and a cache hit with and without it. */
async function revocationCases () {
  const store = memoryRevocationStore()
  const options = resolveOptions({ secret: SECRET, revocation: { store, userKey: 'user_id' } })
  const list = new RevocationList(store, { ...options, futureToleranceSeconds: options.format.futureToleranceSeconds }, { warn () {} })
  await list.start()
  for (let index = 0; index < REVOKED_ENTRIES; index++) await list.revokeSession(`revoked-${index}`)
  const codec = createSessionCodec(options, VERIFIED_CACHE_BYTES, list)
  const now = Math.floor(Date.now() / 1000)
  const cookie = codec.seal(new Map(Object.entries({ ...SESSION_DATA, _issued_at: Date.now() / 1000, _session_id: 'AAAAAAAAAAAAAAAAAAAAAA' })), now)
  codec.verify(cookie, now)
  const identity = codec.verify(cookie, now).identity
  return {
    'revocation check alone (two Map lookups, 10 000 entries)': () => {
      sink += list.refusal(identity) === undefined ? 1 : 0
    },
    'ours default: verify+parse, cache hit, revocation on': () => {
      sink += codec.parse(codec.verify(cookie, now)).size
    }
  }
}

async function peerCases () {
  const json = JSON.stringify(SESSION_DATA)
  const cookieSigner = new CookieSigner(SECRET)
  const signedJson = cookieSigner.sign(json)

  const app = Fastify({ logger: false })
  await app.register(require('@fastify/secure-session'), { key: SECURE_SESSION_KEY })
  await app.ready()
  const secureCookie = app.encodeSecureSession(app.createSecureSession({ ...SESSION_DATA }))

  const message = Buffer.from(json)
  const nonce = Buffer.alloc(sodium.crypto_secretbox_NONCEBYTES)
  const box = Buffer.alloc(message.length + sodium.crypto_secretbox_MACBYTES)
  sodium.randombytes_buf(nonce)
  sodium.crypto_secretbox_easy(box, message, nonce, SECURE_SESSION_KEY)
  const opened = Buffer.alloc(message.length)

  return {
    app,
    cases: {
      '@fastify/cookie Signer: sign(JSON.stringify)': () => {
        sink += cookieSigner.sign(JSON.stringify(SESSION_DATA)).length
      },
      '@fastify/cookie Signer: unsign + JSON.parse': () => {
        sink += JSON.parse(cookieSigner.unsign(signedJson).value).user_id
      },
      '@fastify/secure-session: encodeSecureSession': () => {
        sink += app.encodeSecureSession(app.createSecureSession({ ...SESSION_DATA })).length
      },
      '@fastify/secure-session: decodeSecureSession': () => {
        sink += app.decodeSecureSession(secureCookie).get('user_id')
      },
      'raw sodium secretbox seal (new nonce, no JSON)': () => {
        sodium.randombytes_buf(nonce)
        sodium.crypto_secretbox_easy(box, message, nonce, SECURE_SESSION_KEY)
        sink += box[0]
      },
      'raw sodium secretbox open (no JSON)': () => {
        sink += sodium.crypto_secretbox_open_easy(opened, box, nonce, SECURE_SESSION_KEY) ? 1 : 0
      }
    }
  }
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function slice (operation) {
  const startNs = process.hrtime.bigint()
  const endNs = startNs + BigInt(SLICE_MS * 1e6)
  let operations = 0
  let nowNs = startNs
  while (nowNs < endNs) {
    for (let index = 0; index < BATCH; index++) operation()
    operations += BATCH
    nowNs = process.hrtime.bigint()
  }
  return operations / (Number(nowNs - startNs) / 1e9)
}

async function main () {
  const ours = ourCases('default', 'default')
  const flask = ourCases('flask', 'flask')
  const encrypted = ourCases('encrypted', 'encrypted')
  const peers = await peerCases()
  const matchIndex = process.argv.indexOf('--match')
  const match = new RegExp(matchIndex < 0 ? '' : process.argv[matchIndex + 1])
  const cases = Object.fromEntries(Object.entries({ ...ours.cases, ...jsonReaderCases(), ...(await revocationCases()), ...flask.cases, ...encrypted.cases, ...peers.cases }).filter(([name]) => match.test(name)))
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  for (const operation of Object.values(cases)) slice(operation) // warm-up
  for (let round = 0; round < SLICES; round++) {
    for (const [name, operation] of Object.entries(cases)) samples[name].push(slice(operation))
  }
  await peers.app.close()
  const results = Object.entries(samples).map(([name, values]) => {
    const opsPerSecond = median(values)
    // The fastest and the slowest slice, in µs: how much this machine's speed moved during the run.
    return { name, opsPerSecond, microsecondsPerOp: 1e6 / opsPerSecond, microsecondsRange: [1e6 / Math.max(...values), 1e6 / Math.min(...values)] }
  })
  const output = {
    sessionJsonBytes: JSON.stringify(SESSION_DATA).length,
    cookieLength: { default: ours.cookieLength, flask: flask.cookieLength, encrypted: encrypted.cookieLength },
    slices: SLICES,
    sliceMs: SLICE_MS,
    results,
    sink
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(output) + '\n')
  } else {
    for (const { name, opsPerSecond, microsecondsPerOp, microsecondsRange: [fastest, slowest] } of results) {
      process.stdout.write(`${name.padEnd(72)} ${Math.round(opsPerSecond).toString().padStart(9)} ops/s ${microsecondsPerOp.toFixed(2).padStart(7)} µs (slices ${fastest.toFixed(2)}–${slowest.toFixed(2)})\n`)
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
