/**
 * Every fenced code block in README.md and docs/*.md is compiled or run, so no sample goes stale.
 * The rule depends on the block's language:
 *
 * - ```ts: a complete ES module (it imports what it uses; top-level await is allowed), type-checked
 *   with the repo's strict tsconfig; `fastify-cookie-session` is this repository's index.ts.
 *   Blocks are compiled together in one program, except that a block with `declare module` or
 *   `declare global` gets a program of its own: an augmentation would reach every other block.
 *   A block that imports `node:test` is a test: it is also run, with `node --test`.
 *   To show a compile error, put `// @ts-expect-error` on the line before it.
 * - ```js: the same, as JavaScript (checkJs), without strictNullChecks, as a JavaScript editor checks it.
 * - ```python: compiled by python3.
 * - ```sh: each command is real. `npm test`, `npm install`, `npm ci` and `npm run <script>` name a
 *   script of package.json; `curl` lines run against the demo, and a `# comment` after one is its output.
 * - ```json: parses.
 * - ```text: output or a diagram, not checked.
 * - No language, or another one: refused, so no block escapes the rules by accident.
 *
 * Relative links and images in these files must point at files that exist (and headings that
 * exist, for `#anchors`).
 */
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import ts from 'typescript'
import { buildDemoApp } from '../examples/app.js'
import { SECRET } from './helpers.js'

const ROOT = resolve(__dirname, '..')
// Type-checking every block and running the test samples takes more than tap's 30 s on a busy machine.
t.setTimeout(120_000)
const MARKDOWN_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]

interface Block {
  file: string
  /** Line of the opening fence, 1-based. */
  line: number
  language: string
  code: string
}

/** Fenced blocks, also indented ones (inside a list item); the indentation is taken off. */
function fencedBlocks (file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n')
  const blocks: Block[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[index]!)
    if (open === null) continue
    const [, indent = '', fence = '', language = ''] = open
    const body: string[] = []
    let end = index + 1
    while (end < lines.length && !(lines[end]!.trim().startsWith(fence) && lines[end]!.trim().replace(/[`~]/g, '') === '')) {
      const line = lines[end]!
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart())
      end++
    }
    blocks.push({ file, line: index + 1, language, code: body.join('\n') + '\n' })
    index = end
  }
  return blocks
}

const blocks = MARKDOWN_FILES.flatMap(fencedBlocks)
const byLanguage = (...languages: string[]): Block[] => blocks.filter((block) => languages.includes(block.language))
const where = (block: Block): string => `${block.file}:${block.line}`

/** Type-checks blocks as virtual files next to index.ts; returns `file:line: message` per error. */
function typeCheck (modules: Block[], extension: '.mts' | '.mjs', overrides: ts.CompilerOptions, sourceFiles: Map<string, ts.SourceFile | undefined>): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }) as ts.ParsedCommandLine
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, paths: { 'fastify-cookie-session': [join(ROOT, 'index.ts')] }, ...overrides }
  const virtual = new Map(modules.map((block) => [join(ROOT, `${block.file.replace(/[/.]/g, '_')}_L${block.line}${extension}`), block]))
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (path) => virtual.has(path) || fileExists(path)
  host.readFile = (path) => virtual.get(path)?.code ?? readFile(path)
  // Library and package files are parsed once for every program.
  host.getSourceFile = (path, languageVersion) => {
    const block = virtual.get(path)
    if (block !== undefined) return ts.createSourceFile(path, block.code, languageVersion, true)
    if (!sourceFiles.has(path)) sourceFiles.set(path, getSourceFile(path, languageVersion))
    return sourceFiles.get(path)
  }
  const program = ts.createProgram([...virtual.keys()], options, host)
  // Only the blocks: the package's own source is checked by `tsc -p`, and a consumer sees its .d.ts.
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...[...virtual.keys()].flatMap((path) => {
    const sourceFile = program.getSourceFile(path) as ts.SourceFile
    return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]
  })]
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const block = diagnostic.file === undefined ? undefined : virtual.get(diagnostic.file.fileName)
    if (block === undefined || diagnostic.file === undefined) return `tsc: TS${diagnostic.code} ${message}`
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start as number)
    return `${block.file}:${block.line + 1 + line}: TS${diagnostic.code} ${message}`
  })
}

t.test('every code block says its language, and it is one this test knows how to check', async (t) => {
  const known = ['ts', 'js', 'python', 'sh', 'json', 'text']
  t.strictSame(blocks.filter((block) => !known.includes(block.language)).map((block) => `${where(block)}: \`\`\`${block.language}`), [])
  t.ok(byLanguage('ts').length > 5, 'the README and docs have TypeScript samples')
})

t.test('every ```ts and ```js block compiles as a complete module under the strict settings', async (t) => {
  const sourceFiles = new Map<string, ts.SourceFile | undefined>()
  const augments = (block: Block): boolean => /^\s*declare (module|global)\b/m.test(block.code)
  const typescript = byLanguage('ts')
  const errors = [
    ...typeCheck(typescript.filter((block) => !augments(block)), '.mts', {}, sourceFiles),
    ...typescript.filter(augments).flatMap((block) => typeCheck([block], '.mts', {}, sourceFiles)),
    ...typeCheck(byLanguage('js'), '.mjs', { allowJs: true, checkJs: true, strictNullChecks: false }, sourceFiles)
  ]
  t.strictSame(errors, [])
})

/** Why a command cannot run here, or undefined when it can. */
function missingCommand (command: string): string | undefined {
  return spawnSync(command, ['--version']).error === undefined ? undefined : `${command} is not installed`
}

const PYTHON = process.env.FLASK_PYTHON ?? 'python3'
// CI installs python3 with Flask (REQUIRE_FLASK=1): there a missing python3 fails the test.
const pythonMissing = process.env.REQUIRE_FLASK === '1' ? undefined : missingCommand(PYTHON)

t.test('every ```ts block that imports node:test runs, and its tests pass', async (t) => {
  const tests = byLanguage('ts').filter((block) => /from 'node:test'/.test(block.code))
  t.ok(tests.length > 0, 'docs/testing.md has one')
  // Outside the repository, with its node_modules, so the block resolves packages as a consumer's file would.
  const runDir = mkdtempSync(join(tmpdir(), 'docs-run-'))
  t.teardown(() => rmSync(runDir, { recursive: true, force: true }))
  symlinkSync(join(ROOT, 'node_modules'), join(runDir, 'node_modules'))
  for (const block of tests) {
    const file = join(runDir, `${block.file.replace(/[/.]/g, '_')}_L${block.line}.mts`)
    writeFileSync(file, block.code.replaceAll("from 'fastify-cookie-session'", `from '${join(ROOT, 'index.ts')}'`))
    const result = spawnSync(process.execPath, ['--import=@tapjs/typescript/import', '--test', file], {
      cwd: runDir,
      encoding: 'utf8',
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: '1' }
    })
    t.equal(result.status, 0, `${where(block)}: ${result.stdout}${result.stderr}`)
  }
})

