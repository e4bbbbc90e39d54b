/**
 * The deterministic mock LLM (chat.md §1–§9): the `swarmLLMModels` catalog, `llmJobRequest` admission
 * and the per-job simulation fiber (`jobState` pending → queued → assigned → jobStarted, `jobTokens`
 * deltas, then always `llmJobResult` or `llmJobError`), tool calls, thinking, structured output,
 * cancellation (`llmJobCancel` and `jobError artistCanceled`), the `[[slow]]`/`[[fail]]`/`[[drop]]`/
 * `[[long]]`/`[[minimal]]` directives and recovery (`authenticated.activeLLMJobIDs`).
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { LLMModelInfo } from "./catalog.js"
import { generateInstance, hash32, toolArguments } from "./llmSchema.js"
import {
  type AccountState,
  type Connection,
  detach,
  formatAmount,
  netOf,
  pushBalance,
  sendTo,
  sendToApp,
  simMillis,
  type World
} from "./state.js"

/** Timings at speed 1, in milliseconds (divided by the speed factor). @internal */
export const LLMTiming = {
  pending: 10,
  queue: 30,
  assign: 20,
  start: 20,
  /** Between two `jobTokens` frames. */
  token: 12,
  slowToken: 250,
  /** How long a job whose socket dropped waits for the appId to reconnect (real time, like the server's 30 s). */
  rebindMillis: 30_000
} as const

/** Spark/Sogni charged per prompt token and per completion token. @internal */
export const LLMPrice = { input: 0.00001, output: 0.00004, usdPerToken: 0.005 } as const

const constraint = (min: number, max: number, def: number, decimals?: number) => ({
  min,
  max,
  default: def,
  ...(decimals === undefined ? {} : { decimals })
})

/** The LLM models the emulator serves (LLMModelInfo form, chat.md §9). @internal */
export const LLM_MODELS: Readonly<Record<string, LLMModelInfo>> = {
  "qwen3.6-35b-a3b-gguf-iq4xs": {
    workers: 4,
    maxContextLength: 262144,
    maxOutputTokens: { min: 1, max: 32768, default: 4096, thinkingComplexDefault: 16384 },
    temperature: constraint(0, 2, 0.7, 2),
    top_p: constraint(0, 1, 0.8, 2),
    top_k: constraint(0, 200, 20),
    min_p: constraint(0, 1, 0, 2),
    repetition_penalty: constraint(0.5, 2, 1, 2),
    frequency_penalty: constraint(-2, 2, 0, 2),
    presence_penalty: constraint(-2, 2, 0, 2),
    defaultsThinking: { temperature: 1, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 1.5 },
    defaultsThinkingCoding: { temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 0 },
    defaultsNonThinking: { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0, presence_penalty: 1.5 },
    defaultsNonThinkingReasoning: { temperature: 1, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 1.5 }
  },
  // The id seed 000's chat documentation uses (the generation before qwen3.6).
  "qwen3.5-35b-a3b-gguf-q4km": {
    workers: 2,
    maxContextLength: 131072,
    maxOutputTokens: { min: 1, max: 32768, default: 4096, thinkingComplexDefault: 16384 },
    temperature: constraint(0, 2, 0.7, 2),
    top_p: constraint(0, 1, 0.8, 2),
    top_k: constraint(0, 200, 20),
    min_p: constraint(0, 1, 0, 2),
    presence_penalty: constraint(-2, 2, 0, 2)
  },
  "qwen3-8b-gguf-q4km": {
    workers: 2,
    maxContextLength: 32768,
    maxOutputTokens: { min: 1, max: 8192, default: 2048 },
    temperature: constraint(0, 2, 0.7, 2),
    top_p: constraint(0, 1, 0.8, 2)
  }
}

/** Sends the world's `swarmLLMModels` on a connection (dropped there when `modelAvailability` is off). @internal */
export const sendLLMModels = (world: World, conn: Connection): void => {
  sendTo(conn, { type: "swarmLLMModels", payload: world.catalog.llmModels })
}

/** A running LLM job. @internal */
export interface LLMJob {
  readonly id: string
  readonly appId: string
  readonly account: AccountState
  readonly tokenType: "spark" | "sogni"
  readonly promptTokens: number
  completionTokens: number
  done: boolean
  dropped: boolean
  fiber: Fiber.RuntimeFiber<void, never> | undefined
}

