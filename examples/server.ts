import { randomBytes } from 'node:crypto'
import { buildDemoApp } from './app.js'
import { FORMAT_NOTES, type SessionFormat } from './inspector.js'

const port = Number(process.env.PORT ?? 3000)
const format = process.env.SESSION_FORMAT ?? 'default'
if (!Object.hasOwn(FORMAT_NOTES, format)) {
  console.error(`SESSION_FORMAT must be one of ${Object.keys(FORMAT_NOTES).join(', ')}, got ${JSON.stringify(format)}`)
  process.exit(1)
}
let secret = process.env.SECRET_KEY
if (secret === undefined || secret === '') {
  secret = randomBytes(32).toString('base64url')
  console.warn('SECRET_KEY is not set: using a random secret, so sessions end when the server stops.')
}

// Debug level shows why the plugin refused a cookie (tampered, expired, forged).
buildDemoApp({ secret, format: format as SessionFormat, logger: { level: 'debug' } })
  .then((app) => app.listen({ host: '127.0.0.1', port }))
  .then((address) => console.log(`Open ${address}/ in a browser.`))
  .catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
