import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, resolve } from 'node:path'
import t from 'tap'
import ts from 'typescript'

const ROOT = resolve(__dirname, '..')
const SOURCE_DIRECTORIES = ['lib', 'types', 'examples', 'test', 'bench']
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)])

function sourceFiles (): string[] {
  const inDirectories = SOURCE_DIRECTORIES.flatMap((directory) => readdirSync(join(ROOT, directory), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|js)$/.test(name))
    .map((name) => join(directory, name)))
  return ['index.ts', 'eslint.config.js', ...inDirectories]
}

/** `@scope/name/deep` → `@scope/name`, `name/deep` → `name`; undefined for relative paths and Node's own modules. */
function packageOf (specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
}

t.test('every package the code, tests, examples and bench import or require is declared in package.json', async (t) => {
  const undeclared: string[] = []
  for (const file of sourceFiles()) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
    for (const { fileName } of importedFiles) {
      const name = packageOf(fileName)
      if (name !== undefined && !declared.has(name)) undeclared.push(`${file}: ${name}`)
    }
  }
  t.strictSame(undeclared, [], 'npm ci installs them, not only whatever happens to depend on them')
})