/** The live LLM jobs of a world, by upper-case id. @internal */
export const llmJobsOf = (world: World): Map<string, LLMJob> => world.llmJobs

/** Ids of the still-running LLM jobs of an appId (for `authenticated.activeLLMJobIDs`). @internal */
export const activeLLMJobIDsOf = (world: World, appId: string): Array<string> =>
  [...llmJobsOf(world).values()].filter((j) => j.appId === appId && !j.done).map((j) => j.id)

// ---------------------------------------------------------------------------------------------------
// Conversation reading

type Message = Readonly<Record<string, unknown>>

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === "object" && p !== null && (p as { type?: unknown }).type === "text" ? String((p as { text?: unknown }).text ?? "") : ""))
      .filter((t) => t.length > 0)
      .join(" ")
  }
  return ""
}

const imageCount = (content: unknown): number =>
  Array.isArray(content)
    ? content.filter((p) => typeof p === "object" && p !== null && (p as { type?: unknown }).type === "image_url").length
    : 0

const LLM_DIRECTIVE = /\[\[\s*(slow|fail|drop|long|minimal)\s*\]\]/gi

/** LLM prompt directives. @internal */
export interface LLMDirectives {
  readonly slow: boolean
  readonly fail: boolean
  readonly drop: boolean
  readonly long: boolean
  /** Tool-call arguments carry only the required properties (as a terse model sends them). */
  readonly minimal: boolean
}

const parseLLMDirectives = (text: string): { readonly directives: LLMDirectives; readonly clean: string } => {
  const found = new Set<string>()
  const clean = text.replace(LLM_DIRECTIVE, (_, name: string) => {
    found.add(name.toLowerCase())
    return ""
  }).replace(/\s{2,}/g, " ").trim()
  return {
    directives: { slow: found.has("slow"), fail: found.has("fail"), drop: found.has("drop"), long: found.has("long"), minimal: found.has("minimal") },
    clean
  }
}

interface ToolDef {
  readonly name: string
  readonly parameters: unknown
}

const toolsOf = (raw: unknown): ReadonlyArray<ToolDef> => {
  if (!Array.isArray(raw)) return []
  const out: ToolDef[] = []
  for (const t of raw) {
    if (typeof t !== "object" || t === null) continue
    const fn = (t as { function?: unknown }).function
    if (typeof fn !== "object" || fn === null) continue
    const name = (fn as { name?: unknown }).name
    if (typeof name === "string" && name.length > 0) out.push({ name, parameters: (fn as { parameters?: unknown }).parameters })
  }
  return out
}

/** An object schema reduced to its required properties (for `[[minimal]]`). */

/** What the mock model produces for a request. @internal */
export type Plan =
  | { readonly _tag: "Text"; readonly chunks: ReadonlyArray<string> }
  | { readonly _tag: "Tools"; readonly calls: ReadonlyArray<{ readonly name: string; readonly arguments: string }> }

/** Splits text into word tokens (`" word"`), each one completion token. */
const wordTokens = (text: string): Array<string> => text.match(/\s*\S+/g) ?? []

