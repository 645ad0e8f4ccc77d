import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import cookieSession from '../../index.js'
import type { CookieSessionOptions } from '../../lib/options.js'

export interface LogLine { level: number, msg: string, reason?: string }

/** A Flask-mode app with a log we can read; closed when the test ends. */
export async function buildFlaskModeApp (
  t: Test,
  options: Omit<CookieSessionOptions, 'format'>,
  routes: (app: FastifyInstance) => void
): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const stream = { write: (line: string) => { logs.push(JSON.parse(line)) } }
  const app = Fastify({ logger: { level: 'debug', stream } })
  await app.register(cookieSession, { ...options, format: 'flask' })
  routes(app)
  t.teardown(() => app.close())
  return { app, logs }
}

/** Replaces `Date.now` until the test ends: `clock.seconds = n` moves time. */
export function stubClock (t: Test, startSeconds: number): { seconds: number } {
  const clock = { seconds: startSeconds }
  const realNow = Date.now
  Date.now = () => clock.seconds * 1000
  t.teardown(() => { Date.now = realNow })
  return clock
}

/** The raw Set-Cookie headers of a response, always as an array. */
export function setCookies (response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [header]
}

/** The value of the first `name=value` Set-Cookie header for `name`, or undefined. */
export function cookieValue (headers: string[], name = 'session'): string | undefined {
  const header = headers.find((line) => line.startsWith(name + '='))
  return header?.slice(name.length + 1).split(';')[0]
}
