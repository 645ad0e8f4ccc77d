import formbody from '@fastify/formbody'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cookieSession, { type SessionCookieOptions } from '../index.js'
import type { SessionFormat } from './inspector.js'
import { registerPages } from './pages.js'

export interface DemoOptions {
  secret: string
  format?: SessionFormat
  logger?: FastifyServerOptions['logger']
  /** Default 31 days, the plugin's. */
  lifetimeSeconds?: number
  /** Default `'session'`; `'__Host-session'` needs `secure: true`. */
  cookieName?: string
  secure?: SessionCookieOptions['secure']
  /** Fastify's `trustProxy`: believe `X-Forwarded-Proto` from a proxy in front. */
  trustProxy?: boolean
}

/** The classic Flask session tutorial, route for route, and the same session as web pages. */
export async function buildDemoApp ({ secret, format = 'default', logger = false, lifetimeSeconds = 2_678_400, cookieName = 'session', secure = false, trustProxy = false }: DemoOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger, trustProxy })
  await app.register(formbody)
  await app.register(cookieSession, { secret, format, lifetimeSeconds, cookieName, cookie: { secure }, flash: true })
  await registerPages(app, { cookieName, format, lifetimeSeconds })

  // The seed's plain routes, for curl.
  app.get<{ Params: { username: string } }>('/login/:username', async (request) => {
    request.session.set('username', request.params.username)
    return `Logged in as ${request.params.username}\n`
  })

  app.get('/profile', async (request) => {
    const username = request.session.get('username')
    return typeof username === 'string' ? `User: ${username}\n` : 'Not logged in\n'
  })

  app.get('/logout', async (request) => {
    request.session.pop('username')
    return 'Logged out\n'
  })

  app.get('/permanent', async (request) => {
    request.session.permanent = true
    return 'This session now outlives the browser\n'
  })

  return app
}