/** Splits JSON text into 4-character tokens. */
const charTokens = (text: string, size = 4): Array<string> => {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/**
 * Platform tools and the words that ask for them, in groups: the first tool of a group whose words the
 * message uses is picked, one per group. A video request suppresses the plain image and music tools (a
 * picture named there is the video's source, music its soundtrack).
 */
const INTENT_GROUPS: ReadonlyArray<ReadonlyArray<readonly [string, RegExp]>> = [
  [
    ["upscale_video", /\b(upscale|upscaling|sharpen|enhance)\b.*\b(video|clip|footage)\b/],
    ["sound_to_video", /\b(lip[- ]?sync|sound[- ]to[- ]video|music video|sings?|singing)\b/],
    ["video_to_video", /\b(restyle|video[- ]to[- ]video)\b/],
    ["animate_photo", /\banimate\b.*\b(photo|picture|image|portrait)\b/],
    ["generate_video", /\b(video|videos|animate|animated|animation|clip|clips|movie|film|footage)\b/]
  ],
  [
    ["remove_background", /\b(remove|cut out|drop)\b.*\bbackground\b|\btransparent background\b/],
    ["upscale_image", /\b(upscale|upscaling|higher resolution|super[- ]resolution)\b/],
    ["restore_photo", /\b(restore|repair|fix)\b.*\b(photo|picture|image)\b/],
    ["edit_image", /\b(edit|retouch|modify)\b|\b(change|replace|recolou?r)\b.*\b(photo|picture|image)\b/],
    ["change_angle", /\b(another|different|new) (angle|viewpoint)\b/],
    ["generate_image", /\b(draw|drawing|paint|painting|sketch|picture|pictures|image|images|photo|photos|illustration|illustrate|render|portrait|logo|wallpaper|poster)\b/]
  ],
  [
    ["generate_speech", /\b(say|speak|read (it |this )?aloud|voice[- ]?over|narrate|narration|text[- ]to[- ]speech|tts)\b/],
    ["compose_lyrics", /\blyrics\b/],
    ["generate_music", /\b(song|songs|music|tune|melody|soundtrack|jingle|beat|instrumental)\b/]
  ]
]

/** Words that name no intent on their own ("get_weather" is about the weather, not about getting). */
const GENERIC_WORDS = new Set(["get", "set", "fetch", "make", "create", "generate", "do", "run", "call", "tool", "the", "a", "of", "for", "to", "by", "list", "current"])

const nameWords = (name: string): ReadonlyArray<string> =>
  name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3 && !GENERIC_WORDS.has(w))

/**
 * The tools a message asks for: those it names; else the platform tools its intent words point to; else
 * the caller's own tools one of whose name words it uses ("weather" → `get_weather`), with arithmetic
 * picking a calculator.
 *
 * @internal
 */
export const pickTools = <T extends { readonly name: string }>(tools: ReadonlyArray<T>, text: string): ReadonlyArray<T> => {
  const lower = text.toLowerCase()
  const named = tools.filter((t) => lower.includes(t.name.toLowerCase()))
  if (named.length > 0) return named
  const byName = new Map(tools.map((t) => [t.name, t] as const))
  const picked: T[] = []
  let video = false
  INTENT_GROUPS.forEach((group, i) => {
    const hit = group.find(([name, words]) => byName.has(name) && words.test(lower))
    if (hit === undefined) return
    if (i === 0) video = true
    if (video && (hit[0] === "generate_image" || hit[0] === "generate_music")) return
    picked.push(byName.get(hit[0])!)
  })
  if (picked.length > 0) return picked
  const words = new Set(lower.split(/[^a-z0-9]+/))
  const stems = [...words].map((w) => w.replace(/(ing|es|s)$/, ""))
  const arithmetic = /\d\s*[-+*/^%]\s*\(?\s*\d/.test(text)
  return tools.filter((t) => {
    if (byName.get(t.name) !== t) return false
    const own = nameWords(t.name)
    if (own.some((w) => words.has(w) || stems.includes(w.replace(/(ing|es|s)$/, "")))) return true
    return arithmetic && own.some((w) => /^(calc|calculate|calculator|math|compute|evaluate|eval|arithmetic)$/.test(w))
  })
}

/** Markdown links to the media URLs a tool result lists (`urls`, with its `media_type`). */
const mediaLinks = (content: string): ReadonlyArray<string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(content)
  } catch {
    return []
  }
  if (typeof parsed !== "object" || parsed === null) return []
  const { media_type, urls } = parsed as { media_type?: unknown; urls?: unknown }
  if (!Array.isArray(urls)) return []
  const kind = typeof media_type === "string" ? media_type : "result"
  return urls.filter((u): u is string => typeof u === "string").map((u, i) => `[${kind} ${i + 1}](${u})`)
}

const FILLER = [
  "The emulator answers deterministically.",
  "Every reply is derived from the last user message.",
  "No real model runs here.",
  "Tokens stream one word at a time.",
  "The same prompt always yields the same text.",
  "This sentence pads the answer.",
  "Ask again and you will read this again."
]

const quoted = (text: string): string | undefined => /"([^"]{1,200})"/.exec(text)?.[1]

/**
 * Plans the reply to a conversation: tool calls, or text (thinking block first, JSON for
 * `response_format`). Pure and deterministic.
 *
 * @internal
 */
