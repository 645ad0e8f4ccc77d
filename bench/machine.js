'use strict'

// What the benchmark needs to know about the shared machine, read from /proc:
// whether it is quiet, how much CPU other people's processes used, and the host's steal.

const { readdirSync, readFileSync } = require('node:fs')
const { execFileSync } = require('node:child_process')
const { setTimeout: sleep } = require('node:timers/promises')

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** A CPU is quiet when the whole box uses less than this many cores. */
const QUIET_BUSY_CORES = 0.2
const QUIET_SAMPLE_MS = 500
const QUIET_SAMPLES_NEEDED = 2
const QUIET_GIVE_UP_MS = 180_000
const KTHREADD_PID = 2

function readText (path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined // the process ended between listing and reading
  }
}

/** Ticks by state for the whole machine, from the first line of /proc/stat. */
function machineTicks () {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal, atMs: performance.now() }
}

/**
 * Every process's CPU ticks, its own and its reaped children's (so a compiler that ran and
 * exited under a long-lived npm still counts), and its parent.
 */
function processTable () {
  const table = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readText(`/proc/${name}/stat`)
    if (stat === undefined) continue
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields after the command name: state ppid … utime(11) stime(12) cutime(13) cstime(14).
    table.set(Number(name), {
      parentPid: Number(rest[1]),
      ownTicks: Number(rest[11]) + Number(rest[12]),
      ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])
    })
  }
  return table
}

/** This process, its ancestors (npm, the shell) and its descendants (servers, load generator). */
function benchmarkPids (table) {
  const own = new Set()
  for (let pid = process.pid; pid > 1 && table.has(pid); pid = table.get(pid).parentPid) own.add(pid)
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, { parentPid }] of table) {
      if (!own.has(pid) && own.has(parentPid)) {
        own.add(pid)
        grew = true
      }
    }
  }
  return own
}

function snapshot () {
  return { machine: machineTicks(), processes: processTable() }
}

/**
 * CPU used between two snapshots, in cores: by other people's processes (those that started
 * in between count whole), by the given pids, and stolen by the host.
 */
function cpuBetween (before, after, watchedPids) {
  const seconds = (after.machine.atMs - before.machine.atMs) / 1000
  const ownPids = benchmarkPids(after.processes)
  const isForeign = (pid, parentPid) => !ownPids.has(pid) && pid !== KTHREADD_PID && parentPid !== KTHREADD_PID
  let foreignTicks = 0
  for (const [pid, { ticks, parentPid }] of after.processes) {
    // Kernel threads (children of kthreadd, pid 2) carry our own loopback traffic's softirq work.
    if (isForeign(pid, parentPid)) foreignTicks += ticks - (before.processes.get(pid)?.ticks ?? 0)
  }
  // A process that ended in between shows up whole in its parent's reaped-children ticks;
  // what it had used before the window was not foreign load during the run.
  for (const [pid, { ticks, parentPid }] of before.processes) {
    if (!after.processes.has(pid) && isForeign(pid, parentPid)) foreignTicks -= ticks
  }
  const watched = {}
  for (const [name, pid] of Object.entries(watchedPids)) {
    const start = before.processes.get(pid)?.ownTicks ?? 0
    const end = after.processes.get(pid)?.ownTicks ?? start
    watched[name] = (end - start) / TICKS_PER_SECOND / seconds
  }
  return {
    seconds,
    foreignCores: Math.max(0, foreignTicks) / TICKS_PER_SECOND / seconds,
    stealCores: (after.machine.steal - before.machine.steal) / TICKS_PER_SECOND / seconds,
    ...watched
  }
}

/** Waits until the whole machine has been quiet for a second; returns how long that took. */
async function waitForQuiet () {
  const startMs = performance.now()
  let quietSamples = 0
  let previous = machineTicks()
  while (quietSamples < QUIET_SAMPLES_NEEDED) {
    await sleep(QUIET_SAMPLE_MS)
    const current = machineTicks()
    const busyCores = (current.busy - previous.busy) / TICKS_PER_SECOND / ((current.atMs - previous.atMs) / 1000)
    quietSamples = busyCores < QUIET_BUSY_CORES ? quietSamples + 1 : 0
    previous = current
    if (performance.now() - startMs > QUIET_GIVE_UP_MS) return { waitedMs: performance.now() - startMs, quiet: false }
  }
  return { waitedMs: performance.now() - startMs, quiet: true }
}

module.exports = { snapshot, cpuBetween, waitForQuiet }
