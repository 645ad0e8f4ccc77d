import { deepStrictEqual } from 'node:assert'
import fc from 'fast-check'
import t from 'tap'
import { parseJson, TooDeepError } from '../lib/payload/json-parse.js'

const MAX_DEPTH = 64
/** A digit run this long sends text to the exact reader. */
const LONG_RUN = '1234567890123456'

/** What the exact reader makes of `text`: wrapped in an array next to a long digit run, which sends it there. */
function readExactly (text: string): unknown {
  return (parseJson(`[${text},${LONG_RUN}]`, MAX_DEPTH + 1) as unknown[])[0]
}

/** JSON number text of every shape: sign, up to 15 integer digits, a fraction, an exponent. */
const numberText = fc.tuple(
  fc.constantFrom('', '-'),
  fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,14}$/)),
  fc.option(fc.stringMatching(/^\.\d{1,15}$/), { nil: '' }),
  fc.option(fc.stringMatching(/^[eE][+-]?\d{1,3}$/), { nil: '' })
).map((parts) => parts.join(''))

/** JSON text: whatever fc.json writes, and objects and arrays of hand-spelled numbers with whitespace. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.array(numberText, { maxLength: 6 }).map((numbers) => `[ ${numbers.join(' , ')} ]`),
  fc.dictionary(fc.string(), numberText, { maxKeys: 6 }).map((entries) => `{${Object.entries(entries).map(([key, number]) => `${JSON.stringify(key)}:${number}`).join(',')}}`)
).filter((text) => !/\d{16}/.test(text))

t.test('without a digit run of 16, JSON.parse gives exactly what the exact reader gives', async (t) => {
  fc.assert(fc.property(jsonText, (text) => {
    // deepStrictEqual tells -0 from 0, and a bigint from a number.
    deepStrictEqual(parseJson(text, MAX_DEPTH), readExactly(text))
  }), { numRuns: 2000 })
  t.pass('2000 texts')
})

t.test('the exact reader gives back every integer exactly, whatever its size', async (t) => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), (integer) => {
    const read = (parseJson(`{"n":${integer},"pad":${LONG_RUN}}`, MAX_DEPTH) as { n: number | bigint }).n
    deepStrictEqual(BigInt(read), integer)
  }), { numRuns: 2000 })
  t.pass('2000 integers')
})

function isTooDeep (read: () => unknown): boolean {
  try {
    read()
    return false
  } catch (error) {
    return error instanceof TooDeepError
  }
}

t.test('both readers refuse data nested deeper than the limit, brackets inside strings not counted', async (t) => {
  for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
    for (const levels of [1, MAX_DEPTH, MAX_DEPTH + 1, 2000]) {
      // A long digit run inside sends the text to the exact reader.
      for (const [reader, inner] of [['JSON.parse', '1'], ['exact', LONG_RUN]]) {
        const text = open.repeat(levels) + inner + close.repeat(levels)
        t.equal(isTooDeep(() => parseJson(text, MAX_DEPTH)), levels > MAX_DEPTH, `${levels} levels of ${open}, ${reader} reader`)
      }
    }
  }
  t.same(parseJson(`["${'['.repeat(100)}", ${LONG_RUN}]`, 1), ['['.repeat(100), 1234567890123456n])
  t.same(parseJson(`["${'['.repeat(100)}"]`, 1), ['['.repeat(100)])
})