export const planReply = (
  request: Readonly<Record<string, unknown>>,
  messages: ReadonlyArray<Message>,
  options: { readonly longTokens?: number | undefined } = {}
): {
  readonly plan: Plan
  readonly directives: LLMDirectives
} => {
  let lastUser = -1
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === "user") {
      lastUser = i
      break
    }
  }
  const userMessage = lastUser >= 0 ? messages[lastUser]! : undefined
  const { clean: userText, directives } = parseLLMDirectives(userMessage === undefined ? "" : textOf(userMessage.content))
  const images = userMessage === undefined ? 0 : imageCount(userMessage.content)
  const toolResults = messages.slice(lastUser + 1).filter((m) => m.role === "tool")
  const tools = toolsOf(request.tools)
  const choice = request.tool_choice
  const seed = userText

  if (toolResults.length === 0 && tools.length > 0 && choice !== "none") {
    let chosen: ReadonlyArray<ToolDef> = []
    const forced = typeof choice === "object" && choice !== null
      ? (choice as { function?: { name?: unknown } }).function?.name
      : undefined
    if (typeof forced === "string") chosen = tools.filter((t) => t.name === forced)
    if (chosen.length === 0) chosen = pickTools(tools, userText)
    if (chosen.length === 0 && choice === "required") chosen = tools.slice(0, 1)
    if (chosen.length > 0) {
      return {
        directives,
        plan: {
          _tag: "Tools",
          calls: chosen.map((t) => ({
            name: t.name,
            arguments: JSON.stringify(
              toolArguments(t.parameters ?? { type: "object", properties: {} }, userText, `${seed}|${t.name}`, {
                requiredOnly: directives.minimal
              })
            )
          }))
        }
      }
    }
  }

  const chunks: string[] = []
  const kwargs = request.chat_template_kwargs
  const thinking = typeof kwargs === "object" && kwargs !== null &&
    (kwargs as { enable_thinking?: unknown }).enable_thinking === true
  if (thinking) {
    chunks.push(
      "<think>",
      ...wordTokens(`\nThe user wrote ${JSON.stringify(userText.slice(0, 80))}. I will answer briefly.\n`),
      "</think>",
      "\n\n"
    )
  }
  const format = request.response_format
  const formatType = typeof format === "object" && format !== null ? (format as { type?: unknown }).type : undefined
  if (formatType === "json_schema") {
    const js = (format as { json_schema?: { schema?: unknown } }).json_schema
    const q = quoted(userText)
    const value = generateInstance(js?.schema ?? { type: "object" }, seed, new Map(q === undefined ? [] : [["*", q]]))
    chunks.push(...charTokens(JSON.stringify(value)))
    return { directives, plan: { _tag: "Text", chunks } }
  }
  if (formatType === "json_object") {
    chunks.push(...charTokens(JSON.stringify({ answer: `You said: ${userText}` })))
    return { directives, plan: { _tag: "Text", chunks } }
  }
  let answer: string
  if (toolResults.length > 0) {
    answer = toolResults
      .map((m) => `The ${typeof m.name === "string" && m.name.length > 0 ? m.name : "tool"} result is: ${textOf(m.content)}.`)
      .join(" ")
    // Like a model presenting media it made: a Markdown link per generated URL.
    const links = toolResults.flatMap((m) => mediaLinks(textOf(m.content)))
    if (links.length > 0) answer += `\n\n${links.join("\n")}`
  } else {
    answer = userText.length > 0 ? `You said: "${userText}".` : "Hello! How can I help?"
    if (images > 0) answer += ` I see ${images} image${images === 1 ? "" : "s"}.`
    const h = hash32(userText)
    const extra = directives.long ? 60 : 1 + (h % 2)
    for (let i = 0; i < extra; i++) answer += ` ${FILLER[(h + i) % FILLER.length]}`
  }
  const words = wordTokens(answer)
  if (directives.long && options.longTokens !== undefined && toolResults.length === 0) {
    // exactly `longTokens` answer tokens: the answer, then filler words again and again, cut to length
    const h = hash32(userText)
    for (let i = 0; words.length < options.longTokens; i++) words.push(...wordTokens(` ${FILLER[(h + i) % FILLER.length]}`))
    words.length = options.longTokens
  }
  for (const w of words) chunks.push(w)
  return { directives, plan: { _tag: "Text", chunks } }
}

