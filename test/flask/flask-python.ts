import { spawnSync } from 'node:child_process'
import t, { type Test } from 'tap'

/** Debian's Flask lives in /usr/bin/python3's dist-packages; another python3 on PATH may not see it. */
export const PYTHON = process.env.FLASK_PYTHON ?? '/usr/bin/python3'

/**
 * A test that needs Flask: skipped, saying why, where PYTHON has no Flask; under REQUIRE_FLASK=1
 * (CI) a missing Flask fails instead.
 */
export function testWithFlask (name: string, run: (t: Test) => Promise<void>): void {
  const flaskMissing = spawnSync(PYTHON, ['-c', 'import flask']).status === 0
    ? undefined
    : `Flask is not installed for ${PYTHON} (apt-get install python3-flask)`
  if (flaskMissing !== undefined && process.env.REQUIRE_FLASK === '1') {
    t.fail(`REQUIRE_FLASK=1, so "${name}" is mandatory, but ${flaskMissing}`)
  } else {
    t.test(name, { skip: flaskMissing ?? false }, run)
  }
}
