import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { PYTHON, testWithFlask } from './flask-python.js'

const SCRIPT = join(__dirname, 'flask_vectors.py')
const COMMITTED = join(__dirname, '..', 'fixtures', 'flask-vectors.json')

/** The vectors file without its record of the versions that wrote it. */
function withoutVersions (text: string): { versions: Record<string, string>, vectors: Record<string, unknown> } {
  const { versions, ...vectors } = JSON.parse(text)
  return { versions, vectors }
}

testWithFlask('the committed Flask vectors are what flask_vectors.py writes with the installed Flask', async (t: Test) => {
  const directory = mkdtempSync(join(tmpdir(), 'flask-vectors-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  const output = join(directory, 'flask-vectors.json')
  await promisify(execFile)(PYTHON, [SCRIPT, output])
  const written = withoutVersions(readFileSync(output, 'utf8'))
  const committed = withoutVersions(readFileSync(COMMITTED, 'utf8'))
  t.match(written.versions, { flask: String, itsdangerous: String, python: String, zlib_runtime: String }, 'the file says which Flask, itsdangerous, Python and zlib wrote it')
  const versionsOf = ({ versions }: { versions: Record<string, string> }): string =>
    `Flask ${versions.flask}, itsdangerous ${versions.itsdangerous}, Python ${versions.python}, zlib ${versions.zlib_runtime}`
  t.strictSame(written.vectors, committed.vectors, `the committed file was written by ${versionsOf(committed)}; this run used ${versionsOf(written)} (npm run flask-vectors rewrites it)`)
})