/** Prompt tokens of a conversation (about four characters a token, 256 per image). @internal */
export const estimateTokens = (messages: ReadonlyArray<Message>): number => {
  let chars = 0
  for (const m of messages) {
    chars += textOf(m.content).length + 4
    chars += imageCount(m.content) * 1024
    if (Array.isArray(m.tool_calls)) chars += JSON.stringify(m.tool_calls).length
  }
  return Math.max(1, Math.ceil(chars / 4))
}

// ---------------------------------------------------------------------------------------------------
// Admission and simulation

const WORKERS = ["llm-orca-05", "llm-puma-11", "llm-ibis-27"]

const llmError = (conn: Connection, jobID: string, error: string, message: string) =>
  Effect.sync(() => {
    sendTo(conn, { type: "llmJobError", payload: { jobID, error, error_message: message } })
  }).pipe(Effect.zipRight(Effect.logDebug(`LLM job ${jobID} refused: ${message}`)))

/** Refuses an `llmJobRequest` whose payload does not decode (no `messages` …). @internal */
export const refuseMalformedLLMRequest = (conn: Connection, jobID: string, problem: string): Effect.Effect<void> =>
  llmError(conn, jobID, "invalid_request", `Invalid llmJobRequest: ${problem}`)

/** Handles an `llmJobRequest`: validates it and starts the job's fiber. @internal */
export const admitLLMJob = (world: World, conn: Connection, request: Protocol.LLMJobRequest): Effect.Effect<void> =>
  Effect.suspend(() => {
    const id = request.jobID
    const key = id.toUpperCase()
    const jobs = llmJobsOf(world)
    if (jobs.has(key)) return llmError(conn, id, "invalid_request", `LLM job ${id} already exists.`)
    if (!(request.model in world.catalog.llmModels)) {
      return llmError(conn, id, "model_unavailable", `Model ${request.model} is not available.`)
    }
    const messages = request.messages as ReadonlyArray<Message>
    if (messages.length === 0) return llmError(conn, id, "invalid_request", "messages must not be empty.")
    const maxTokensRaw = request.max_tokens
    if (maxTokensRaw !== undefined && (typeof maxTokensRaw !== "number" || !(maxTokensRaw >= 1))) {
      return llmError(conn, id, "invalid_request", "max_tokens must be a positive integer.")
    }
    const tokenType = request.tokenType === "spark" ? "spark" : "sogni"
    const promptTokens = estimateTokens(messages)
    const minimum = promptTokens * LLMPrice.input + LLMPrice.output
    if (netOf(conn.account.balances[tokenType]) < minimum) {
      return llmError(conn, id, "insufficient_balance", `Not enough ${tokenType} tokens for this request.`)
    }
    const job: LLMJob = {
      id,
      appId: conn.appId,
      account: conn.account,
      tokenType,
      promptTokens,
      completionTokens: 0,
      done: false,
      dropped: false,
      fiber: undefined
    }
    jobs.set(key, job)
    job.fiber = world.run(
      runJob(world, job, request, messages).pipe(
        Effect.catchAllCause((cause) => Effect.logError(`LLM job ${id} simulation failed`, cause)),
        Effect.ensuring(Effect.sync(() => {
          job.done = true
          jobs.delete(key)
        }))
      )
    )
    return Effect.logDebug(`LLM job ${id} admitted (${request.model})`)
  })

const costOf = (job: LLMJob) => job.promptTokens * LLMPrice.input + job.completionTokens * LLMPrice.output

const charge = (world: World, job: LLMJob): number => {
  const cost = costOf(job)
  job.account.balances[job.tokenType].settled -= cost
  pushBalance(world, job.account)
  return cost
}

const usageOf = (job: LLMJob) => ({
  prompt_tokens: job.promptTokens,
  completion_tokens: job.completionTokens,
  total_tokens: job.promptTokens + job.completionTokens
})

/** Waits (real time) for the appId to have a connection again; whether it came back. */
const awaitRebind = (world: World, appId: string): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + LLMTiming.rebindMillis
    while (Date.now() < deadline) {
      if (world.connections.has(appId)) return true
      yield* Effect.sleep(20)
    }
    return false
  })

