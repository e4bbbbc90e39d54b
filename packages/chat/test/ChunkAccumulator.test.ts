import { assert, describe, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as FastCheck from "effect/FastCheck"
import { ChatChunk, ChatJob, ChunkAccumulator } from "../src/index.js"
import { fixture, frames } from "./util/fixtures.js"

const foldTokens = (name: string) =>
  frames(name).filter((f) => f.frame === "jobTokens").map((f) => f.payload).reduce(ChunkAccumulator.step, ChunkAccumulator.empty)

describe("ChunkAccumulator", () => {
  it("reproduces the tool-call fixture's SDK result (deltas by index, arguments appended, finishReason)", () => {
    const expected = fixture("chat-jobTokens-sequence.json").expected_sdk_result
    const result = ChunkAccumulator.result(foldTokens("chat-jobTokens-sequence.json"), expected.usage)
    assert.deepStrictEqual(result, {
      content: expected.content,
      role: expected.role,
      finishReason: expected.finishReason,
      usage: expected.usage,
      toolCalls: expected.tool_calls
    })
  })

  it("reproduces the streaming text fixture's SDK result", () => {
    const expected = fixture("chat-streaming-text-sequence.json").expected_sdk_result
    const result = ChunkAccumulator.result(foldTokens("chat-streaming-text-sequence.json"))
    assert.strictEqual(result.content, expected.content)
    assert.strictEqual(result.role, "assistant")
    assert.strictEqual(result.finishReason, "stop")
    assert.deepStrictEqual(result.usage, expected.usage)
    assert.deepStrictEqual(result.toolCalls, [])
  })

  it("defaults role, finishReason and usage; the last non-empty value wins", () => {
    assert.deepStrictEqual(ChunkAccumulator.result(ChunkAccumulator.empty), {
      content: "",
      role: "assistant",
      finishReason: "stop",
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      toolCalls: []
    })
    const acc = [
      { content: "a", role: "assistant", finishReason: "length" },
      { content: null, role: "", finishReason: null },
      { content: "b", finishReason: "" },
      { usage: { prompt_tokens: 1, completion_tokens: 2 } }
    ].reduce(ChunkAccumulator.step, ChunkAccumulator.empty)
    const r = ChunkAccumulator.result(acc)
    assert.deepStrictEqual([r.content, r.role, r.finishReason, r.usage], ["ab", "assistant", "length", { prompt_tokens: 1, completion_tokens: 2 }])
    // llmJobResult usage replaces the token usage
    assert.deepStrictEqual(ChunkAccumulator.result(acc, { prompt_tokens: 9, completion_tokens: 9 }).usage, { prompt_tokens: 9, completion_tokens: 9 })
  })

  it("replaces ids and names (never concatenates them) and sorts calls by index", () => {
    const acc = ChunkAccumulator.step(ChunkAccumulator.empty, {
      tool_calls: [
        { index: 1, id: "c2", function: { name: "b", arguments: "{" } },
        { index: 0, id: "", function: { name: "a" } },
        { index: 0, id: "c1", function: { name: "", arguments: "{}" } },
        { index: 1, function: { name: "b2", arguments: "}" } }
      ]
    })
    assert.deepStrictEqual(ChunkAccumulator.toolCalls(acc), [
      { id: "c1", type: "function", function: { name: "a", arguments: "{}" } },
      { id: "c2", type: "function", function: { name: "b2", arguments: "{}" } }
    ])
  })

  it.prop(
    "stepMeta folds like step except the text, and returns the accumulator itself when nothing but text changed",
    [
      FastCheck.array(
        FastCheck.record(
          {
            content: FastCheck.option(FastCheck.string({ maxLength: 6 }), { nil: undefined }),
            role: FastCheck.option(FastCheck.constantFrom("", "assistant", "tool"), { nil: undefined }),
            finishReason: FastCheck.option(FastCheck.constantFrom("", "stop", "length", "tool_calls"), { nil: undefined }),
            usage: FastCheck.option(
              FastCheck.record({ prompt_tokens: FastCheck.nat(), completion_tokens: FastCheck.nat() }),
              { nil: undefined }
            ),
            tool_calls: FastCheck.option(
              FastCheck.array(
                FastCheck.record({
                  index: FastCheck.nat({ max: 2 }),
                  id: FastCheck.option(FastCheck.constantFrom("", "c1", "c2"), { nil: undefined }),
                  function: FastCheck.record({ name: FastCheck.constantFrom("", "f", "g"), arguments: FastCheck.string({ maxLength: 4 }) })
                }),
                { maxLength: 2 }
              ),
              { nil: undefined }
            )
          },
          { requiredKeys: [] }
        ),
        { maxLength: 12 }
      )
    ],
    ([frames]) => {
      const full = frames.reduce(ChunkAccumulator.step, ChunkAccumulator.empty)
      let meta = ChunkAccumulator.empty
      for (const f of frames) {
        const next = ChunkAccumulator.stepMeta(meta, f)
        const textOnly = f.role === undefined && f.finishReason === undefined && f.usage === undefined &&
          f.tool_calls === undefined
        if (textOnly) assert.strictEqual(next, meta)
        meta = next
      }
      assert.deepStrictEqual(ChunkAccumulator.result(meta), { ...ChunkAccumulator.result(full), content: "" })
    }
  )

  it.prop(
    "any fragmentation of several calls' arguments accumulates to the same calls",
    [
      FastCheck.array(FastCheck.tuple(FastCheck.string({ minLength: 1, maxLength: 8 }), FastCheck.json()), { minLength: 1, maxLength: 4 }),
      FastCheck.array(FastCheck.nat(), { maxLength: 20 }),
      FastCheck.nat()
    ],
    ([calls, cuts, seed]) => {
      // one delta list per call: the head (id + name) then argument fragments
      const perCall = calls.map(([name, args], index) => {
        const points = [...new Set(cuts.map((c) => c % (args.length + 1)))].sort((a, b) => a - b)
        const fragments: Array<string> = []
        let from = 0
        for (const p of [...points, args.length]) {
          fragments.push(args.slice(from, p))
          from = p
        }
        return [
          { index, id: `call_${index}`, function: { name, arguments: "" } },
          ...fragments.map((f) => ({ index, function: { arguments: f } }))
        ]
      })
      // interleave the calls' deltas in a seed-dependent order, keeping each call's own order
      const queues = perCall.map((q) => [...q])
      const frames: Array<{ tool_calls: Array<any> }> = []
      let s = seed
      while (queues.some((q) => q.length > 0)) {
        const live = queues.filter((q) => q.length > 0)
        s = (s * 1103515245 + 12345) % 2147483648
        frames.push({ tool_calls: [live[s % live.length]!.shift()!] })
      }
      const acc = frames.reduce(ChunkAccumulator.step, ChunkAccumulator.empty)
      assert.deepStrictEqual(
        ChunkAccumulator.toolCalls(acc),
        calls.map(([name, args], i) => ({ id: `call_${i}`, type: "function", function: { name, arguments: args } }))
      )
    }
  )
})

describe("ChatJob", () => {
  const run = (name: string, split = true, jobStates = true) => {
    let state = ChatJob.initial(fixture(name).request_jobID.toLowerCase(), { splitThinking: split, jobStates })
    const chunks: Array<ChatChunk.ChatChunk> = []
    const endings: Array<ChatJob.Ending> = []
    for (const f of frames(name)) {
      const step = ChatJob.transition(state, { type: f.frame, payload: f.payload } as any)
      state = step.state
      chunks.push(...step.chunks)
      if (step.ending) endings.push(step.ending)
    }
    return { chunks, endings, state }
  }

  it("turns the text fixture into job states, deltas and one Finish with the closing frame's usage", () => {
    const { chunks, endings } = run("chat-streaming-text-sequence.json")
    assert.deepStrictEqual(chunks.map((c) => c._tag), ["JobState", "JobState", "TextDelta", "TextDelta", "TextDelta", "Finish"])
    assert.deepStrictEqual(
      run("chat-streaming-text-sequence.json", true, false).chunks.map((c) => c._tag),
      ["TextDelta", "TextDelta", "TextDelta", "Finish"]
    )
    const expected = fixture("chat-streaming-text-sequence.json").expected_sdk_result
    const completion = ChatChunk.toCompletion(chunks.reduce(ChatChunk.collect, ChatChunk.emptyCollector))!
    assert.strictEqual(completion.text, expected.content)
    assert.strictEqual(completion.jobID, expected.jobID)
    assert.strictEqual(completion.workerName, "worker-beta")
    assert.strictEqual(completion.timeTaken, 0.41)
    assert.deepStrictEqual(endings, [{ _tag: "Completed" }])
    const queued = chunks[0] as Extract<ChatChunk.ChatChunk, { _tag: "JobState" }>
    assert.deepStrictEqual([queued.state, queued.queuePosition, queued.estimatedCost], ["queued", 1, "0.0498"])
  })

  it("turns the tool fixture into raw tool-call deltas and a Finish with the accumulated calls and cost", () => {
    const { chunks } = run("chat-jobTokens-sequence.json")
    const deltas = chunks.filter((c) => c._tag === "ToolCallDelta")
    assert.strictEqual(deltas.length, 3)
    const completion = ChatChunk.toCompletion(chunks.reduce(ChatChunk.collect, ChatChunk.emptyCollector))!
    const expected = fixture("chat-jobTokens-sequence.json").expected_sdk_result
    assert.deepStrictEqual(completion.toolCalls, expected.tool_calls)
    assert.deepStrictEqual(completion.cost, expected.cost)
    assert.strictEqual(completion.finishReason, "tool_calls")
  })

  it("reports usage of frames before the closing one as Usage chunks; the closing frame's through Finish", () => {
    const usage = (n: number) => ({ prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n })
    const events: Array<Protocol.ServerEvent> = [
      { type: "jobTokens", payload: { jobID: "J", content: "a", usage: usage(1) } },
      { type: "jobTokens", payload: { jobID: "J", content: "b", usage: usage(2) } },
      { type: "jobTokens", payload: { jobID: "J", content: "", finishReason: "length", usage: usage(3) } },
      { type: "llmJobResult", payload: { jobID: "J", timeTaken: 1 } }
    ] as any
    let state = ChatJob.initial("j", { splitThinking: true })
    const chunks: Array<ChatChunk.ChatChunk> = []
    for (const event of events) state = ChatJob.feed(state, event, (c) => chunks.push(c))
    assert.deepStrictEqual(chunks.map((c) => c._tag), ["TextDelta", "Usage", "TextDelta", "Usage", "Finish"])
    const finish = chunks.at(-1) as Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>
    assert.deepStrictEqual([finish.finishReason, finish.usage], ["length", usage(3)])
    assert.deepStrictEqual(state.ending, { _tag: "Completed" })
    // after the ending nothing comes out and the state stays as it is
    const after = ChatJob.feed(state, events[0]!, (c) => chunks.push(c))
    assert.strictEqual(after, state)
    assert.strictEqual(chunks.length, 5)
  })

  it("feed and transition agree, and text without a tag allocates no new state", () => {
    const s0 = ChatJob.initial("J", { splitThinking: true, jobStates: true })
    const s1 = ChatJob.transition(s0, { type: "jobTokens", payload: { jobID: "J", content: "Hi", role: "assistant" } } as any).state
    const fed: Array<ChatChunk.ChatChunk> = []
    const s2 = ChatJob.feed(s1, { type: "jobTokens", payload: { jobID: "J", content: " there" } } as any, (c) => fed.push(c))
    assert.strictEqual(s2, s1)
    assert.deepStrictEqual(fed, ChatJob.transition(s1, { type: "jobTokens", payload: { jobID: "J", content: " there" } } as any).chunks)
    // inside <think>, plain text is reasoning without going through the splitter's output
    const t = ChatJob.transition(s1, { type: "jobTokens", payload: { jobID: "J", content: "<think>" } } as any)
    const r = ChatJob.transition(t.state, { type: "jobTokens", payload: { jobID: "J", content: "hmm" } } as any)
    assert.deepStrictEqual(r.chunks, [ChatChunk.ChatChunk.ReasoningDelta({ text: "hmm" })])
  })

  it("feed with emitText hands each TextDelta's text there, in its place among the other chunks", () => {
    const contents = ["Hi", " <thi", "nk>plan", "</think>", "  ok", "<b>", " done"]
    const events = [
      ...contents.map((content) => ({ type: "jobTokens", payload: { jobID: "J", content } })),
      { type: "jobTokens", payload: { jobID: "J", content: "", usage: { prompt_tokens: 1, completion_tokens: 7, total_tokens: 8 } } },
      { type: "llmJobResult", payload: { jobID: "J" } }
    ] as any
    for (const splitThinking of [true, false]) {
      let a = ChatJob.initial("J", { splitThinking })
      let b = a
      const plain: Array<ChatChunk.ChatChunk> = []
      const mixed: Array<ChatChunk.ChatChunk | string> = []
      for (const event of events) {
        a = ChatJob.feed(a, event, (c) => plain.push(c))
        b = ChatJob.feed(b, event, (c) => mixed.push(c), (t) => mixed.push(t))
      }
      assert.deepStrictEqual(b, a)
      assert.deepStrictEqual(
        mixed.map((c) => typeof c === "string" ? ChatChunk.ChatChunk.TextDelta({ text: c }) : c),
        plain
      )
      // the strings stand exactly for the TextDeltas
      assert.strictEqual(mixed.filter((c) => typeof c === "string").length, plain.filter((c) => c._tag === "TextDelta").length)
      assert.isTrue(mixed.every((c) => typeof c === "string" || c._tag !== "TextDelta"))
    }
  })

  it("maps llmJobError to a typed error with its fields and ignores frames after the ending", () => {
    const error = fixture("chat-streaming-text-sequence.json").error_variant.payload
    let state = ChatJob.initial(error.jobID, { splitThinking: true })
    const step = ChatJob.transition(state, { type: "llmJobError", payload: error })
    state = step.state
    const ending = step.ending
    assert(ending?._tag === "Failed")
    assert.strictEqual(ending.error.reason, "JobFailed")
    assert.strictEqual(ending.error.error, "subscription_unavailable")
    assert.strictEqual(ending.error.errorCode, "4080")
    assert.strictEqual(ending.error.message, error.error_message)
    assert.isFalse(ending.error.isRetryable)
    const after = ChatJob.transition(state, { type: "jobTokens", payload: { jobID: error.jobID, content: "late" } })
    assert.deepStrictEqual([after.chunks, after.ending], [[], undefined])
  })

  it("splits <think> across frames, and leaves it inline when splitting is off", () => {
    const tokens = ["<thi", "nk>\nplan", "</think>\n\nAns", "wer"]
    const feed = (split: boolean) => {
      let state = ChatJob.initial("J", { splitThinking: split })
      const chunks: Array<ChatChunk.ChatChunk> = []
      for (const content of tokens) {
        const s = ChatJob.transition(state, { type: "jobTokens", payload: { jobID: "J", content } })
        state = s.state
        chunks.push(...s.chunks)
      }
      chunks.push(...ChatJob.transition(state, { type: "llmJobResult", payload: { jobID: "J" } }).chunks)
      return ChatChunk.toCompletion(chunks.reduce(ChatChunk.collect, ChatChunk.emptyCollector))!
    }
    const split = feed(true)
    assert.deepStrictEqual([split.reasoning, split.text], ["plan", "Answer"])
    const inline = feed(false)
    assert.deepStrictEqual([inline.reasoning, inline.text], ["", tokens.join("")])
  })
})
