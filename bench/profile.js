'use strict'

// Where a server spends its time under load: `node bench/profile.js <variant> <route> [seconds]`.
// Runs the server with `node --cpu-prof`, loads it as the benchmark does, and prints the
// functions with the most self time and the inclusive time of this plugin's own functions.

const { spawn } = require('node:child_process')
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join, relative } = require('node:path')
const { createInterface } = require('node:readline')

const TOP_ROWS = 30

function firstLine (child) {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
  })
}

function summarise (profile) {
  const intervalMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const label = ({ callFrame }) => {
    const file = callFrame.url === '' ? '' : ` ${relative(join(__dirname, '..'), callFrame.url.replace('file://', ''))}:${callFrame.lineNumber + 1}`
    return `${callFrame.functionName || '(anonymous)'}${file}`
  }
  const self = new Map()
  const inclusive = new Map()
  const totalMs = profile.samples.length * intervalMs
  function walk (node, onStack) {
    const name = label(node)
    self.set(name, (self.get(name) ?? 0) + node.hitCount * intervalMs)
    let subtreeMs = node.hitCount * intervalMs
    const stack = new Set(onStack).add(name)
    for (const childId of node.children ?? []) subtreeMs += walk(byId.get(childId), stack)
    // Recursion would count a frame twice; only its outermost call adds.
    if (!onStack.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + subtreeMs)
    return subtreeMs
  }
  walk(profile.nodes[0], new Set())
  const percent = (ms) => `${(ms / totalMs * 100).toFixed(1).padStart(5)} %`
  process.stdout.write(`\nself time (idle included), ${profile.samples.length} samples:\n`)
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP_ROWS)) process.stdout.write(`${percent(ms)}  ${name}\n`)
  process.stdout.write('\ninclusive time of the plugin (dist/):\n')
  for (const [name, ms] of [...inclusive].filter(([name]) => name.includes('dist/')).sort((a, b) => b[1] - a[1]).slice(0, TOP_ROWS)) {
    process.stdout.write(`${percent(ms)}  ${name}\n`)
  }
}

async function main () {
  const [variant, route, seconds = '5'] = process.argv.slice(2)
  const directory = mkdtempSync(join(tmpdir(), 'bench-profile-'))
  const server = spawn('taskset', ['-c', '0', process.execPath, '--cpu-prof', `--cpu-prof-dir=${directory}`, join(__dirname, 'server.js'), variant], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = Number(await firstLine(server))
  const job = { port, route, connections: 50, warmupSeconds: 1, durationSeconds: Number(seconds) }
  const load = spawn('taskset', ['-c', '1', process.execPath, join(__dirname, 'load.js'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  load.stdout.on('data', (chunk) => { output += chunk })
  await new Promise((resolve) => load.once('exit', resolve))
  process.stdout.write(output.split('\n').find((line) => line.startsWith('{')) + '\n')
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await exited
  const profileFile = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'))
  summarise(JSON.parse(readFileSync(join(directory, profileFile), 'utf8')))
  rmSync(directory, { recursive: true, force: true })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
