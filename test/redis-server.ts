import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'

const REDIS_SERVER = '/usr/bin/redis-server'
/** How long Redis may take to answer PING after it was started. */
const STARTUP_BUDGET_MS = 10_000

/** A port that was free a moment ago. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** True once something on `port` answers a RESP PING with +PONG. */
function answersPing (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.setTimeout(500)
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.write('PING\r\n')
  })
}

export interface RedisServer {
  port: number
  /** Its data directory, kept across `restart()`. */
  directory: string
  readonly process: ChildProcess
  /** SIGKILL, as a crash would: nothing is flushed beyond what `appendfsync` already wrote. */
  kill (): Promise<void>
  /** Starts it again on the same port and directory. */
  restart (): Promise<void>
}

/**
 * A redis-server of the test's own, on a free port with a temporary `--dir`, stopped by its pid
 * when the test ends. `persistence: true` turns on the append-only file, synced on every write;
 * otherwise nothing is saved.
 */
export async function startRedis (t: Test, { persistence = false } = {}): Promise<RedisServer> {
  const port = await freePort()
  const directory = mkdtempSync(join(tmpdir(), 'fastify-cookie-session-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '',
    ...(persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])]
  let child: ChildProcess

  async function launch (): Promise<void> {
    child = spawn(REDIS_SERVER, args, { stdio: 'ignore' })
    const deadline = performance.now() + STARTUP_BUDGET_MS
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${STARTUP_BUDGET_MS} ms`)
      await sleep(20)
    }
  }

  async function kill (): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(child.pid as number, 'SIGKILL')
    await exited
  }

  await launch()
  t.teardown(async () => {
    await kill()
    rmSync(directory, { recursive: true, force: true })
  })
  return {
    port,
    directory,
    get process () { return child },
    kill,
    restart: launch
  }
}

/** A TCP relay to Redis that the test can cut and restore, to take one client's connections away while others keep theirs. */
export async function startRelay (t: Test, targetPort: number): Promise<{ port: number, cut (): Promise<void>, restore (): Promise<void> }> {
  const port = await freePort()
  const sockets = new Set<Socket>()
  let server: Server | undefined

  function listen (): Promise<void> {
    server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    return new Promise((resolve) => (server as Server).listen(port, '127.0.0.1', resolve))
  }

  async function cut (): Promise<void> {
    const closed = new Promise((resolve) => (server as Server).close(resolve))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  await listen()
  t.teardown(cut)
  return { port, cut, restore: listen }
}

/** Polls `check` until it is true, at most `budgetMs`; returns whether it became true. */
export async function waitFor (check: () => boolean | Promise<boolean>, budgetMs: number, everyMs = 5): Promise<boolean> {
  // performance.now(), not Date.now(): a test may have stubbed the wall clock.
  const deadline = performance.now() + budgetMs
  while (performance.now() <= deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return check()
}
