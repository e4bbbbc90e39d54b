/**
 * Runs the packed emulator's `sogni-emulator` bin (from the user's project) on a free port, and programs
 * of the user's project against it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"

/** The emulator's built-in development key. */
export const API_KEY = "sogni-dev-key"

export interface RunningEmulator {
  readonly url: string
  readonly env: Readonly<Record<string, string>>
  readonly stop: () => Promise<void>
}

/** Starts `node_modules/.bin/sogni-emulator --port 0` in `app`; resolves once it prints its URL. */
export const startEmulator = (app: string, args: ReadonlyArray<string> = [], startTimeoutMs = 60_000): Promise<RunningEmulator> =>
  new Promise((resolve, reject) => {
    const child = spawn(path.join(app, "node_modules/.bin/sogni-emulator"), ["--port", "0", ...args], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the emulator printed no URL within ${startTimeoutMs} ms:\n${output}`))
    }, startTimeoutMs)
    const onData = (data: Buffer) => {
      output += data.toString()
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match === null) return
      clearTimeout(timer)
      child.stdout!.off("data", onData)
      const url = match[0]
      resolve({
        url,
        env: {
          SOGNI_API_KEY: API_KEY,
          SOGNI_REST_ENDPOINT: url,
          SOGNI_SOCKET_ENDPOINT: url.replace(/^http/, "ws")
        },
        stop: () => stop(child)
      })
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()))
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the emulator exited (${code}) before printing its URL:\n${output}`))
    })
  })

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => {
      clearTimeout(force)
      resolve()
    })
    child.kill("SIGINT")
  })

export interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** The parsed `RESULT {...}` line, if the program printed one. */
  readonly result: unknown
}

/** Runs `node <file>` in `app` with `env` added; kills it after `timeoutMs`. */
export const runNode = (app: string, file: string, env: Readonly<Record<string, string>>, timeoutMs = 90_000): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: app, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("exit", (code) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "))
      resolve({ code, stdout, stderr, result: line === undefined ? undefined : JSON.parse(line.slice("RESULT ".length)) })
    })
  })
