import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import ts from 'typescript'

const ROOT = resolve(__dirname, '..')

/**
 * The dependency rule: the rooms of lib/, bottom up, and the rooms each may import besides its
 * own files. docs/development.md shows it; a test below keeps the two the same.
 */
const ROOMS: Record<string, readonly string[]> = {
  base: [],
  crypto: ['base'],
  payload: ['base'],
  formats: ['crypto', 'payload', 'base'],
  codec: ['formats', 'crypto', 'payload', 'base'],
  revocation: ['codec', 'base'],
  session: ['codec', 'revocation', 'payload', 'base'],
  cookies: ['base'],
  plugin: ['session', 'cookies', 'revocation', 'codec', 'formats', 'payload', 'crypto', 'base'],
  testing: ['plugin', 'session', 'codec', 'base']
}

/** The packages besides Node's own that a room may import: only the plugin room and index.ts (which may import every room) know Fastify. */
const PACKAGES: Record<string, readonly string[]> = {
  plugin: ['fastify'],
  index: ['fastify', 'fastify-plugin', '@fastify/cookie']
}

/** `lib/`'s .ts files, as paths from the repository root. */
function libFiles (): string[] {
  return readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join('lib', name))
    .sort()
}

/** `lib/codec/stamps.ts` → `codec`; undefined for a file outside every room. */
function roomOf (file: string): string | undefined {
  const match = /^lib\/([^/]+)\/[^/]+\.ts$/.exec(file)
  return match === null ? undefined : match[1]
}

interface Import {
  specifier: string
  /** The imported file, from the root, for a relative import; undefined for a package or Node module. */
  file: string | undefined
}

function importsOf (file: string): Import[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
  return importedFiles.map(({ fileName: specifier }) => ({
    specifier,
    file: specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : undefined
  }))
}

function packageOf (specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
}

/** Each broken rule, as a sentence that names the file, the import and the rule. */
function ruleBreaks (files: readonly string[], imports: (file: string) => Import[]): string[] {
  const breaks: string[] = []
  for (const file of files) {
    const room = file === 'index.ts' ? 'index' : roomOf(file)
    if (room === undefined || (room !== 'index' && ROOMS[room] === undefined)) {
      breaks.push(`${file} is in no room: put it in one of lib/${Object.keys(ROOMS).join('/, lib/')}/`)
      continue
    }
    for (const { specifier, file: imported } of imports(file)) {
      if (imported === undefined) {
        const name = packageOf(specifier)
        if (name !== undefined && !(PACKAGES[room] ?? []).includes(name)) {
          breaks.push(`${file} imports the package "${name}": ${room === 'index' ? 'index.ts' : `the ${room} room`} may import ${(PACKAGES[room] ?? []).join(', ') || 'no package'} besides Node's own modules`)
        }
        continue
      }
      const importedRoom = roomOf(imported)
      if (room === 'index' || importedRoom === room) continue
      const allowed = ROOMS[room] ?? []
      if (importedRoom === undefined || !allowed.includes(importedRoom)) {
        breaks.push(`${file} imports ${specifier} (${importedRoom === undefined ? 'outside lib/' : `the ${importedRoom} room`}): the ${room} room may import only ${allowed.join(', ') || 'nothing of ours'}`)
      }
    }
  }
  return breaks
}

/** The import cycles among `files`, each as the files around it. */
function cycles (files: readonly string[], imports: (file: string) => Import[]): string[][] {
  const found: string[][] = []
  const done = new Set<string>()
  const path: string[] = []
  const visit = (file: string): void => {
    const at = path.indexOf(file)
    if (at >= 0) {
      found.push([...path.slice(at), file])
      return
    }
    if (done.has(file)) return
    path.push(file)
    for (const { file: imported } of imports(file)) if (imported !== undefined && files.includes(imported)) visit(imported)
    path.pop()
    done.add(file)
  }
  for (const file of files) visit(file)
  return found
}

const FILES = ['index.ts', ...libFiles()]

