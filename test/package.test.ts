import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'

// Packing runs the build; with the consumers' type checks this takes about half a minute on a busy machine.
t.setTimeout(180_000)

const ROOT = resolve(__dirname, '..')
const BIN = join(ROOT, 'node_modules', '.bin')
/** What a consumer project needs besides our package: resolved from our own install, never downloaded. */
const LINKED_PACKAGES = ['fastify', 'fastify-plugin', '@fastify', '@types', 'typescript']

/** Runs a command plainly (without the test runner's loaders and coverage hooks); throws with its output when it fails. */
function run (command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

function write (directory: string, files: Record<string, string>): void {
  mkdirSync(directory, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
}

const workspace = mkdtempSync(join(tmpdir(), 'fastify-cookie-session-package-'))
t.teardown(() => rmSync(workspace, { recursive: true, force: true }))

const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', workspace], ROOT)) as [{ filename: string, files: Array<{ path: string }> }]
const tarball = join(workspace, packed.filename)

const installed = join(workspace, 'node_modules', 'fastify-cookie-session')
mkdirSync(installed, { recursive: true })
run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], workspace)
for (const name of LINKED_PACKAGES) symlinkSync(join(ROOT, 'node_modules', name), join(workspace, 'node_modules', name), 'dir')

/** A consumer's check: the plugin registers, a route sets the session, the cookie comes back signed. */
const SMOKE = `
  const app = Fastify()
  await app.register(cookieSession, { secret: 'a-consumer-secret-of-32-bytes-or-more' })
  app.get('/', async (request) => { request.session.set('userId', 7); return 'ok' })
  const response = await app.inject('/')
  if (!/^session=[\\w.-]+; HttpOnly; Path=\\/; SameSite=Lax$/.test(String(response.headers['set-cookie']))) throw new Error('no session cookie')
  if (app.readSessionCookie(response)?.userId !== 7) throw new Error('the cookie does not read back')
  console.log('ok')
`

/** Revocation through the named exports: a revoked session's cookie is refused; the Redis store is there (it needs a client to run). */
const REVOCATION_SMOKE = `
  if (typeof redisRevocationStore !== 'function') throw new Error('no redisRevocationStore')
  const revocable = Fastify()
  await revocable.register(cookieSession, { secret: 'a-consumer-secret-of-32-bytes-or-more', revocation: { store: memoryRevocationStore(), userKey: 'userId' } })
  revocable.get('/login', async (request) => { request.session.set('userId', 7); return request.session.id })
  revocable.get('/logout', async (request) => { await request.session.revoke(); return 'bye' })
  revocable.get('/whoami', async (request) => String(request.session.get('userId') ?? 'nobody'))
  const login = await revocable.inject('/login')
  const cookies = { session: login.cookies[0].value }
  await revocable.inject({ url: '/logout', cookies })
  if ((await revocable.inject({ url: '/whoami', cookies })).body !== 'nobody') throw new Error('the revoked cookie still works')
  await revocable.close()
`

/** Types a consumer writes: its session data by declaration merging, and the flash methods. */
const TYPED_CONSUMER = `
declare module 'fastify-cookie-session' {
  interface SessionData { userId: number }
}
declare module 'fastify' {
  interface FastifyRequest extends FlashRequest {}
}

export async function main (): Promise<void> {
  const app = Fastify()
  await app.register(cookieSession, { secret: 'a-consumer-secret-of-32-bytes-or-more', flash: true, revocation: { store: memoryRevocationStore(), userKey: 'userId' } })
  const store: SessionRevocationStore = memoryRevocationStore()
  if (typeof store.follow !== 'function') throw new Error('not a store')
  app.get('/', async (request) => {
    const sessionId: string | undefined = request.session.id
    if (sessionId === undefined) throw new Error('no session id')
    const userId: number | undefined = request.session.get('userId')
    // @ts-expect-error SessionData says userId is a number
    request.session.set('userId', 'seven')
    request.session.set('userId', (userId ?? 0) + 7)
    request.flash('saved')
    const messages: string[] = request.flashedMessages()
    return String(messages.length)
  })
  const response = await app.inject('/')
  const data: SessionCookieData | undefined = app.readSessionCookie(response)
  if (data?.userId !== 7 || response.body !== '1') throw new Error('unexpected ' + response.body)
  await app.revokeUser(7)
  await app.close()
  console.log('ok')
}
`
const TYPED_IMPORTS = "import Fastify from 'fastify'\nimport cookieSession, { type FlashRequest, memoryRevocationStore, type SessionCookieData, type SessionRevocationStore } from 'fastify-cookie-session'\n"

const STRICT = { strict: true, skipLibCheck: false, types: ['node'], target: 'ES2022', lib: ['ES2023'] }