const runJob = (
  world: World,
  job: LLMJob,
  request: Protocol.LLMJobRequest,
  messages: ReadonlyArray<Message>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const jobID = job.id
    const started = Date.now()
    const send = (event: Protocol.ServerEvent) => sendToApp(world, job.appId, event)
    const sleep = (ms: number) => Effect.sleep(simMillis(world, ms))
    const { directives, plan } = planReply(request, messages, { longTokens: world.settings.llmLongTokens })
    const perTick = world.settings.llmTokensPerTick ?? 1
    const workerName = WORKERS[hash32(jobID) % WORKERS.length]!
    const modelId = request.model
    const maxTokens = typeof request.max_tokens === "number" ? Math.floor(request.max_tokens) : undefined
    const estimatedCost = formatAmount(job.promptTokens * LLMPrice.input + (maxTokens ?? 256) * LLMPrice.output)

    send({ type: "jobState", payload: { type: "pending", jobID, modelId, estimatedCost } })
    yield* sleep(LLMTiming.pending)
    send({ type: "jobState", payload: { type: "queued", jobID, queuePosition: 1, modelId, estimatedCost } })
    yield* sleep(LLMTiming.queue)
    send({ type: "jobState", payload: { type: "assigned", jobID, workerName } })
    yield* sleep(LLMTiming.assign)
    send({ type: "jobState", payload: { type: "jobStarted", jobID, workerName } })
    yield* sleep(LLMTiming.start)

    const tokenDelay = directives.slow ? LLMTiming.slowToken : LLMTiming.token
    // Frames carrying the body (content or tool-call deltas), without the final finishReason frame.
    const frames: Array<Omit<Protocol.JobTokens, "jobID">> = []
    let finishReason = "stop"
    if (plan._tag === "Tools") {
      plan.calls.forEach((call, index) => {
        const callId = `call_${hash32(`${jobID}#${index}`).toString(16).padStart(8, "0")}${index}`
        frames.push({
          ...(index === 0 ? { role: "assistant", content: "" } : {}),
          tool_calls: [{ index, id: callId, type: "function", function: { name: call.name, arguments: "" } }]
        })
        const size = Math.max(4, Math.ceil(call.arguments.length / 3))
        for (const part of charTokens(call.arguments, size)) {
          frames.push({ tool_calls: [{ index, function: { arguments: part } }] })
        }
      })
      finishReason = "tool_calls"
    } else {
      const chunks = maxTokens !== undefined && plan.chunks.length > maxTokens
        ? plan.chunks.slice(0, maxTokens)
        : plan.chunks
      if (chunks.length < plan.chunks.length) finishReason = "length"
      chunks.forEach((content, i) => frames.push(i === 0 ? { role: "assistant", content } : { content }))
      if (frames.length === 0) frames.push({ role: "assistant", content: "" })
    }
    const breakAt = Math.max(1, Math.floor(frames.length / 2))

    for (let i = 0; i < frames.length; i++) {
      send({ type: "jobTokens", payload: { jobID, ...frames[i]! } })
      job.completionTokens += 1
      if (i + 1 === breakAt && directives.fail) {
        charge(world, job)
        send({
          type: "llmJobError",
          payload: {
            jobID,
            error: "worker_error",
            error_message: "[[fail]] directive: the worker failed mid-generation",
            workerName
          }
        })
        return
      }
      if (i + 1 === breakAt && directives.drop && !job.dropped) {
        job.dropped = true
        // Let the frames already queued reach the client, so nothing but the socket is lost.
        yield* Effect.sleep(30)
        const conn = world.connections.get(job.appId)
        if (conn !== undefined) {
          yield* Effect.logDebug(`[[drop]]: terminating the socket of ${job.appId} (LLM job ${jobID})`)
          detach(world, conn)
          conn.ws.terminate()
        }
        const back = yield* awaitRebind(world, job.appId)
        if (!back) {
          charge(world, job)
          return
        }
      }
      if ((i + 1) % perTick === 0 || i + 1 === frames.length) yield* sleep(tokenDelay)
    }
    const usage = usageOf(job)
    send({ type: "jobTokens", payload: { jobID, content: "", finishReason, usage } })
    const cost = costOf(job)
    job.done = true
    send({
      type: "llmJobResult",
      payload: {
        jobID,
        usage,
        timeTaken: Math.round((Date.now() - started) / 10) / 100,
        workerName,
        cost: {
          costInUSD: formatAmount(cost * LLMPrice.usdPerToken),
          costInToken: formatAmount(cost),
          costInSogni: formatAmount(job.tokenType === "sogni" ? cost : 0),
          costInSpark: formatAmount(job.tokenType === "spark" ? cost : 0),
          inputTokens: usage.prompt_tokens,
          outputTokens: usage.completion_tokens
        }
      }
    })
    charge(world, job)
  })