t.test('every import in lib/ and index.ts keeps the rooms\' rule', async (t) => {
  t.ok(libFiles().length > 30, 'the files were found')
  t.strictSame(ruleBreaks(FILES, importsOf), [])
})

t.test('no file imports itself back through others', async (t) => {
  t.strictSame(cycles(FILES, importsOf), [])
})

t.test('the rule catches what breaks it, and says where', async (t) => {
  const fake: Record<string, Import[]> = {
    'lib/codec/session-codec.ts': [{ specifier: '../plugin/options.js', file: 'lib/plugin/options.ts' }, { specifier: './stamps.js', file: 'lib/codec/stamps.ts' }],
    'lib/crypto/signer.ts': [{ specifier: 'node:crypto', file: undefined }, { specifier: 'fastify', file: undefined }],
    'lib/loose.ts': [],
    'lib/plugin/options.ts': [{ specifier: '../codec/session-codec.js', file: 'lib/codec/session-codec.ts' }, { specifier: '../../test/helpers.js', file: 'test/helpers.ts' }],
    'lib/codec/stamps.ts': [{ specifier: './session-codec.js', file: 'lib/codec/session-codec.ts' }]
  }
  const files = Object.keys(fake)
  const importsOfFake = (file: string) => fake[file] ?? []
  t.strictSame(ruleBreaks(files, importsOfFake), [
    'lib/codec/session-codec.ts imports ../plugin/options.js (the plugin room): the codec room may import only formats, crypto, payload, base',
    'lib/crypto/signer.ts imports the package "fastify": the crypto room may import no package besides Node\'s own modules',
    'lib/loose.ts is in no room: put it in one of lib/base/, lib/crypto/, lib/payload/, lib/formats/, lib/codec/, lib/revocation/, lib/session/, lib/cookies/, lib/plugin/, lib/testing/',
    'lib/plugin/options.ts imports ../../test/helpers.js (outside lib/): the plugin room may import only session, cookies, revocation, codec, formats, payload, crypto, base'
  ])
  t.strictSame(cycles(files, importsOfFake), [
    ['lib/codec/session-codec.ts', 'lib/plugin/options.ts', 'lib/codec/session-codec.ts'],
    ['lib/codec/session-codec.ts', 'lib/codec/stamps.ts', 'lib/codec/session-codec.ts']
  ], 'across rooms, and inside one room too')
})

/** The rows of the markdown table whose header row is `header`, as cells. */
function tableRows (markdown: string, header: string): string[][] {
  const lines = markdown.split('\n')
  const start = lines.indexOf(header)
  if (start < 0) return []
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
  }
  return rows
}

const DEVELOPMENT = readFileSync(join(ROOT, 'docs/development.md'), 'utf8')

t.test('docs/development.md shows the rooms and the rule as the code has them', async (t) => {
  const rows = tableRows(DEVELOPMENT, '| room | holds | may import |')
  t.strictSame(rows.map(([room]) => room), Object.keys(ROOMS).map((room) => `\`lib/${room}/\``), 'every room, bottom up')
  for (const [room = '', , allowed = ''] of rows) {
    const name = room.slice('`lib/'.length, -'/`'.length)
    t.strictSame(allowed === 'nothing of ours' ? [] : allowed.split(', ').map((item) => item.replaceAll('`', '')), ROOMS[name], `the ${name} room's imports`)
  }
})

t.test('docs/development.md lists every file of lib/, with the job its first line says', async (t) => {
  const listed = tableRows(DEVELOPMENT, '| file | job |')
    .filter(([file = '']) => file.startsWith('`lib/'))
    .map(([file = '', job]) => [file.slice(1, -1), job])
  const opening = libFiles().map((file) => {
    const firstLine = readFileSync(join(ROOT, file), 'utf8').split('\n', 1)[0] ?? ''
    return [file, firstLine.startsWith('// ') ? firstLine.slice(3) : `(${file} does not open with a // line that says its job)`]
  })
  t.strictSame(listed.sort(), opening.sort())
})
