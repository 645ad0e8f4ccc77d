import { randomBytes } from 'node:crypto'
import { buildDemoApp } from './app.js'

const port = Number(process.env.PORT ?? 3000)
const format = process.env.SESSION_FORMAT === 'flask' ? 'flask' : 'default'
let secret = process.env.SECRET_KEY
if (secret === undefined || secret === '') {
  secret = randomBytes(32).toString('base64url')
  console.warn('SECRET_KEY is not set: using a random secret, so sessions end when the server stops.')
}

buildDemoApp({ secret, format, logger: true })
  .then((app) => app.listen({ host: '127.0.0.1', port }))
  .catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