t.test('every ```python block compiles', { skip: pythonMissing ?? false }, async (t) => {
  const python = byLanguage('python')
  const check = 'import json, sys\nfor block in json.load(sys.stdin):\n  try: compile(block["code"], block["file"], "exec")\n  except SyntaxError as error: print(f"{block[\'file\']}:{block[\'line\'] + (error.lineno or 0)}: {error.msg}")\n'
  const result = spawnSync(PYTHON, ['-c', check], { input: JSON.stringify(python.map(({ file, line, code }) => ({ file, line, code }))), encoding: 'utf8' })
  t.equal(result.status, 0, result.stderr)
  t.equal(result.stdout, '')
})

t.test('every ```json block parses', async (t) => {
  for (const block of byLanguage('json')) t.doesNotThrow(() => JSON.parse(block.code), where(block))
})

/** A shell line without its trailing comment; a `#` inside quotes stays. */
function splitComment (line: string): { command: string, comment: string | undefined } {
  const match = /^((?:[^#'"]|'[^']*'|"[^"]*")*?)\s*(?:#\s?(.*))?$/.exec(line) as RegExpExecArray
  return { command: match[1]!.trim(), comment: match[2]?.trim() }
}

t.test('every ```sh command is real: npm scripts exist, curl lines print what their comment says', async (t) => {
  const curlMissing = missingCommand('curl')
  const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts)
  const app = await buildDemoApp({ secret: SECRET })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const demoUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const jarDir = mkdtempSync(join(tmpdir(), 'docs-curl-'))
  t.teardown(() => rmSync(jarDir, { recursive: true, force: true }))

  for (const block of byLanguage('sh')) {
    const lines = block.code.split('\n')
    for (const [offset, line] of lines.entries()) {
      const { command, comment } = splitComment(line)
      if (command === '') continue
      const at = `${block.file}:${block.line + 1 + offset}`
      if (command.startsWith('curl ')) {
        await t.test(`${at}: ${command}`, { skip: curlMissing ?? false }, async (t) => {
          const { stdout } = await promisify(execFile)('sh', ['-c', command.replaceAll('http://127.0.0.1:3000', demoUrl)], { cwd: jarDir })
          if (comment === undefined) t.pass('curl exits 0')
          else t.equal(stdout.trim(), comment)
        })
        continue
      }
      for (const part of command.split('&&').map((text) => text.trim().replace(/^(\w+=\S*\s+)+/, ''))) {
        const npm = /^npm (?:(install|ci|test)|run (\S+))(?:\s|$)/.exec(part)
        t.ok(npm !== null && (npm[1] !== undefined || scripts.includes(npm[2]!)), `${at}: "${part}" is an npm command or script this package has`)
      }
    }
  }
})

/** GitHub's anchor for a heading. */
function slug (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-')
}

function headingSlugs (file: string): string[] {
  const outsideFences = readFileSync(file, 'utf8').replace(/^( *)(`{3,})[\s\S]*?^\1\2\s*$/gm, '')
  return [...outsideFences.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!))
}

t.test('every relative link and image in the README and docs points at a file and heading that exist', async (t) => {
  for (const file of MARKDOWN_FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      const [path = '', anchor] = target.split('#')
      const targetFile = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path)
      t.ok(existsSync(targetFile), `${file}: ${target} exists (${relative(ROOT, targetFile)})`)
      if (anchor !== undefined && existsSync(targetFile)) t.ok(headingSlugs(targetFile).includes(anchor), `${file}: ${target} names a heading`)
    }
  }
})
