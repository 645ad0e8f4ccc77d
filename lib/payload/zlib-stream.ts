// zlib through one reused native handle, with Node's one-shot calls as the fallback.
import { constants, Deflate, deflateSync, Inflate, inflateSync } from 'node:zlib'

/**
 * The zlib stream (RFC 1950) of `input` at Node's defaults (level 6, as Python's `zlib.compress`),
 * or undefined when that stream would be longer than `maxBytes`.
 */
export type Compress = (input: Buffer, maxBytes: number) => Buffer | undefined

/** What a zlib stream inflates to; a `TooLargeError` past `maxBytes`, an `Error` for bad data. */
export type Decompress = (input: Buffer, maxBytes: number) => Buffer

export class TooLargeError extends Error {
  override name = 'TooLargeError'
}

/** Two bytes of header, an empty final block of two, and the four of the Adler-32 checksum. */
const SHORTEST_ZLIB_STREAM_BYTES = 8

/**
 * The native zlib handle inside Node's `Deflate` and `Inflate` streams, as Node's own zlib.js
 * drives it in `deflateSync`. It is not a public API, so `reusableHandle` checks its shape and each
 * function below falls back to the public one-shot call when it is missing.
 */
interface NativeZlibHandle {
  reset (): void
  writeSync (flush: number, input: Buffer, inputOffset: number, inputLength: number, output: Buffer, outputOffset: number, outputLength: number): void
  onerror: (message: string, errno: number) => void
}

/** A native handle that runs one whole stream per call. */
interface ReusableHandle {
  /** All the output for `input`, or undefined when it is longer than `maxBytes`; throws what zlib reports, after `failurePrefix`. */
  run (input: Buffer, maxBytes: number): Buffer | undefined
  /** Runs a stream whose output is of no use, for what it leaves in the handle's window. */
  runDiscarding (input: Buffer): void
}

/** Deflating zeros gives a few bytes (53 for 32,764 of them), so this holds any scrub's output. */
const SCRUB_OUTPUT_BYTES = 1024

function reusableHandle (stream: object, failurePrefix: string): ReusableHandle | undefined {
  const { _handle: handle, _writeState: spaceAndInputLeft } = stream as { _handle?: Partial<NativeZlibHandle>, _writeState?: unknown }
  if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(spaceAndInputLeft instanceof Uint32Array)) return undefined
  const native = handle as NativeZlibHandle
  let failure: string | undefined
  // In place of the stream's own handler, which would destroy the stream and the handle with it.
  native.onerror = (message) => { failure = message }
  let output = Buffer.alloc(0)
  const discarded = Buffer.allocUnsafe(SCRUB_OUTPUT_BYTES)
  return {
    run (input, maxBytes) {
      if (output.length <= maxBytes) output = Buffer.allocUnsafe(maxBytes + 1)
      native.reset()
      native.writeSync(constants.Z_FINISH, input, 0, input.length, output, 0, maxBytes + 1)
      if (failure !== undefined) {
        const message = failurePrefix + failure
        failure = undefined
        throw new Error(message)
      }
      // Room left means zlib finished the stream (Z_FINISH); none means it is longer than maxBytes.
      const written = maxBytes + 1 - (spaceAndInputLeft[0] as number)
      return written <= maxBytes ? Buffer.from(output.subarray(0, written)) : undefined
    },
    runDiscarding (input) {
      native.reset()
      native.writeSync(constants.Z_FINISH, input, 0, input.length, discarded, 0, SCRUB_OUTPUT_BYTES)
    }
  }
}

/**
 * The longest input the reused handle takes: it fits the lower half of zlib's 32 KiB window
 * with the 262 bytes of lookahead zlib keeps, so zlib never slides the window and the input
 * fills its first bytes, which a scrub of as many zeros overwrites. Longer sessions (rare:
 * maxJsonBytes is 16 KiB by default) take the one-shot call.
 */
const REUSED_HANDLE_MAX_INPUT_BYTES = 32 * 1024 - 262
/** The longest match deflate looks for (MAX_MATCH): how far past its input it reads. */
const LONGEST_MATCH_BYTES = 258

function deflateOnce (input: Buffer, maxBytes: number): Buffer | undefined {
  const compressed = deflateSync(input)
  return compressed.length <= maxBytes ? compressed : undefined
}

/**
 * One handle reset and written once per call, where `deflateSync` builds and destroys a whole
 * stream (about 17 µs of a 20 µs call on a 100-byte session, Node 20). The output stops at
 * `maxBytes + 1`, so a session that compression does not shorten costs no copy, and zlib
 * writes the same bytes as `deflateSync` whatever the size of its output buffer.
 *
 * While it looks for the longest match, deflate reads up to 258 bytes past the end of its input,
 * and a reset does not clear the window: the bytes an earlier, longer session left there would
 * steer which match is chosen, so a session's cookie would depend on, and tell something of,
 * another user's session (a compression side channel). So the handle keeps count of how far its
 * window holds other sessions' bytes, and before an input shorter than that, it runs zeros
 * through the handle (thrown away) over the part the input's matches could read: the output is
 * `deflateSync`'s, whatever came before. Sessions of one size, or growing, pay nothing for it.
 */
export function createCompressor (stream: object = new Deflate()): Compress {
  const reusable = reusableHandle(stream, 'zlib could not compress: ')
  let compress: Compress = deflateOnce
  if (reusable !== undefined) {
    const zeros = Buffer.alloc(REUSED_HANDLE_MAX_INPUT_BYTES + LONGEST_MATCH_BYTES)
    /** The window's bytes from here on are zeros; before it, earlier inputs may have left theirs. */
    let dirtyBytes = 0
    compress = (input, maxBytes) => {
      if (input.length > REUSED_HANDLE_MAX_INPUT_BYTES) return deflateOnce(input, maxBytes)
      if (dirtyBytes > input.length) {
        const scrubbedBytes = Math.min(dirtyBytes, input.length + LONGEST_MATCH_BYTES)
        reusable.runDiscarding(zeros.subarray(0, scrubbedBytes))
        if (scrubbedBytes === dirtyBytes) dirtyBytes = 0
      }
      dirtyBytes = Math.max(dirtyBytes, input.length)
      return reusable.run(input, maxBytes)
    }
  }
  // Below the shortest stream no input can fit: nothing to try (and the native write is never given a negative length).
  return (input, maxBytes) => maxBytes < SHORTEST_ZLIB_STREAM_BYTES ? undefined : compress(input, maxBytes)
}

/**
 * As `createCompressor`, for reading: bytes after the end of the stream are ignored, as by
 * `inflateSync` and Python's `zlib.decompress`.
 */
export function createDecompressor (stream: object = new Inflate()): Decompress {
  const reusable = reusableHandle(stream, '')
  if (reusable === undefined) {
    return (input, maxBytes) => {
      try {
        return inflateSync(input, { maxOutputLength: maxBytes })
      } catch (error) {
        throw (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? new TooLargeError() : error
      }
    }
  }
  // A stream cut short fails too: zlib reports it as "unexpected end of file".
  return (input, maxBytes) => reusable.run(input, maxBytes) ?? throwTooLarge()
}

function throwTooLarge (): never {
  throw new TooLargeError()
}
