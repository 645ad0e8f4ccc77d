import t from 'tap'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import cookieSession from '../index.js'
import { ownError } from '../lib/base/errors.js'
import { buildApp } from './helpers.js'

t.test('every error code has its class: instanceof and code say the same thing', async (t) => {
  const { errors, errorCodes } = cookieSession
  const codeOf: Record<keyof typeof errors, string> = {
    InvalidOptionError: errorCodes.INVALID_OPTION,
    WeakSecretError: errorCodes.WEAK_SECRET,
    UnstorableValueError: errorCodes.UNSTORABLE_VALUE,
    CookieTooLargeError: errorCodes.COOKIE_TOO_LARGE,
    HeadersSentError: errorCodes.HEADERS_SENT,
    UnverifiedCookieError: errorCodes.UNVERIFIED_COOKIE,
    RevocationFailedError: errorCodes.REVOCATION_FAILED,
    InvalidRevocationError: errorCodes.INVALID_REVOCATION
  }
  t.same(Object.values(codeOf).sort(), Object.values(errorCodes).sort(), 'one class per code, none left out')
  for (const [name, ErrorClass] of Object.entries(errors)) {
    const error = new ErrorClass('what happened')
    t.ok(error instanceof ErrorClass && error instanceof Error, `${name} is an Error of its own class`)
    t.equal(error.code, codeOf[name as keyof typeof errors], `${name} carries its code`)
    t.equal(error.name, name, `${name} names itself in stack traces`)
    t.equal(error.message, 'fastify-cookie-session: what happened')
  }
  const others = Object.values(errors).filter((ErrorClass) => ErrorClass !== errors.WeakSecretError)
  t.notOk(others.some((ErrorClass) => new errors.WeakSecretError('x') instanceof ErrorClass), 'one class does not pass for another')
})

t.test('what register and a request throw are instances of those classes', async (t) => {
  const app = Fastify()
  const registration = await app.register(cookieSession, { secret: 'too short' }).then(() => undefined, (error: unknown) => error)
  t.ok(registration instanceof cookieSession.errors.WeakSecretError, 'a weak secret')
  t.ok(registration instanceof TypeError, 'an option error is still a TypeError')

  const { app: big } = await buildApp(t, {}, (app) => {
    app.get('/big', async (request) => {
      request.session.set('blob', randomBytes(4000).toString('base64'))
      return 'ok'
    })
    app.setErrorHandler(async (error, _request, reply) => reply.code(500).send({
      tooLarge: error instanceof cookieSession.errors.CookieTooLargeError,
      statusCode: (error as { statusCode?: number }).statusCode
    }))
  })
  t.same((await big.inject('/big')).json(), { tooLarge: true, statusCode: 500 }, 'an oversized session reaches the error handler as a CookieTooLargeError')
})

t.test('ownError hands on the plugin\'s errors and throws anything else again', async (t) => {
  const ours = new cookieSession.errors.CookieTooLargeError('too big')
  t.equal(ownError(ours), ours)
  const bug = new RangeError('a bug')
  t.throws(() => ownError(bug), bug, 'a foreign error is not passed off as the plugin\'s')
})