/**
 * Cancels an LLM job of the connection's account: stops its tokens and sends `llmJobError
 * artistCanceled` (plus `artistCancelConfirmation` when the cancel came as a `jobError`). Returns
 * whether the id named a live LLM job.
 *
 * @internal
 */
export const cancelLLMJob = (
  world: World,
  conn: Connection,
  rawId: string,
  confirm: boolean
): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const job = llmJobsOf(world).get(rawId.toUpperCase())
    if (job === undefined || job.account !== conn.account || job.done) return false
    job.done = true
    if (job.fiber !== undefined) yield* Fiber.interrupt(job.fiber)
    if (confirm) sendTo(conn, { type: "artistCancelConfirmation", payload: { jobID: job.id, didCancel: true } })
    sendToApp(world, job.appId, {
      type: "llmJobError",
      payload: { jobID: job.id, error: "artistCanceled", error_message: "Cancelled by user" }
    })
    charge(world, job)
    return true
  })

/** A quote of `GET /api/v1/job-llm/estimate/{tokenType}/{model}/{inputTokens}/{maxOutputTokens}` (chat.md §11). @internal */
export type LLMEstimate =
  | { readonly _tag: "Quote"; readonly body: Record<string, unknown> }
  | { readonly _tag: "Refused"; readonly status: 400 | 404; readonly message: string }

const wholeSegment = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * Quotes the most a chat completion can cost: every input token at the prompt price and the whole output
 * budget at the completion price, in the token type asked for. A finished job is charged the same prices
 * for the tokens it really used, so its charge never exceeds the quote.
 *
 * @internal
 */
export const llmEstimate = (llmModels: Readonly<Record<string, LLMModelInfo>>, segments: {
  readonly tokenType: string | undefined
  readonly model: string | undefined
  readonly inputTokens: string | undefined
  readonly maxOutputTokens: string | undefined
}): LLMEstimate => {
  const refused = (status: 400 | 404, message: string): LLMEstimate => ({ _tag: "Refused", status, message })
  const tokenType = segments.tokenType ?? ""
  if (tokenType !== "spark" && tokenType !== "sogni") return refused(400, `tokenType must be spark or sogni (got ${tokenType})`)
  const model = segments.model ?? ""
  const info = llmModels[model] as { readonly maxOutputTokens?: { readonly max?: number } } | undefined
  if (info === undefined) return refused(404, `Unknown LLM model ${model}`)
  const inputTokens = wholeSegment(segments.inputTokens)
  if (inputTokens === undefined) {
    return refused(400, `inputTokens must be a non-negative integer (got ${segments.inputTokens})`)
  }
  const maxOutputTokens = wholeSegment(segments.maxOutputTokens)
  const ceiling = info.maxOutputTokens?.max ?? Number.MAX_SAFE_INTEGER
  if (maxOutputTokens === undefined || maxOutputTokens < 1 || maxOutputTokens > ceiling) {
    return refused(400, `maxOutputTokens must be an integer in 1..${ceiling} for ${model} (got ${segments.maxOutputTokens})`)
  }
  const cost = inputTokens * LLMPrice.input + maxOutputTokens * LLMPrice.output
  const amount = (n: number) => Number(formatAmount(n))
  return {
    _tag: "Quote",
    body: {
      request: { model, inputTokens, maxOutputTokens, tokenType, time: new Date().toISOString() },
      quote: {
        costInUSD: amount(cost * LLMPrice.usdPerToken),
        // LLM jobs are charged the same amount whichever token pays (see `charge`).
        costInSogni: amount(cost),
        costInSpark: amount(cost),
        costInToken: amount(cost),
        inputTokens,
        outputTokens: maxOutputTokens
      }
    }
  }
}
