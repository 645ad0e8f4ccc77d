import fastifyFlash from '@fastify/flash'
import t from 'tap'
import { buildApp, expectSessionValue } from './helpers.js'

t.test('@fastify/flash: a message flashed on one request is read once on the next, then gone', async (t) => {
  const { app } = await buildApp(t, {}, (app) => {
    app.register(fastifyFlash)
    app.register(async (app) => {
      app.post('/save', async (request) => {
        request.flash('info', 'saved %s items', '3')
        return { count: request.flash('warning', 'disk almost full') }
      })
      app.get('/page', async (_request, reply) => ({ info: reply.flash('info'), rest: reply.flash() }))
    })
  })
  const save = await app.inject({ method: 'POST', url: '/save' })
  t.same(save.json(), { count: 1 })
  t.same(app.readSessionCookie(save), { flash: { info: ['saved 3 items'], warning: ['disk almost full'] } })

  const page = await app.inject({ url: '/page', cookies: { session: expectSessionValue(save) } })
  t.same(page.json(), { info: ['saved 3 items'], rest: { warning: ['disk almost full'] } })
  const afterRead = expectSessionValue(page)
  t.same(app.readSessionCookie(page), { flash: {} }, 'reading took them out of the session')

  const again = await app.inject({ url: '/page', cookies: { session: afterRead } })
  t.same(again.json(), { info: [], rest: {} }, 'the next request sees nothing')
})
