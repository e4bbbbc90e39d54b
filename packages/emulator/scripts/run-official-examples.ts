/**
 * Runs the official client's published examples, unchanged, against an in-process emulator and prints a
 * result table (Markdown).
 *
 *   npx tsx packages/emulator/scripts/run-official-examples.ts --examples <sogni-client>/examples \
 *     [--client official|adapter|both] [--client-package <dir>] [--client-dist <dir>] [--only <name,...>]
 *     [--timeout <seconds>] [--speed <factor>] [--deps <dir>] [--log <dir>] [--no-route]
 *
 * `--client adapter` swaps in `@effect-sogni/client` (the promise adapter) for `@sogni-ai/sogni-client`:
 * its bundles are built first (`packages/client/scripts/build.mjs --js`) and linked where the examples look
 * for the official client, so the examples run unchanged. `--client both` runs every example with each
 * client in turn against the same emulator and prints the results side by side.
 *
 * `--examples` is the `examples/` folder of a checkout of github.com/Sogni-AI/sogni-client; nothing of it
 * is kept in this repository. The folder is copied to a scratch directory whose `dist/` (the examples
 * import `../dist/index.js`) points at `--client-dist`: by default the `dist/` of the pinned
 * `@sogni-ai/sogni-client`, or any directory with a drop-in `index.js` (the promise adapter's build);
 * examples that import `@sogni-ai/sogni-client` by name get `--client-package` (default: the pinned one).
 * The examples' own dependencies (dotenv, image-size, sharp) come from the checkout's `node_modules`
 * when present, else from `npm install` into `--deps` (default: a cache folder under the OS temp dir).
 * Only the endpoints and the API key are set, through the environment the examples read
 * (`SOGNI_SOCKET_ENDPOINT`, `SOGNI_REST_ENDPOINT`, `SOGNI_API_KEY`, `SOGNI_TOKEN_TYPE`).
 * Examples that build their client without endpoints (always the production hosts) are routed to the
 * emulator by a preload that rewrites the two production origins (see ROUTE_PRELOAD); `--no-route`
 * turns that off. `--log <dir>` keeps each run's whole output (stdout and stderr interleaved, what was typed marked
 * `<<< `) as `<dir>/<client>/<example>.log`; the table shows only one line of it.
 */
import { spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"

interface Run {
  readonly name: string
  readonly file: string
  readonly args: ReadonlyArray<string>
  /** Lines typed at the example's prompts, in order (defaults are taken with an empty line). */
  readonly input?: ReadonlyArray<string>
  /** Why a failure is expected whatever the server does (shown in the table). */
  readonly known?: string
}

/** Starting Spark and SOGNI of the runner's accounts (the default 1000 Spark runs out halfway through). */
const RUN_BALANCE = 1_000_000

/** A prompt file the runner writes into the scratch copy (lora_order_test.mjs reads its prompt from one). */
const PROMPT_FILE = "runner-prompt.txt"

/** The placeholder credentials promise_based.mjs logs in with, registered as an emulator account. */
const PLACEHOLDER_ACCOUNT = { username: "your-username", password: "your-password" }

const FIXED_HOSTS = "builds its client without socketEndpoint/restEndpoint (production hosts): reaches the emulator only through the runner's host routing"

/**
 * Preloaded into every example (`node --require`) unless `--no-route`: the production origins
 * (`https://api.sogni.ai`, `wss://socket.sogni.ai`) are sent to the emulator, the way a hosts-file entry
 * would, by wrapping `fetch` and the `ws` / `isomorphic-ws` WebSocket class. Examples that build their
 * client without endpoints then run against the emulator too, still unchanged. Other URLs are untouched.
 */
const ROUTE_PRELOAD = `"use strict"
const Module = require("node:module")
const target = new URL(process.env.SOGNI_EXAMPLES_EMULATOR_ORIGIN)
const HOSTS = new Set(["api.sogni.ai", "socket.sogni.ai"])
const reroute = (address) => {
  let url
  try { url = new URL(String(address)) } catch { return undefined }
  if (!HOSTS.has(url.hostname)) return undefined
  url.protocol = url.protocol === "wss:" || url.protocol === "ws:" ? "ws:" : "http:"
  url.host = target.host
  return url.toString()
}
const realFetch = globalThis.fetch
globalThis.fetch = function (input, init) {
  const plain = typeof input === "string" || input instanceof URL
  const to = reroute(plain ? input : input.url)
  if (to === undefined) return realFetch(input, init)
  return realFetch(plain ? to : new Request(to, input), init)
}
const routed = new Map()
const load = Module._load
Module._load = function (request) {
  const loaded = load.apply(this, arguments)
  if (request !== "ws" && request !== "isomorphic-ws") return loaded
  if (!routed.has(loaded)) {
    const Base = loaded
    const Routed = class extends Base {
      constructor(address, ...rest) { super(reroute(address) ?? address, ...rest) }
    }
    // statics (OPEN, Server…) are inherited through the constructor chain
    routed.set(loaded, Routed)
  }
  return routed.get(loaded)
}
`

const IMG = "test-assets/placeholder.jpg"
const IMG2 = "test-assets/placeholder2.jpg"
const AUDIO = "test-assets/placeholder.m4a"
const VIDEO = "test-assets/placeholder.mp4"

/** Every example, with the arguments its own usage text shows for a non-interactive run. */
const RUNS: ReadonlyArray<Run> = [
  {
    name: "promise_based",
    file: "promise_based.mjs",
    args: [],
    known: `${FIXED_HOSTS}; logs in with its placeholder credentials, which the runner registers as an emulator account`
  },
  { name: "event_driven", file: "event_driven.js", args: [], known: "uses require() in a folder whose package.json says type: module" },
  { name: "t2i (default z-turbo)", file: "workflow_text_to_image.mjs", args: ["a lighthouse at dusk", "--no-interactive"] },
  { name: "t2i krea-2-turbo", file: "workflow_text_to_image.mjs", args: ["a lighthouse at dusk", "--model", "krea-2-turbo", "--no-interactive"] },
  { name: "t2i chroma-hd", file: "workflow_text_to_image.mjs", args: ["a lighthouse at dusk", "--model", "chroma-hd", "--no-interactive"] },
  { name: "image edit (qwen-lightning)", file: "workflow_image_edit.mjs", args: ["portrait in this style", "--context", IMG, "--no-interactive"] },
  { name: "multiple angles", file: "workflow_multiple_angles.mjs", args: ["--image", IMG, "--no-interactive"] },
  { name: "upscale image (rtx_vsr_pro)", file: "workflow_upscale_image.mjs", args: ["--image", IMG, "--scale", "2", "--no-interactive"] },
  { name: "t2v (wan lightx2v)", file: "workflow_text_to_video.mjs", args: ["waves on a pebble beach", "--duration", "2", "--no-interactive"] },
  { name: "i2v (wan lightx2v)", file: "workflow_image_to_video.mjs", args: ["slow zoom in", "--image", IMG, "--duration", "2", "--no-interactive"] },
  { name: "s2v", file: "workflow_sound_to_video.mjs", args: ["the portrait sings", "--image", IMG, "--audio", AUDIO, "--duration", "2", "--no-interactive"] },
  { name: "v2v (ltx25 default)", file: "workflow_video_to_video.mjs", args: ["an oil painting", "--video", VIDEO, "--control-type", "canny", "--duration", "2", "--no-interactive"] },
  { name: "v2v animate (image + video)", file: "workflow_video_to_video.mjs", args: ["a dancing character", "--image", IMG, "--video", VIDEO, "--duration", "2", "--no-interactive"] },
  { name: "batch i2v", file: "workflow_batch_i2v.mjs", args: ["--folder", "test-assets", "--duration", "2", "--no-interactive"] },
  { name: "MiniMax H3", file: "workflow_minimax_h3_video.mjs", args: ["a paper boat on a river", "--no-interactive"] },
  { name: "seedance t2v", file: "workflow_partner_seedance_video.mjs", args: ["A glass whale swimming through a neon city", "--duration", "4", "--no-interactive"] },
  { name: "seedance mini", file: "workflow_partner_seedance_video.mjs", args: ["A glass whale swimming through a neon city", "--mini", "--duration", "4", "--no-audio", "--no-interactive"] },
  { name: "seedance i2v", file: "workflow_partner_seedance_video.mjs", args: ["slow cinematic reveal", "--mode", "i2v", "--image", IMG, "--end-image", IMG2, "--duration", "4", "--no-interactive"] },
  { name: "music (xl turbo)", file: "workflow_text_to_music.mjs", args: ["jazz ballad", "--duration", "10", "--no-interactive"] },
  { name: "music (sft)", file: "workflow_text_to_music.mjs", args: ["rock anthem", "--model", "ace_step_1.5_sft", "--duration", "10", "--no-interactive"] },
  { name: "krea2 lora stack", file: "workflow_krea2_lora_stack.mjs", args: [], known: FIXED_HOSTS },
  {
    name: "lora examples strip",
    file: "lora_examples_strip.mjs",
    args: ["--prompt", "a portrait on expired film", "--out", "output/lora-strip"],
    known: FIXED_HOSTS
  },
  {
    name: "lora order test",
    file: "lora_order_test.mjs",
    args: ["--prompt-file", PROMPT_FILE, "--out", "output/lora-order"],
    known: `${FIXED_HOSTS}; its --prompt-file is written by the runner`
  },
  { name: "benchmark t2i", file: "benchmark_text_to_image.mjs", args: ["--runs", "1", "--warmup", "0", "--no-download"] },
  { name: "chat", file: "workflow_text_chat.mjs", args: ["Hello there"] },
  { name: "chat streaming", file: "workflow_text_chat_streaming.mjs", args: ["Tell me a joke"] },
  { name: "chat multi-turn", file: "workflow_text_chat_multi_turn.mjs", args: [], input: ["", "Hello", "What did I just say?", "exit"] },
  { name: "chat tool calling", file: "workflow_text_chat_tool_calling.mjs", args: ["What's the weather in Paris?"] },
  { name: "chat vision", file: "workflow_text_chat_vision.mjs", args: ["--image", IMG2], input: ["What is in this image?", "exit"] },
  {
    name: "chat vision (1280px asset)",
    file: "workflow_text_chat_vision.mjs",
    args: ["--image", IMG],
    input: ["What is in this image?", "exit"],
    known: "placeholder.jpg is 1280x720: both clients refuse inline images over 1024px before sending (the example prints the error and carries on)"
  },
  { name: "chat sogni tools", file: "workflow_text_chat_sogni_tools.mjs", args: ["Draw a red fox in the snow"] },
  { name: "creative agent tools", file: "workflow_creative_agent_tools.mjs", args: ["Create a 4-shot product video concept for a red sneaker"] },
  { name: "creative agent cli", file: "workflow_creative_agent_cli.mjs", args: ["Create an image of an apple using Chroma Flash model"], input: ["exit", "/exit", "quit"] },
  { name: "creative workflows", file: "workflow_creative_agent_workflows.mjs", args: ["A chrome monorail gliding over neon gardens", "--watch"] },
  { name: "direct creative tool", file: "workflow_direct_creative_tool.mjs", args: ["A cinematic portrait of a glass robot"], known: FIXED_HOSTS },
  { name: "direct tool compose_script", file: "workflow_direct_creative_tool.mjs", args: ["--tool", "compose_script", "Make this a 5s LTX video prompt"], known: FIXED_HOSTS }
]

/** The client an example runs with: where `../dist` and `@sogni-ai/sogni-client` point. */
interface Client {
  readonly label: string
  readonly dist: string
  readonly pkg: string
}

interface Options {
  readonly examples: string
  readonly clients: ReadonlyArray<Client>
  readonly only: ReadonlyArray<string> | undefined
  readonly timeoutSeconds: number
  readonly speed: number
  readonly deps: string
  readonly log: string | undefined
  readonly route: boolean
}

const parseOptions = (argv: ReadonlyArray<string>): Options => {
  const value = (flag: string) => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const examples = value("--examples")
  if (examples === undefined) {
    console.error("--examples <path to sogni-client/examples> is required")
    process.exit(2)
  }
  const require = createRequire(import.meta.url)
  const officialPackage = dirname(require.resolve("@sogni-ai/sogni-client/package.json"))
  const clientPackage = resolve(value("--client-package") ?? officialPackage)
  const official: Client = {
    label: clientPackage === officialPackage ? "@sogni-ai/sogni-client" : clientPackage,
    pkg: clientPackage,
    dist: resolve(value("--client-dist") ?? join(clientPackage, "dist"))
  }
  const which = value("--client") ?? "official"
  if (!["official", "adapter", "both"].includes(which)) {
    console.error("--client must be official, adapter or both")
    process.exit(2)
  }
  const clients = which === "official" ? [official] : which === "adapter" ? [adapterClient()] : [official, adapterClient()]
  return {
    examples: resolve(examples),
    clients,
    only: value("--only")?.split(",").map((s) => s.trim()),
    timeoutSeconds: Number(value("--timeout") ?? 120),
    speed: Number(value("--speed") ?? 4),
    deps: resolve(value("--deps") ?? join(tmpdir(), "sogni-examples-deps")),
    log: value("--log") === undefined ? undefined : resolve(value("--log")!),
    route: !argv.includes("--no-route")
  }
}

/** The promise adapter, freshly bundled (the examples load JavaScript, not the TypeScript sources). */
const adapterClient = (): Client => {
  const pkg = resolve(dirname(fileURLToPath(import.meta.url)), "../../client")
  const built = spawnSync(process.execPath, [join(pkg, "scripts/build.mjs"), "--js"], {
    cwd: pkg,
    stdio: ["ignore", "ignore", "inherit"]
  })
  if (built.status !== 0) throw new Error("building @effect-sogni/client failed")
  return { label: "@effect-sogni/client", pkg, dist: join(pkg, "dist") }
}

/** A scratch copy of the examples with `../dist` linked to the client under test, and its dependencies. */
const prepare = (options: Options, client: Client): string => {
  const root = mkdtempSync(join(tmpdir(), "sogni-examples-"))
  const work = join(root, "examples")
  cpSync(options.examples, work, {
    recursive: true,
    filter: (path) => !/[\\/](node_modules|output)([\\/]|$)/.test(path.slice(options.examples.length))
  })
  symlinkSync(client.dist, join(root, "dist"), "dir")
  // Examples that import the package by name find it in the scratch root's node_modules.
  mkdirSync(join(root, "node_modules", "@sogni-ai"), { recursive: true })
  symlinkSync(client.pkg, join(root, "node_modules", "@sogni-ai", "sogni-client"), "dir")
  const own = join(options.examples, "node_modules")
  let modules = own
  if (!existsSync(own)) {
    modules = join(options.deps, "node_modules")
    if (!existsSync(join(modules, "sharp"))) {
      mkdirSync(options.deps, { recursive: true })
      cpSync(join(options.examples, "package.json"), join(options.deps, "package.json"))
      const lock = join(options.examples, "package-lock.json")
      if (existsSync(lock)) cpSync(lock, join(options.deps, "package-lock.json"))
      const installed = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: options.deps, stdio: "inherit" })
      if (installed.status !== 0) throw new Error("npm install of the examples' dependencies failed")
    }
  }
  symlinkSync(modules, join(work, "node_modules"), "dir")
  writeFileSync(join(root, "route-production-hosts.cjs"), ROUTE_PRELOAD)
  writeFileSync(join(work, PROMPT_FILE), "a lighthouse keeper's portrait, overcast light\n")
  return work
}

