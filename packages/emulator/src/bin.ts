#!/usr/bin/env node
/**
 * Command line: `pnpm emulator [--port <P>] [--api-key <K>]... [--speed <factor>]`.
 *
 * Prints a line containing `http://127.0.0.1:<P>` once the emulator accepts connections and runs until
 * interrupted (Ctrl-C closes every socket and stops every project).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Emulator from "./Emulator.js"

const USAGE = `Usage: sogni-emulator [--port <port>] [--api-key <key>]... [--speed <factor>]

  --port <port>      TCP port on 127.0.0.1 (default 8787; 0 picks a free port)
  --api-key <key>    accepted API key, repeatable (default: ${Emulator.DEFAULT_API_KEY})
  --speed <factor>   simulation speed; delays are divided by it (default 1 ≈ 25 ms per step;
                     0.05 ≈ 0.5 s per step for demos)
  --help             show this text

Default account: ${Emulator.DEFAULT_USERNAME} / ${Emulator.DEFAULT_PASSWORD}
Prompt directives: [[slow]] [[fail]] [[retry]] [[drop]] (see the package README)`

interface Cli {
  readonly port: number
  readonly apiKeys: ReadonlyArray<string>
  readonly speed: number
  readonly help: boolean
}

/** Parses the command line; `Left` carries a message for the user. @since 0.1.0 */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<Cli, string> => {
  let port = 8787
  let speed = 1
  let help = false
  const apiKeys: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) as [string, string] : [arg]
    const value = () => inline ?? argv[++i]
    switch (name) {
      case "--port": {
        const v = value()
        const n = Number(v)
        if (v === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
          return Either.left(`--port needs an integer 0..65535 (got ${v ?? "nothing"})`)
        }
        port = n
        break
      }
      case "--api-key": {
        const v = value()
        if (v === undefined || v.trim().length === 0) return Either.left("--api-key needs a non-empty value")
        apiKeys.push(v.trim())
        break
      }
      case "--speed": {
        const v = value()
        const n = Number(v)
        if (v === undefined || !(n > 0) || !Number.isFinite(n)) {
          return Either.left(`--speed needs a positive number (got ${v ?? "nothing"})`)
        }
        speed = n
        break
      }
      case "--help":
      case "-h":
        help = true
        break
      case "--":
        break
      default:
        return Either.left(`unknown argument ${arg}`)
    }
  }
  return Either.right({ port, apiKeys, speed, help })
}

const main = Effect.gen(function*() {
  const parsed = parseArgs(process.argv.slice(2))
  if (Either.isLeft(parsed)) {
    yield* Console.error(`sogni-emulator: ${parsed.left}\n\n${USAGE}`)
    return yield* Effect.sync(() => process.exit(2))
  }
  const cli = parsed.right
  if (cli.help) return yield* Console.log(USAGE)
  yield* Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    yield* Console.log(
      `Sogni emulator listening on ${emulator.url} (WebSocket ${emulator.wsUrl}); ` +
        `API key${emulator.apiKeys.length > 1 ? "s" : ""}: ${emulator.apiKeys.join(", ")}; ` +
        `account ${Emulator.DEFAULT_USERNAME}; speed ×${cli.speed}`
    )
    return yield* Effect.never
  }).pipe(Effect.provide(Emulator.layer({ port: cli.port, apiKeys: cli.apiKeys, speed: cli.speed })))
})

NodeRuntime.runMain(main)
