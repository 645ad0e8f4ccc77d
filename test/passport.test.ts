import { Authenticator } from '@fastify/passport'
import type { FastifyInstance } from 'fastify'
import { Strategy as LocalStrategy } from 'passport-local'
import t, { type Test } from 'tap'
import { buildApp, expectSessionValue, sessionValue, setCookies } from './helpers.js'

interface User { id: string, name: string, password: string }

const USERS: User[] = [{ id: 'u1', name: 'alice', password: 'wonderland' }]

/** @fastify/formbody is not a dependency; a form post is one line of URLSearchParams. */
function parseForms (app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
}

/** The classic passport-local app: a login form, a protected page, a logout. */
async function passportApp (t: Test, options: ConstructorParameters<typeof Authenticator>[0] = {}) {
  const passport = new Authenticator(options)
  passport.use(new LocalStrategy({ usernameField: 'username' }, (username, password, done) => {
    const user = USERS.find((candidate) => candidate.name === username && candidate.password === password)
    done(null, user ?? false, user === undefined ? { message: 'wrong name or password' } : undefined)
  }))
  passport.registerUserSerializer(async (user: User) => user.id)
  passport.registerUserDeserializer(async (id: string) => USERS.find((user) => user.id === id) ?? null)
  const built = await buildApp(t, {}, (app) => {
    parseForms(app)
    app.register(passport.initialize())
    app.register(passport.secureSession())
    app.register(async (app) => {
      app.get('/cart', async (request) => {
        request.session.set('cart', ['book'])
        request.session.set('planted', 'by someone else')
        request.session.permanent = true
        return 'added'
      })
      app.post('/login', { preValidation: passport.authenticate('local', { successRedirect: '/profile', failureRedirect: '/login', failureMessage: true }) }, async () => 'unreachable')
      app.get('/login', async (request) => ({ messages: request.session.get('messages') ?? [] }))
      app.get('/profile', async (request, reply) => {
        if (!request.isAuthenticated()) return reply.code(401).send('log in first')
        return { name: (request.user as User).name }
      })
      app.get('/logout', async (request) => {
        await request.logout()
        return 'logged out'
      })
    })
  })
  return built.app
}

const form = (username: string, password: string) => ({
  method: 'POST' as const,
  url: '/login',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ username, password }).toString()
})

t.test('@fastify/passport with passport-local: log in with a form, see request.user, log out', async (t) => {
  const app = await passportApp(t)
  t.equal((await app.inject('/profile')).statusCode, 401)

  const login = await app.inject(form('alice', 'wonderland'))
  t.equal(login.statusCode, 302)
  t.equal(login.headers.location, '/profile')
  t.same(app.readSessionCookie(login), { passport: 'u1' }, 'the serialized user is in the session')
  const cookies = { session: expectSessionValue(login) }

  const profile = await app.inject({ url: '/profile', cookies })
  t.same(profile.json(), { name: 'alice' }, 'the protected route sees request.user')
  t.equal(profile.headers['set-cookie'], undefined, 'reading the login sends no cookie')
  t.same((await app.inject({ url: '/profile', headers: { cookie: app.signSessionCookie({ passport: 'u1' }) } })).json(), { name: 'alice' },
    'a test can start logged in with signSessionCookie')

  const logout = await app.inject({ url: '/logout', cookies })
  t.equal(logout.body, 'logged out')
  t.match(setCookies(logout), [/^session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;/], 'logout deletes the cookie')
  t.same(app.readSessionCookie(logout), {})
  t.equal((await app.inject({ url: '/profile', cookies: { session: '' } })).statusCode, 401, 'the browser, without its cookie, is logged out')
})

t.test('logging in regenerates the session: nothing from before survives and the cookie changes (no fixation)', async (t) => {
  const app = await passportApp(t)
  const cart = await app.inject('/cart')
  const before = expectSessionValue(cart)
  t.same(app.readSessionCookie(cart), { cart: ['book'], planted: 'by someone else', _permanent: true })

  const login = await app.inject({ ...form('alice', 'wonderland'), cookies: { session: before } })
  const after = expectSessionValue(login)
  t.not(after, before, 'the cookie value changed')
  t.same(app.readSessionCookie(login), { passport: 'u1' }, 'only what passport keeps is left: the cart, the planted value and permanent are gone')
  t.notMatch(setCookies(login)[0], /Max-Age/, 'the new session is not permanent: the planted setting is gone too')
  t.same((await app.inject({ url: '/profile', cookies: { session: after } })).json(), { name: 'alice' })
})

t.test('a failed login leaves the session as it was, apart from passport\'s message', async (t) => {
  const app = await passportApp(t)
  const cart = await app.inject('/cart')
  const failed = await app.inject({ ...form('alice', 'guess'), cookies: { session: expectSessionValue(cart) } })
  t.equal(failed.statusCode, 302)
  t.equal(failed.headers.location, '/login')
  t.same(app.readSessionCookie(failed), { cart: ['book'], planted: 'by someone else', _permanent: true, messages: ['wrong name or password'] })
  const page = await app.inject({ url: '/login', cookies: { session: expectSessionValue(failed) } })
  t.same(page.json(), { messages: ['wrong name or password'] })
})

t.test('passport\'s own settings decide what survives a login: clearSessionIgnoreFields and clearSessionOnLogin', async (t) => {
  const keepPermanent = await passportApp(t, { clearSessionIgnoreFields: ['_permanent'] })
  const cart = await keepPermanent.inject('/cart')
  const login = await keepPermanent.inject({ ...form('alice', 'wonderland'), cookies: { session: expectSessionValue(cart) } })
  t.same(keepPermanent.readSessionCookie(login), { _permanent: true, passport: 'u1' }, 'a listed key (here permanent, for "remember me") is kept')
  t.match(setCookies(login)[0], /Max-Age=2678400/)

  const keepAll = await passportApp(t, { clearSessionOnLogin: false })
  const before = expectSessionValue(await keepAll.inject('/cart'))
  const kept = await keepAll.inject({ ...form('alice', 'wonderland'), cookies: { session: before } })
  t.same(keepAll.readSessionCookie(kept), { cart: ['book'], planted: 'by someone else', _permanent: true, passport: 'u1' },
    'clearSessionOnLogin: false copies session.data() across regenerate()')
  t.not(sessionValue(kept), before)
  const logout = await keepAll.inject({ url: '/logout', cookies: { session: expectSessionValue(kept) } })
  t.same(keepAll.readSessionCookie(logout), { cart: ['book'], planted: 'by someone else', _permanent: true }, 'and logout removes only the user')
})