interface Outcome {
  readonly name: string
  readonly result: "ok" | "failed" | "timeout"
  readonly code: number | null
  readonly seconds: number
  readonly note: string
  /** Everything the example printed, with the lines typed at it. */
  readonly transcript: string
}

const lastLines = (text: string, n: number) =>
  text.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim()).filter((l) => l.length > 0).slice(-n)

/** How long a prompt-like last line must stay last before it is answered. */
const PROMPT_SETTLE_MS = 400

/** Labels a chat example prints before streaming a reply: never prompts. */
const REPLY_LABEL = /^\s*(Assistant|AI|Model|Agent|Sogni)\s*:\s*$/i

const runOne = (work: string, run: Run, env: NodeJS.ProcessEnv, timeoutSeconds: number): Promise<Outcome> =>
  new Promise((done) => {
    const started = Date.now()
    const child = spawn(process.execPath, [run.file, ...run.args], { cwd: work, env, stdio: ["pipe", "pipe", "pipe"] })
    let output = ""
    let transcript = ""
    // Answers typed at prompts. A run with its own lines (`input`) types them one per prompt as the
    // prompts appear, then empty lines (each prompt's default), so a slower client that shows its first
    // prompt later still gets them in order. Other runs get empty lines, one every 250 ms for the first
    // ten seconds, and one at each prompt after that. A prompt is a last line ending in `:`, `?`, `>` or
    // `]` that stays the last line for PROMPT_SETTLE_MS (a streamed reply's `Assistant: ` label is
    // followed by its tokens, a prompt by silence); a reply label is never answered. Once nothing is
    // left to type and the example has printed nothing for ten seconds, stdin is closed, so an example
    // that waits for its input to end can exit.
    const promptDriven = run.input !== undefined
    const lines = [...(run.input ?? []), ...Array.from({ length: 40 }, () => "")]
    let typed = 0
    let answeredAt = -1
    let quiet: ReturnType<typeof setTimeout> | undefined
    const closeWhenQuiet = () => {
      clearTimeout(quiet)
      quiet = setTimeout(() => {
        if ((promptDriven || typed >= lines.length) && child.stdin.writable) child.stdin.end()
      }, 10_000)
    }
    let settle: ReturnType<typeof setTimeout> | undefined
    const answerIfPrompt = () => {
      const last = output.slice(output.lastIndexOf("\n") + 1)
      const atPrompt = /[:?>\]]\s*$/.test(last) && !REPLY_LABEL.test(last) && answeredAt !== output.length
      if (atPrompt && child.stdin.writable && (promptDriven || typed >= lines.length)) {
        answeredAt = output.length
        const line = promptDriven ? lines[typed++] ?? "" : ""
        transcript += `<<< ${line}\n`
        child.stdin.write(`${line}\n`)
      }
    }
    const onOutput = (d: Buffer) => {
      output += d.toString("utf8")
      transcript += d.toString("utf8")
      clearTimeout(settle)
      settle = setTimeout(answerIfPrompt, PROMPT_SETTLE_MS)
      closeWhenQuiet()
    }
    child.stdout.on("data", onOutput)
    child.stderr.on("data", onOutput)
    const typer = setInterval(() => {
      if (!promptDriven && typed < lines.length && child.stdin.writable) {
        transcript += `<<< ${lines[typed]}\n`
        child.stdin.write(`${lines[typed++]}\n`)
      }
      else {
        clearInterval(typer)
        closeWhenQuiet()
      }
    }, 250)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutSeconds * 1000)
    child.stdin.on("error", () => undefined)
    child.on("close", (code) => {
      clearTimeout(settle)
      clearInterval(typer)
      clearTimeout(quiet)
      clearTimeout(timer)
      const tail = lastLines(output, 40)
      const errorLine = [...tail].reverse().find((l) => /error|fail|❌|✗|cannot|unable|invalid|not (available|supported)|^message:/i.test(l))
      done({
        name: run.name,
        result: timedOut ? "timeout" : code === 0 ? "ok" : "failed",
        code,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        note: ((code === 0 && !timedOut ? tail.at(-1) : errorLine ?? tail.at(-1)) ?? "").slice(0, 140).replace(/\|/g, "/"),
        transcript: `${transcript}\n--- ${timedOut ? "killed after the timeout" : `exit code ${code}`}\n`
      })
    })
  })

