import { createHash } from 'node:crypto'
import t from 'tap'
import { EncryptedSealer, XaesKey } from '../lib/crypto/encrypted-sealer.js'
import { createSessionCodec } from '../lib/codec/create-codec.js'
import { resolveOptions } from '../lib/plugin/options.js'
import { addLoginRoutes, buildApp, expectSessionValue, NOW, SECRET, setCookies, whoami } from './helpers.js'

const hex = (text: string) => Buffer.from(text, 'hex')

t.test('XAES-256-GCM matches C2SP\'s test vectors', async (t) => {
  const vectors = [
    { key: '01'.repeat(32), aad: '', subkey: 'c8612c9ed53fe43e8e005b828a1631a0bbcb6ab2f46514ec4f439fcfd0fa969b', sealed: 'ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271' },
    { key: '03'.repeat(32), aad: 'c2sp.org/XAES-256-GCM', subkey: 'e9c621d4cdd9b11b00a6427ad7e559aeedd66b3857646677748f8ca796cb3fd8', sealed: '986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d' }
  ]
  const nonce = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWX')
  for (const vector of vectors) {
    const key = new XaesKey(hex(vector.key))
    t.equal(key.subkey(nonce).toString('hex'), vector.subkey, 'the derived key (MSB of L is 0 in one vector, 1 in the other)')
    const { ciphertext, tag } = key.encrypt(nonce, Buffer.from('XAES-256-GCM'), Buffer.from(vector.aad))
    t.equal(Buffer.concat([ciphertext, tag]).toString('hex'), vector.sealed)
    t.equal(key.decrypt(nonce, ciphertext, tag, Buffer.from(vector.aad))?.toString(), 'XAES-256-GCM')
    t.equal(key.decrypt(nonce, ciphertext, tag, Buffer.from('other')), undefined, 'other additional data does not decrypt')
  }
})

t.test('XAES-256-GCM matches C2SP\'s accumulated test: 10 000 random keys, nonces, plaintexts and AADs', async (t) => {
  // The deterministic RNG is SHAKE-128 of nothing; 10 000 iterations read at most 10 000 × 568 bytes of it.
  const stream = createHash('shake128', { outputLength: 10_000 * 568 }).digest()
  t.equal(stream.subarray(0, 16).toString('hex'), '7f9c2ba4e88f827d616045507605853e')
  let offset = 0
  const read = (length: number) => stream.subarray(offset, (offset += length))
  const accumulated = createHash('shake128', { outputLength: 32 })
  let roundTrips = 0
  for (let iteration = 0; iteration < 10_000; iteration++) {
    const key = new XaesKey(read(32))
    const nonce = read(24)
    const plaintext = read(read(1)[0]!)
    const aad = read(read(1)[0]!)
    const { ciphertext, tag } = key.encrypt(nonce, plaintext, aad)
    if (key.decrypt(nonce, ciphertext, tag, aad)?.equals(plaintext) === true) roundTrips++
    accumulated.update(ciphertext).update(tag)
  }
  t.equal(roundTrips, 10_000, 'every message decrypts back')
  t.equal(accumulated.digest('hex'), 'e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939')
})

function encryptedCodec (secret: string | string[] = SECRET, cookieName = 'session') {
  return createSessionCodec(resolveOptions({ secret, format: 'encrypted', cookieName, lifetimeSeconds: 3600 }), 16)
}

t.test('the cookie gives nothing of the data away: no value, nor its JSON, base64 or base64url', async (t) => {
  // Every key and value is at least 8 characters, so no base64 fragment of them is short enough to turn up in random bytes by chance.
  const values = { username: 'alice-the-admin', email_address: 'alice@example.com', user_role: 'superuser', access_token: 'tok_4f7a9b2c' }
  const cookie = encryptedCodec().seal(new Map(Object.entries(values)), NOW)
  const telltales: string[] = [JSON.stringify(values)]
  for (const [key, value] of Object.entries(values)) telltales.push(key, value, JSON.stringify({ [key]: value }), `"${key}":"${value}"`)
  for (const text of [...telltales]) {
    for (const encoding of ['base64', 'base64url'] as const) {
      // Each of the three alignments of a substring inside a larger base64 text, minus the characters its neighbours change.
      for (const prefix of ['', 'x', 'xx']) telltales.push(Buffer.from(prefix + text).toString(encoding).slice(prefix.length === 0 ? 0 : prefix.length + 1, -2))
    }
  }
  for (const telltale of telltales) t.notOk(cookie.includes(telltale), `the cookie does not hold ${JSON.stringify(telltale)}`)
  t.same(Object.fromEntries(encryptedCodec().parse(encryptedCodec().verify(cookie, NOW) as never)), values, 'and it opens with the secret')
})

t.test('a 100-byte session costs about 15 bytes more than in the default format, and is never compressed', async (t) => {
  const session = new Map(Object.entries({ username: 'alice', user_id: 12345, csrf_token: '3q2-7wEAAAAx9c4bXb0sTg', role: 'editor', l: 'eng' }))
  t.equal(JSON.stringify(Object.fromEntries(session)).length, 100)
  const encrypted = encryptedCodec().seal(session, NOW)
  const signed = createSessionCodec(resolveOptions({ secret: SECRET }), 16).seal(session, NOW)
  t.equal(encrypted.length, Math.ceil((100 + 50) * 4 / 3), '50 bytes of version, key id, timestamp, nonce and tag, in base64url')
  t.equal(signed.length, 185)
  t.equal(encrypted.length - signed.length, 15)
  const repetitive = new Map([['blob', 'abc'.repeat(1000)]])
  t.equal(encryptedCodec().seal(repetitive, NOW).length, Math.ceil((3011 + 50) * 4 / 3), 'compressible data is not compressed (CRIME)')
})

