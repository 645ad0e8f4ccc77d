import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cookieSession from '../index.js'

export interface DemoOptions {
  secret: string
  format?: 'default' | 'flask'
  logger?: FastifyServerOptions['logger']
}

/** The classic Flask session tutorial, route for route. */
export async function buildDemoApp ({ secret, format = 'default', logger = false }: DemoOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  await app.register(cookieSession, { secret, format })

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