const main = Effect.gen(function*() {
  const options = parseOptions(process.argv.slice(2))
  const emulator = yield* Emulator.Emulator
  const env = {
    ...process.env,
    SOGNI_API_KEY: emulator.apiKey,
    // The http:// form: the client opens its WebSocket from it, and examples that derive the socket host's
    // REST base by rewriting ws:// to https:// (text-to-image's estimate) reach the emulator as well.
    SOGNI_SOCKET_ENDPOINT: emulator.url,
    SOGNI_REST_ENDPOINT: emulator.url,
    SOGNI_TOKEN_TYPE: "spark",
    SOGNI_TESTNET: "false",
    FORCE_COLOR: "0"
  }
  const runs = options.only === undefined ? RUNS : RUNS.filter((r) => options.only!.some((o) => r.name.includes(o) || r.file.includes(o)))
  const works = options.clients.map((client) => prepare(options, client))
  // outcomes[run][client]
  const outcomes: Array<Array<Outcome>> = []
  for (const run of runs) {
    const row: Array<Outcome> = []
    for (const [i, client] of options.clients.entries()) {
      const routed = options.route
        ? {
          ...env,
          SOGNI_EXAMPLES_EMULATOR_ORIGIN: emulator.url,
          NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --require ${join(dirname(works[i]!), "route-production-hosts.cjs")}`.trim()
        }
        : env
      const outcome = yield* Effect.promise(() => runOne(works[i]!, run, routed, options.timeoutSeconds))
      row.push(outcome)
      if (options.log !== undefined) {
        const dir = join(options.log, client.label.replace(/[^\w.-]+/g, "_"))
        mkdirSync(dir, { recursive: true })
        writeFileSync(join(dir, `${run.name.replace(/[^\w.-]+/g, "_")}.log`), outcome.transcript)
      }
      console.error(`${outcome.result.padEnd(7)} ${outcome.seconds.toString().padStart(6)}s  ${client.label.padEnd(22)} ${run.name}  ${outcome.note}`)
    }
    outcomes.push(row)
  }
  const cell = (o: Outcome) => `${o.result}${o.code !== 0 && o.code !== null ? ` (${o.code})` : ""}, ${o.seconds} s`
  const header = options.clients.map((c) => `${c.label} | last line / error (${c.label})`).join(" | ")
  console.log(`\n| example | file | ${header} | known limitation of the example |`)
  console.log(`|---|---|${options.clients.map(() => "---|---|").join("")}---|`)
  for (const [i, row] of outcomes.entries()) {
    const cells = row.map((o) => `${cell(o)} | ${o.note}`).join(" | ")
    console.log(`| ${runs[i]!.name} | ${runs[i]!.file} | ${cells} | ${runs[i]!.known ?? ""} |`)
  }
  console.log("")
  for (const [i, client] of options.clients.entries()) {
    const passed = outcomes.filter((row) => row[i]!.result === "ok").length
    console.log(`${client.label}: ${passed} of ${outcomes.length} runs completed.`)
  }
  for (const work of works) rmSync(dirname(work), { recursive: true, force: true })
})

Effect.runPromise(
  Effect.scoped(main).pipe(
    Effect.provide(Emulator.layer({
      port: 0,
      speed: Number(process.argv[process.argv.indexOf("--speed") + 1] ?? 4) || 4,
      // the default account first (it owns the API key), then promise_based.mjs's placeholder login
      // every run of both clients spends from the same account: a balance that a whole run cannot exhaust
      accounts: [
        { username: Emulator.DEFAULT_USERNAME, password: Emulator.DEFAULT_PASSWORD, spark: RUN_BALANCE, sogni: RUN_BALANCE },
        { ...PLACEHOLDER_ACCOUNT, spark: RUN_BALANCE, sogni: RUN_BALANCE }
      ]
    }))
  )
).catch((error) => {
  console.error(error)
  process.exit(1)
})
