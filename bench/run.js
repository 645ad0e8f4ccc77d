'use strict'

// `npm run bench` (full: 5 rounds, about 40 minutes; `--rounds 3` about 25) or `npm run bench -- --quick` (prints only).
// Other options: --rounds N, --seconds N (measured), --warmup N, --variants a,b, --routes a,b,
// --no-codec, --no-quiet-gate (only to debug the harness on a busy machine), --report <results .jsonl> (rebuild the report from a finished run, measure nothing).
//
// Each measured run: wait for a quiet machine, start a fresh server pinned to CPU 0, load it
// from a separate autocannon process pinned to CPU 1 (warm-up, then the measured part), and
// count the CPU that other processes used meanwhile; a run they disturbed is repeated.

const { spawn } = require('node:child_process')
const { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { createInterface } = require('node:readline')
const { parseArgs } = require('node:util')
const { snapshot, cpuBetween, waitForQuiet } = require('./machine.js')
const { ROUTES, VARIANTS } = require('./variants.js')
const { writeReport } = require('./report.js')

const PROFILES = {
  full: { rounds: 5, warmupSeconds: 2, durationSeconds: 5 },
  quick: { rounds: 2, warmupSeconds: 1, durationSeconds: 2 }
}
const CONNECTIONS = 50
const SERVER_CPU = '0'
const LOAD_CPU = '1'
/** A run in which other processes used more than this many cores is repeated. */
const MAX_FOREIGN_CORES = 0.1
const MAX_ATTEMPTS = 3
const RESULTS_DIR = join(__dirname, 'results')

function pinned (cpu, script, args) {
  return spawn('taskset', ['-c', cpu, 'nice', '-n', '-20', process.execPath, join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
}

/** Resolves with each stdout line as it comes; rejects when the process exits early. */
function lines (child) {
  const reader = createInterface({ input: child.stdout })
  const queue = []
  const waiting = []
  let ended = false
  reader.on('line', (line) => (waiting.length > 0 ? waiting.shift().resolve(line) : queue.push(line)))
  child.on('exit', (code) => {
    ended = true
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`))
  })
  return function nextLine () {
    if (queue.length > 0) return Promise.resolve(queue.shift())
    if (ended) return Promise.reject(new Error(`${child.spawnargs.join(' ')} has exited`))
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  }
}

function stop (child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

async function measureOnce (variant, route, settings) {
  const gate = settings.quietGate ? await waitForQuiet() : { waitedMs: 0, quiet: false }
  const server = pinned(SERVER_CPU, 'server.js', [variant, route])
  try {
    const port = Number(await lines(server)())
    const job = { port, route, connections: CONNECTIONS, warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds }
    const load = pinned(LOAD_CPU, 'load.js', [JSON.stringify(job)])
    const nextLine = lines(load)
    if (await nextLine() !== 'measuring') throw new Error('the load generator did not start measuring')
    const before = snapshot()
    const result = JSON.parse(await nextLine())
    const cpu = cpuBetween(before, snapshot(), { serverCores: server.pid, loadCores: load.pid })
    await stop(load)
    if (result.errors > 0) throw new Error(`${variant} ${route}: ${result.errors} failed or unexpected responses`)
    return { ...result, ...cpu, waitedForQuietMs: gate.waitedMs, quietAtStart: gate.quiet }
  } finally {
    await stop(server)
  }
}

async function measure (variant, route, settings) {
  let best
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const run = { ...(await measureOnce(variant, route, settings)), attempt }
    if (best === undefined || run.foreignCores < best.foreignCores) best = run
    if (run.foreignCores <= MAX_FOREIGN_CORES) break
    process.stdout.write(`  (other processes used ${run.foreignCores.toFixed(2)} cores; measuring again)\n`)
  }
  return { ...best, disturbed: best.foreignCores > MAX_FOREIGN_CORES }
}

function runCodecBenchmark (quick) {
  return new Promise((resolve, reject) => {
    const child = pinned(SERVER_CPU, 'codec.js', ['--json', ...(quick ? ['--quick'] : [])])
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`codec.js exited with ${code}`))))
  })
}

/** For our plugin: the share of verifications the cache answered during the measured part. */
function hitRateText (cache) {
  if (cache === undefined || cache === 'n/a' || cache.hits + cache.misses === 0) return ''
  return `  cache hits ${(100 * cache.hits / (cache.hits + cache.misses)).toFixed(0)} %`
}

/** On many-users: the share of responses that sent the user a new cookie. */
function cookiesSetText (share) {
  return share === undefined ? '' : `  cookies set ${(100 * share).toFixed(0)} %`
}

function readRuns (file) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

async function main () {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      variants: { type: 'string' },
      routes: { type: 'string' },
      'no-codec': { type: 'boolean', default: false },
      'no-quiet-gate': { type: 'boolean', default: false },
      report: { type: 'string' }
    }
  })
  if (values.report !== undefined) {
    const runs = readRuns(values.report)
    const codecFile = values.report.replace(/\.jsonl$/, '.codec.json')
    const codec = existsSync(codecFile) ? JSON.parse(readFileSync(codecFile, 'utf8')) : undefined
    writeReport(runs.filter((run) => run.kind === 'settings').at(-1), runs.filter((run) => run.kind === 'run'), codec, { publish: codec !== undefined })
    return
  }
  const profile = PROFILES[values.quick ? 'quick' : 'full']
  const settings = {
    kind: 'settings',
    profile: values.quick ? 'quick' : 'full',
    rounds: Number(values.rounds ?? profile.rounds),
    warmupSeconds: Number(values.warmup ?? profile.warmupSeconds),
    durationSeconds: Number(values.seconds ?? profile.durationSeconds),
    connections: CONNECTIONS,
    quietGate: !values['no-quiet-gate'],
    startedAt: new Date().toISOString()
  }
  const variantNames = values.variants?.split(',') ?? Object.keys(VARIANTS)
  const routes = values.routes?.split(',') ?? ROUTES
  mkdirSync(RESULTS_DIR, { recursive: true })
  const resultsFile = join(RESULTS_DIR, `${settings.startedAt.replace(/[:.]/g, '-')}.jsonl`)
  appendFileSync(resultsFile, JSON.stringify(settings) + '\n')
  const runs = []
  const startedMs = performance.now()
  for (let round = 0; round < settings.rounds; round++) {
    for (const route of routes) {
      const names = variantNames.filter((name) => VARIANTS[name].routes.includes(route))
      // Rotate the order each round, so no variant always runs first or right after another.
      const order = names.map((_, index) => names[(index + round) % names.length])
      for (const variant of order) {
        const run = { kind: 'run', round, route, variant, ...(await measure(variant, route, settings)) }
        runs.push(run)
        appendFileSync(resultsFile, JSON.stringify(run) + '\n')
        process.stdout.write(`round ${round + 1}/${settings.rounds} ${route.padEnd(14)} ${variant.padEnd(14)} ${Math.round(run.requestsPerSecond).toString().padStart(6)} req/s  p99 ${run.latencyP99Ms} ms  server ${run.serverCores.toFixed(2)}  load ${run.loadCores.toFixed(2)}  foreign ${run.foreignCores.toFixed(2)}  steal ${run.stealCores.toFixed(2)} cores${hitRateText(run.cache)}${cookiesSetText(run.responsesSettingCookies)}\n`)
      }
    }
  }
  settings.benchmarkMinutes = (performance.now() - startedMs) / 60_000
  appendFileSync(resultsFile, JSON.stringify(settings) + '\n')
  let codec
  if (!values['no-codec']) {
    await waitForQuiet()
    codec = await runCodecBenchmark(values.quick)
    writeFileSync(resultsFile.replace(/\.jsonl$/, '.codec.json'), JSON.stringify(codec))
  }
  // Only a complete full-length run replaces RESULTS.md and the chart; others just print their table.
  writeReport(settings, runs, codec, { publish: !values.quick && values.variants === undefined && values.routes === undefined && codec !== undefined })
  process.stdout.write(`\nraw runs: ${resultsFile}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