t.test('the tarball holds the build and nothing else', async (t) => {
  const paths = packed.files.map((file) => file.path)
  t.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts') && paths.includes('package.json') && paths.includes('README.md'))
  t.same(paths.filter((path) => !/^(dist\/(index|lib\/(?:[\w-]+\/)*[\w-]+)\.(js|d\.ts)|package\.json|README\.md|LICENSE)$/.test(path)), [], 'no tests, sources or maps')
})

t.test('@arethetypeswrong/cli finds no problem for node10, node16 (CJS and ESM) and bundler', async (t) => {
  // Offline: the package has its own types, so DefinitelyTyped is not consulted.
  const attw = spawnSync(join(BIN, 'attw'), [tarball, '--format', 'json', '--no-definitely-typed'], { cwd: workspace, encoding: 'utf8' })
  const report = JSON.parse(attw.stdout) as { problems: Record<string, unknown> }
  t.same(report.problems, {})
  t.equal(attw.status, 0)
})

t.test('a CommonJS consumer requires it every way fastify-org plugins allow', async (t) => {
  write(join(workspace, 'cjs'), {
    'package.json': '{ "type": "commonjs" }',
    'index.js': `
      const Fastify = require('fastify')
      const cookieSession = require('fastify-cookie-session')
      const { fastifyCookieSession } = require('fastify-cookie-session')
      if (cookieSession.default !== cookieSession || fastifyCookieSession !== cookieSession) throw new Error('exports differ')
      if (cookieSession.errorCodes.WEAK_SECRET !== 'FST_COOKIE_SESSION_WEAK_SECRET') throw new Error('no error codes')
      if (new cookieSession.errors.WeakSecretError('x').code !== 'FST_COOKIE_SESSION_WEAK_SECRET') throw new Error('no error classes')
      const { memoryRevocationStore, redisRevocationStore } = require('fastify-cookie-session')
      ;(async () => { ${REVOCATION_SMOKE} ${SMOKE} })().catch((error) => { console.error(error); process.exitCode = 1 })
    `
  })
  t.equal(run('node', ['index.js'], join(workspace, 'cjs')).trim(), 'ok')
})

t.test('an ESM consumer imports the default and the named export', async (t) => {
  write(join(workspace, 'esm'), {
    'package.json': '{ "type": "module" }',
    'index.js': `
      import Fastify from 'fastify'
      import cookieSession, { errorCodes, errors, fastifyCookieSession, memoryRevocationStore, redisRevocationStore } from 'fastify-cookie-session'
      if (fastifyCookieSession !== cookieSession || errorCodes !== cookieSession.errorCodes || errors !== cookieSession.errors) throw new Error('exports differ')
      ${REVOCATION_SMOKE}
      ${SMOKE}
    `
  })
  t.equal(run('node', ['index.js'], join(workspace, 'esm')).trim(), 'ok')
})

t.test('a TypeScript consumer with module nodenext (ESM and CommonJS files) compiles without skipLibCheck and runs', async (t) => {
  const directory = join(workspace, 'ts-nodenext')
  write(directory, {
    'package.json': '{ "type": "commonjs" }',
    'tsconfig.json': JSON.stringify({ compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out', rootDir: '.' }, include: ['*.mts', '*.cts'] }),
    'esm.mts': TYPED_IMPORTS + TYPED_CONSUMER + 'await main()\n',
    'cjs.cts': "import Fastify = require('fastify')\nimport cookieSession = require('fastify-cookie-session')\n" +
      'type FlashRequest = cookieSession.FlashRequest\ntype SessionCookieData = cookieSession.SessionCookieData\n' +
      'type SessionRevocationStore = cookieSession.SessionRevocationStore\nconst { memoryRevocationStore } = cookieSession\n' +
      TYPED_CONSUMER + 'main().catch((error: unknown) => { console.error(error); process.exitCode = 1 })\n'
  })
  run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], directory)
  t.equal(run('node', ['out/esm.mjs'], directory).trim(), 'ok')
  t.equal(run('node', ['out/cjs.cjs'], directory).trim(), 'ok')
})

t.test('a TypeScript consumer with moduleResolution bundler compiles without skipLibCheck', async (t) => {
  const directory = join(workspace, 'ts-bundler')
  write(directory, {
    'package.json': '{ "type": "module" }',
    'tsconfig.json': JSON.stringify({ compilerOptions: { ...STRICT, module: 'preserve', moduleResolution: 'bundler', noEmit: true }, include: ['*.ts'] }),
    'index.ts': TYPED_IMPORTS + TYPED_CONSUMER
  })
  t.equal(run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], directory), '')
})
