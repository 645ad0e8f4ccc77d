import { randomBytes } from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'
import t from 'tap'
import { createCompressor, createDecompressor } from '../lib/payload/zlib-stream.js'

/** A fixed sequence of pseudo-random numbers in [0, 1), so a failure can be replayed. */
function seededRandom (seed: number): () => number {
  // mulberry32: 32-bit integer steps, exact in JS (a multiplier past 2^53 would lose the low bits and cycle early).
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), state | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

/** Session-like JSON of many sizes and shapes: repeated words compress, random hex only a little, random bytes not at all. */
function sampleInputs (): Buffer[] {
  const random = seededRandom(12)
  const words = ['user', 'id', 'csrf', 'token', 'alice', 'editor', '_permanent', 'true', '12345', '"', ':', ',']
  const inputs = [Buffer.alloc(0), Buffer.from('{}'), Buffer.from('{"a":1}'), randomBytes(20_000)]
  for (let index = 0; index < 400; index++) {
    const length = Math.floor(random() ** 3 * 16_000)
    const kind = index % 3
    if (kind === 0) inputs.push(Buffer.from(Array.from({ length: Math.ceil(length / 5) }, () => words[Math.floor(random() * words.length)]).join('')))
    else if (kind === 1) inputs.push(Buffer.from(JSON.stringify({ token: randomBytes(Math.ceil(length / 2)).toString('hex') })))
    else inputs.push(randomBytes(length))
  }
  return inputs
}

const INPUTS = sampleInputs()
// The public path, as on a Node whose zlib streams had no handle of this shape.
const WITHOUT_HANDLE = {}

for (const [name, stream] of [['the reused native handle', undefined], ['the fallback to the one-shot calls', WITHOUT_HANDLE]] as const) {
  t.test(`${name}: the same bytes as deflateSync, or nothing when they would be longer than asked`, async (t) => {
    const compress = createCompressor(stream)
    const outcomes = { compressed: 0, tooLong: 0 }
    for (const input of INPUTS) {
      const expected = deflateSync(input)
      for (const maxBytes of [expected.length, expected.length + 1, input.length - 2, expected.length - 1]) {
        const actual = compress(input, maxBytes)
        if (expected.length <= maxBytes ? actual?.equals(expected) !== true : actual !== undefined) {
          t.fail(`input of ${input.length} bytes, maxBytes ${maxBytes}: ${actual?.length} bytes against deflateSync's ${expected.length}`)
        }
        outcomes[actual === undefined ? 'tooLong' : 'compressed']++
      }
    }
    // Random bytes never fit in fewer bytes than they are; repeated words always do: both answers must have come up often.
    t.ok(outcomes.compressed > INPUTS.length && outcomes.tooLong > INPUTS.length, `compressed ${outcomes.compressed} times, too long ${outcomes.tooLong} times`)
  })

  t.test(`${name}: what inflateSync reads, within a limit`, async (t) => {
    const decompress = createDecompressor(stream)
    for (const input of INPUTS) {
      const compressed = deflateSync(input)
      // A limit is at least one byte (inflateSync's own rule).
      if (!decompress(compressed, Math.max(1, input.length)).equals(input)) t.fail(`input of ${input.length} bytes`)
      if (input.length > 1) t.throws(() => decompress(compressed, input.length - 1), { name: 'TooLargeError' })
    }
    const hello = deflateSync('hello hello hello')
    t.throws(() => decompress(Buffer.from('not zlib'), 100), { message: 'incorrect header check' })
    t.throws(() => decompress(hello.subarray(0, hello.length - 3), 100), { message: 'unexpected end of file' })
    t.equal(decompress(Buffer.concat([hello, Buffer.from('more')]), 100).toString(), 'hello hello hello', 'bytes after the stream are ignored, as inflateSync and Python do')
    t.equal(decompress(hello, 100).toString(), 'hello hello hello', 'a failure leaves it ready for the next stream')
    t.same(inflateSync(hello, { maxOutputLength: 100 }), decompress(hello, 100))
  })
}

t.test('a reused handle writes what a new stream writes, whatever it compressed before (no trace of another session)', async (t) => {
  // Deflate reads past the end of its input for the longest match: bytes that an earlier, longer
  // session left in the window would otherwise decide between two matches of the same length.
  const random = seededRandom(7)
  const words = ['user', 'id', 'csrf', 'token', 'alice', 'editor', '_permanent', 'true', '12345', '"', ':', ',']
  const text = (length: number) => Buffer.from(Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(''))
  const compress = createCompressor()
  let differing = 0
  for (let index = 0; index < 3000; index++) {
    const before = index % 2 === 0 ? Buffer.from(Array.from({ length: 4000 }, () => Math.floor(random() * 256))) : text(800)
    compress(before, before.length + 100)
    const input = text(100 + Math.floor(random() * 400))
    const expected = deflateSync(input)
    if (compress(input, expected.length)?.equals(expected) !== true) differing++
  }
  t.equal(differing, 0, 'every output is deflateSync\'s')
  // One long session, then many shorter ones of any length: the window beyond each short one's
  // scrub still holds the long one's bytes, which a later, longer input must not find either.
  let differingAfterLong = 0
  for (let round = 0; round < 20; round++) {
    const long = text(6000)
    compress(long, long.length)
    for (let index = 0; index < 100; index++) {
      const input = text(20 + Math.floor(random() * 1500))
      const expected = deflateSync(input)
      if (compress(input, expected.length)?.equals(expected) !== true) differingAfterLong++
    }
  }
  t.equal(differingAfterLong, 0, 'nor after shorter ones in between')
  const longest = 32 * 1024 - 262
  t.ok(deflateSync(Buffer.alloc(longest + 258)).length < 1024, 'the zeros that scrub the window before the longest input compress into the scratch buffer')
  const long = text(longest)
  const expected = deflateSync(long)
  t.ok(compress(long, long.length)?.equals(expected), 'the longest input the handle takes')
  const longer = Buffer.concat([long, Buffer.from('!')])
  t.ok(compress(longer, longer.length)?.equals(deflateSync(longer)), 'and one byte more, which takes the one-shot call')
})

t.test('a failure that zlib reports while compressing throws, rather than sending a broken stream', async (t) => {
  const failingHandle = {
    onerror: (_message: string, _errno: number) => {},
    reset () {},
    writeSync () { this.onerror('stream error', -2) }
  }
  const compress = createCompressor({ _handle: failingHandle, _writeState: new Uint32Array(2) })
  t.throws(() => compress(Buffer.from('{"a":1,"b":2}'), 11), { message: 'zlib could not compress: stream error' })
})