t.test('two seals of the same data differ (random nonces); each opens', async (t) => {
  const codec = encryptedCodec()
  const data = new Map([['user', 'ann']])
  const first = codec.seal(data, NOW)
  const second = codec.seal(data, NOW)
  t.not(first, second)
  t.match(codec.verify(first, NOW), { timestampSeconds: NOW, keyIndex: 0 })
  t.match(codec.verify(second, NOW), { timestampSeconds: NOW, keyIndex: 0 })
})

t.test('a read picks its key by the id the cookie carries, and decrypts only with it', async (t) => {
  const OLD = 'the-old-secret-that-is-32-bytes-long'
  const oldCookie = encryptedCodec(OLD).seal(new Map([['user', 'ann']]), NOW)
  let decryptions = 0
  const realDecrypt = XaesKey.prototype.decrypt
  XaesKey.prototype.decrypt = function (...args) { decryptions++; return realDecrypt.apply(this, args) }
  t.teardown(() => { XaesKey.prototype.decrypt = realDecrypt })
  const rotated = encryptedCodec([SECRET, 'a-third-secret-that-is-32-bytes-long', OLD])
  t.match(rotated.verify(oldCookie, NOW), { keyIndex: 2 })
  t.equal(decryptions, 1, 'one decryption, with the key the id names, not one per secret')
  t.match(encryptedCodec(SECRET).verify(oldCookie, NOW), { code: 'unknown-key', detail: 'cookie was encrypted with a key this app does not have (another secret or cookie name)' })
  t.equal(decryptions, 1, 'a cookie of an unknown key is not decrypted at all')
})

t.test('the cookie name, the version and the timestamp are bound to the cookie', async (t) => {
  const cookie = encryptedCodec().seal(new Map([['user', 'ann']]), NOW)
  t.match(encryptedCodec(SECRET, 'other').verify(cookie, NOW), { code: 'unknown-key' }, 'another cookie name has other keys')
  const bytes = Buffer.from(cookie, 'base64url')
  const withByte = (index: number, value: number) => { const copy = Buffer.from(bytes); copy[index] = value; return copy.toString('base64url') }
  t.match(encryptedCodec().verify(withByte(0, 2), NOW), { code: 'unsupported-version', detail: 'cookie is encrypted format version 2, not 1' })
  t.match(encryptedCodec().verify(withByte(9, bytes[9]! ^ 1), NOW), { code: 'bad-signature', detail: 'cookie does not decrypt: altered, or sealed with another key' }, 'a timestamp moved by a second does not decrypt')
  const sealer = new EncryptedSealer({ secrets: [Buffer.from(SECRET)], cookieName: 'session', maxLength: 4096 })
  t.match(sealer.unseal(cookie, NOW + 3601, 3600, 5), { code: 'expired', detail: /signature expired: 3601 s old/ }, 'the age is checked after decryption')
  t.match(sealer.unseal(cookie.slice(0, 60), NOW, 3600, 5), { code: 'malformed', detail: 'cookie is too short to be an encrypted value' })
})

t.test('an unchanged cookie is decrypted once, one this app encrypted never; later requests come from the cache', async (t) => {
  let unseals = 0
  const realUnseal = EncryptedSealer.prototype.unseal
  EncryptedSealer.prototype.unseal = function (...args) { unseals++; return realUnseal.apply(this, args) }
  t.teardown(() => { EncryptedSealer.prototype.unseal = realUnseal })
  const { app } = await buildApp(t, { format: 'encrypted' }, addLoginRoutes)
  const { app: otherInstance } = await buildApp(t, { format: 'encrypted' }, addLoginRoutes)
  const ours = { session: expectSessionValue(await app.inject('/login')) }
  for (let request = 0; request < 5; request++) t.equal((await app.inject({ url: '/whoami', cookies: ours })).body, 'ann')
  t.equal(unseals, 0, 'five reads of a cookie this app sealed, no decryption')
  const theirs = { session: expectSessionValue(await otherInstance.inject('/login')) }
  for (let request = 0; request < 5; request++) t.equal((await app.inject({ url: '/whoami', cookies: theirs })).body, 'ann')
  t.equal(unseals, 1, 'five reads of a cookie another instance sealed, one decryption')
})

t.test('the default format\'s and Flask\'s cookies are refused with a deletion cookie, and the other way round', async (t) => {
  const encrypted = await buildApp(t, { format: 'encrypted' }, addLoginRoutes)
  const encryptedCookie = expectSessionValue(await encrypted.app.inject('/login'))
  for (const format of ['default', 'flask'] as const) {
    const other = await buildApp(t, { format }, addLoginRoutes)
    const otherCookie = expectSessionValue(await other.app.inject('/login'))
    const response = await encrypted.app.inject({ url: '/whoami', cookies: { session: otherCookie } })
    t.equal(response.statusCode, 200)
    t.equal(response.body, 'nobody', `a ${format} cookie is not an encrypted one`)
    t.match(setCookies(response), [/^session=; Expires=Thu, 01 Jan 1970/])
    t.equal(await whoami(other.app, encryptedCookie), 'nobody', `the ${format} format refuses an encrypted cookie`)
  }
})
