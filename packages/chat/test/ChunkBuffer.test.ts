/**
 * The bounded buffer between a chat job's socket route and its consumer (`internal/chunkBuffer.ts`):
 * order below capacity, the overflow policy (text merged, never dropped; usage superseded; a typed
 * failure at twice the capacity), waiting and waking, and endings after the waiting chunks.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { ChatChunk } from "../src/ChatChunk.js"
import { SogniChatJobError } from "../src/ChatError.js"
import * as ChunkBuffer from "../src/internal/chunkBuffer.js"

const overflow = (waiting: number) =>
  new SogniChatJobError({ reason: "BufferOverflow", jobID: "J", error: "buffer_overflow", message: `${waiting} waiting` })

const text = (t: string) => ChatChunk.TextDelta({ text: t })
const reasoning = (t: string) => ChatChunk.ReasoningDelta({ text: t })
const usage = (n: number) => ChatChunk.Usage({ usage: { prompt_tokens: 1, completion_tokens: n, total_tokens: n + 1 } })
const state = (s: string) =>
  ChatChunk.JobState({ jobID: "J", state: s, queuePosition: undefined, workerName: undefined, modelId: undefined, estimatedCost: undefined })

/** Takes until the end (or the failure), in order. */
const drain = (buffer: ChunkBuffer.ChunkBuffer) =>
  Effect.gen(function*() {
    const out: Array<ChatChunk> = []
    while (true) {
      const taken = yield* Effect.either(buffer.take)
      if (taken._tag === "Left") return { chunks: out, error: Option.getOrUndefined(taken.left) }
      out.push(...Chunk.toReadonlyArray(taken.right))
    }
  })

const joined = (chunks: ReadonlyArray<ChatChunk>, tag: "TextDelta" | "ReasoningDelta") =>
  chunks.flatMap((c) => (c._tag === tag ? [c.text] : [])).join("")

describe("ChunkBuffer", () => {
  it.effect("below capacity every chunk waits as it came and one take returns them all", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(8, overflow)
      const offered = [state("queued"), text("a"), text("b"), usage(2)]
      for (const c of offered) buffer.offer(c)
      buffer.end()
      const first = yield* buffer.take
      assert.deepStrictEqual(Chunk.toReadonlyArray(first), offered)
      assert.deepStrictEqual(yield* Effect.flip(buffer.take), Option.none())
    }))

  it.effect("at capacity new text merges into the newest delta of its kind; nothing is dropped", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(2, overflow)
      buffer.offer(state("jobStarted"))
      for (const t of ["a", "b", "c", "d"]) buffer.offer(text(t))
      assert.strictEqual(buffer.size(), 2)
      buffer.end()
      const { chunks, error } = yield* drain(buffer)
      assert.isUndefined(error)
      assert.deepStrictEqual(chunks, [state("jobStarted"), text("abcd")])
    }))

  it.effect("a newer Usage replaces the waiting one, and text after it merges into the text before it", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(2, overflow)
      buffer.offer(text("a"))
      buffer.offer(usage(1))
      buffer.offer(text("b"))
      buffer.offer(usage(2))
      buffer.end()
      const { chunks } = yield* drain(buffer)
      assert.deepStrictEqual(chunks, [text("ab"), usage(2)])
    }))

  it.effect("tool-call argument fragments of one call merge; a new call is kept apart", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(1, overflow)
      const delta = (index: number, args: string, id?: string, name?: string) =>
        ChatChunk.ToolCallDelta({ index, id, name, arguments: args })
      buffer.offer(delta(0, "", "call_0", "get_weather"))
      buffer.offer(delta(0, "{\"loc"))
      buffer.offer(delta(0, "ation\":1}"))
      buffer.offer(delta(1, "", "call_1", "get_time"))
      buffer.end()
      const { chunks } = yield* drain(buffer)
      assert.deepStrictEqual(chunks, [delta(0, "{\"location\":1}", "call_0", "get_weather"), delta(1, "", "call_1", "get_time")])
    }))

  it.effect("chunks that merge with nothing go past capacity; at twice it the stream fails after what waits", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(2, overflow)
      // text and reasoning alternating never merge with their neighbour
      const offered = [text("1"), reasoning("2"), text("3"), reasoning("4")]
      for (const c of offered) buffer.offer(c)
      assert.strictEqual(buffer.size(), 4)
      buffer.offer(text("5"))
      buffer.offer(text("ignored after the failure"))
      buffer.end()
      const { chunks, error } = yield* drain(buffer)
      assert.deepStrictEqual(chunks, offered)
      assert(error?._tag === "SogniChatJobError")
      assert.strictEqual(error.reason, "BufferOverflow")
      assert.strictEqual(error.error, "buffer_overflow")
    }))

  it.effect("any interleaving through a small buffer keeps all text, all reasoning, the lifecycle and the last usage", () =>
    Effect.gen(function*() {
      // a deterministic pseudo-random walk over many sequences (no Math.random in tests)
      let seed = 7
      const next = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n
      }
      for (let run = 0; run < 200; run++) {
        const buffer = ChunkBuffer.make(2 + next(6), overflow)
        const offered: Array<ChatChunk> = [state("pending"), state("jobStarted")]
        let n = 0
        for (let i = 0; i < 50; i++) {
          const k = next(10)
          if (k < 7) offered.push(text(`t${i}`))
          else if (k < 8) offered.push(usage(++n))
          else offered.push(k === 8 && i % 10 === 0 ? reasoning(`r${i}`) : text(`u${i}`))
        }
        for (const c of offered) buffer.offer(c)
        buffer.end()
        const { chunks, error } = yield* drain(buffer)
        if (error !== undefined) {
          // the only allowed loss: none — a failure ends the stream loudly, and only past twice the capacity
          assert(error._tag === "SogniChatJobError" && error.reason === "BufferOverflow")
          continue
        }
        assert.strictEqual(joined(chunks, "TextDelta"), joined(offered, "TextDelta"))
        assert.strictEqual(joined(chunks, "ReasoningDelta"), joined(offered, "ReasoningDelta"))
        assert.deepStrictEqual(chunks.filter((c) => c._tag === "JobState"), offered.filter((c) => c._tag === "JobState"))
        const lastUsage = (cs: ReadonlyArray<ChatChunk>) => cs.filter((c) => c._tag === "Usage").at(-1)
        assert.deepStrictEqual(lastUsage(chunks), lastUsage(offered))
      }
    }))

  it.effect("take waits while nothing waits and wakes on the next offer; a failure comes after the waiting chunks", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(4, overflow)
      const fiber = yield* Effect.fork(buffer.take)
      yield* Effect.yieldNow()
      assert.isNull(fiber.unsafePoll())
      buffer.offer(text("x"))
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), [text("x")])
      buffer.offer(text("y"))
      buffer.fail(overflow(0))
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* buffer.take), [text("y")])
      const exit = yield* Effect.exit(buffer.take)
      assert.isTrue(Exit.isFailure(exit))
    }))

  it.effect("next waits like take, ends with undefined after the waiting chunks, and fails with the error itself", () =>
    Effect.gen(function*() {
      const ended = ChunkBuffer.make(4, overflow)
      const fiber = yield* Effect.fork(ended.next)
      yield* Effect.yieldNow()
      assert.isNull(fiber.unsafePoll())
      ended.offer(text("x"))
      assert.deepStrictEqual(Chunk.toReadonlyArray((yield* Fiber.join(fiber))!), [text("x")])
      ended.offer(text("y"))
      ended.end()
      assert.deepStrictEqual(Chunk.toReadonlyArray((yield* ended.next)!), [text("y")])
      assert.isUndefined(yield* ended.next)
      assert.isUndefined(yield* ended.next)

      const failed = ChunkBuffer.make(4, overflow)
      failed.offer(text("z"))
      failed.fail(overflow(7))
      assert.deepStrictEqual(Chunk.toReadonlyArray((yield* failed.next)!), [text("z")])
      assert.deepStrictEqual(yield* Effect.flip(failed.next), overflow(7))
    }))

  it.effect("pollText hands text deltas over as their text, in place, with the same merging and bound as poll", () =>
    Effect.gen(function*() {
      const fill = (buffer: ChunkBuffer.ChunkBuffer) => {
        buffer.offer(state("jobStarted"))
        buffer.offerText("a")
        buffer.offer(reasoning("r"))
        buffer.offer(text("b"))
        // at capacity (4): merged into the newest text, as `poll` sees it
        buffer.offerText("c")
        buffer.offer(usage(3))
        buffer.end()
      }
      const polled = ChunkBuffer.make(4, overflow)
      const raw = ChunkBuffer.make(4, overflow)
      fill(polled)
      fill(raw)
      const elements = polled.poll()!
      const entries = raw.pollText()!
      assert.deepStrictEqual(entries, [state("jobStarted"), "a", reasoning("r"), "bc", usage(3)])
      assert.deepStrictEqual(elements, entries.map((e) => typeof e === "string" ? text(e) : e))
      assert.isUndefined(raw.pollText())
      assert.isTrue(raw.ended())

      // at most maxPull a call, the rest at the next
      const long = ChunkBuffer.make(4 * ChunkBuffer.maxPull, overflow)
      for (let i = 0; i < ChunkBuffer.maxPull + 3; i++) long.offerText(`t${i}`)
      assert.strictEqual(long.pollText()!.length, ChunkBuffer.maxPull)
      assert.deepStrictEqual(long.pollText(), [`t${ChunkBuffer.maxPull}`, `t${ChunkBuffer.maxPull + 1}`, `t${ChunkBuffer.maxPull + 2}`])
    }))

  it.effect("an interrupted take leaves no waiter behind", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(4, overflow)
      const fiber = yield* Effect.fork(buffer.take)
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      buffer.offer(text("z"))
      buffer.end()
      assert.deepStrictEqual((yield* drain(buffer)).chunks, [text("z")])
    }))
  it.effect("a plain-JS consumer polls what waits, is called back once per wake, and sees the failure after the chunks", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(8, overflow)
      assert.isUndefined(buffer.poll())
      let calls = 0
      buffer.onReady(() => calls++)
      buffer.offer(text("a"))
      buffer.offer(text("b"))
      // one callback for the wake, none for the chunk that joined it
      assert.strictEqual(calls, 1)
      assert.deepStrictEqual(buffer.poll(), [text("a"), text("b")])
      assert.isUndefined(buffer.poll())
      // registering while something waits calls back at once
      buffer.offer(text("c"))
      buffer.onReady(() => calls++)
      assert.strictEqual(calls, 2)
      const endWaiter = yield* Effect.fork(buffer.awaitEnd)
      const error = overflow(0)
      buffer.fail(error)
      yield* Fiber.join(endWaiter)
      assert.isTrue(buffer.ended())
      assert.strictEqual(buffer.failure(), error)
      // the chunk before the failure is still handed out, then nothing
      assert.deepStrictEqual(buffer.poll(), [text("c")])
      assert.isUndefined(buffer.poll())
      buffer.onReady(() => calls++)
      assert.strictEqual(calls, 3)
      // later offers are ignored
      buffer.offer(text("d"))
      assert.isUndefined(buffer.poll())
    }))
  it.live("coalescing: the first chunk after a quiet spell wakes at once, later ones come together after the interval", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(64, overflow, 30)
      let wakes = 0
      buffer.onReady(() => wakes++)
      buffer.offer(text("a"))
      // woken at once: nothing was handed over in the last 30 ms
      assert.strictEqual(wakes, 1)
      assert.deepStrictEqual(buffer.poll(), [text("a")])
      buffer.onReady(() => wakes++)
      buffer.offer(text("b"))
      buffer.offer(text("c"))
      // within the interval: the wake waits for its end, with both chunks
      assert.strictEqual(wakes, 1)
      yield* Effect.promise(() => new Promise<void>((resolve) => buffer.onReady(resolve)))
      assert.strictEqual(wakes, 1)
      assert.deepStrictEqual(buffer.poll(), [text("b"), text("c")])
      // the ending is handed over at once, and clears a pending wake
      buffer.offer(text("d"))
      let endWake = false
      buffer.onReady(() => (endWake = true))
      buffer.end()
      assert.isTrue(endWake)
      assert.deepStrictEqual(buffer.poll(), [text("d")])
    }))

  it.effect("coalescing: a backlog of a quarter of the capacity wakes the consumer inside the interval", () =>
    Effect.sync(() => {
      let now = 1_000
      // capacity 8: two waiting chunks are a backlog
      const buffer = ChunkBuffer.make(8, overflow, 1_000, () => now)
      let wakes = 0
      buffer.onReady(() => wakes++)
      buffer.offer(text("a"))
      assert.strictEqual(wakes, 1)
      assert.deepStrictEqual(buffer.poll(), [text("a")])
      buffer.onReady(() => wakes++)
      now += 10
      buffer.offer(text("b"))
      // one chunk, 10 ms into the 1 s interval: the wake waits
      assert.strictEqual(wakes, 1)
      buffer.offer(text("c"))
      // two: woken now, with both, and the pending timer is gone
      assert.strictEqual(wakes, 2)
      assert.deepStrictEqual(buffer.poll(), [text("b"), text("c")])
      // the interval restarts from this wake, read through the given clock
      buffer.onReady(() => wakes++)
      now += 999
      buffer.offer(text("d"))
      assert.strictEqual(wakes, 2)
      now += 1
      buffer.end()
      assert.strictEqual(wakes, 3)
      assert.deepStrictEqual(buffer.poll(), [text("d")])
    }))

  it.live("coalescing: a fiber waiting in take is woken once per interval with everything that came", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(64, overflow, 200)
      const consumer = yield* Effect.fork(drain(buffer))
      const batches: Array<number> = []
      // 10 bursts of 3 chunks, 2 ms apart: 30 chunks in ~20 ms reach the consumer in two or three takes
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 3; j++) buffer.offer(text(`${i}.${j} `))
        yield* Effect.sleep("2 millis")
        batches.push(buffer.size())
      }
      buffer.end()
      const { chunks, error } = yield* Fiber.join(consumer)
      assert.isUndefined(error)
      assert.strictEqual(chunks.length, 30)
      assert.strictEqual(joined(chunks, "TextDelta"), Array.from({ length: 30 }, (_, k) => `${Math.floor(k / 3)}.${k % 3} `).join(""))
      // chunks piled up between wakes (without coalescing each burst would be taken at once)
      assert.isTrue(batches.some((n) => n >= 3), `waiting after each burst: ${batches.join(",")}`)
    }))
  it.effect("text offered as a string comes out as the same TextDelta, merged and ordered as an offered TextDelta", () =>
    Effect.gen(function*() {
      // the same pseudo-random sequences through two buffers: one offered elements, one strings for text
      let seed = 11
      const next = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n
      }
      for (let run = 0; run < 200; run++) {
        const capacity = 2 + next(6)
        const asElements = ChunkBuffer.make(capacity, overflow)
        const asText = ChunkBuffer.make(capacity, overflow)
        const offered: Array<ChatChunk> = [state("pending")]
        let n = 0
        for (let i = 0; i < 40; i++) {
          const k = next(10)
          offered.push(k < 6 ? text(`t${i}`) : k < 8 ? usage(++n) : k < 9 ? reasoning(`r${i}`) : state(`s${i}`))
        }
        for (const c of offered) {
          asElements.offer(c)
          if (c._tag === "TextDelta") asText.offerText(c.text)
          else asText.offer(c)
          assert.strictEqual(asText.size(), asElements.size())
        }
        asElements.end()
        asText.end()
        const a = yield* drain(asElements)
        const b = yield* drain(asText)
        assert.deepStrictEqual(b.chunks, a.chunks)
        assert.deepStrictEqual(b.error, a.error)
        // a TextDelta made from a string equals one made by the constructor (Equal.equals and structure)
        for (const c of b.chunks) if (c._tag === "TextDelta") assert.deepStrictEqual(c, text(c.text))
      }
    }))

  it.effect("a pull hands over at most maxPull elements; the rest follow in order without a new offer", () =>
    Effect.gen(function*() {
      const total = ChunkBuffer.maxPull * 5 + 3
      const buffer = ChunkBuffer.make(total + 10, overflow)
      for (let i = 0; i < total; i++) {
        if (i % 100 === 0) buffer.offer(state(`s${i}`))
        else buffer.offerText(`${i},`)
      }
      const sizes: Array<number> = []
      const taken: Array<ChatChunk> = []
      // the plain-JS side first, then fibers: both read the same queue
      const polled = buffer.poll()!
      sizes.push(polled.length)
      taken.push(...polled)
      assert.strictEqual(buffer.size(), total - ChunkBuffer.maxPull)
      buffer.end()
      const { chunks, error } = yield* drain(buffer)
      assert.isUndefined(error)
      taken.push(...chunks)
      assert.strictEqual(sizes[0], ChunkBuffer.maxPull)
      assert.strictEqual(taken.length, total)
      taken.forEach((c, i) => {
        if (i % 100 === 0) assert.deepStrictEqual(c, state(`s${i}`))
        else assert.deepStrictEqual(c, text(`${i},`))
      })
    }))

  it.effect("with a backlog past maxPull, overflow still merges string text into the newest waiting text", () =>
    Effect.gen(function*() {
      const capacity = ChunkBuffer.maxPull + 4
      const buffer = ChunkBuffer.make(capacity, overflow)
      for (let i = 0; i < capacity; i++) buffer.offerText("a")
      // part of the backlog leaves; what is left waits past the handed-over slots
      assert.strictEqual(buffer.poll()!.length, ChunkBuffer.maxPull)
      for (let i = 0; i < capacity - 4; i++) buffer.offerText("b")
      assert.strictEqual(buffer.size(), capacity)
      buffer.offerText("c")
      buffer.offer(usage(1))
      buffer.offerText("d")
      assert.strictEqual(buffer.size(), capacity + 1)
      buffer.end()
      const { chunks } = yield* drain(buffer)
      assert.deepStrictEqual(chunks.at(-1), usage(1))
      assert.deepStrictEqual(chunks.at(-2), text("bcd"))
      assert.strictEqual(joined(chunks, "TextDelta"), "a".repeat(4) + "b".repeat(capacity - 4) + "cd")
    }))

  it.effect("slots are reused across batches and compacted in place: any mix of offers and partial pulls keeps every chunk in order", () =>
    Effect.sync(() => {
      // a deterministic pseudo-random schedule: bursts of offers (text and lifecycle chunks) between pulls,
      // long enough backlogs to pass the in-place compaction (1024 spent slots) many times
      let seed = 7
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n
      }
      const capacity = 100_000
      const buffer = ChunkBuffer.make(capacity, overflow)
      const expected: Array<ChatChunk> = []
      const taken: Array<ChatChunk> = []
      let next = 0
      for (let round = 0; round < 150; round++) {
        const burst = rand(3) === 0 ? rand(3000) : rand(300)
        for (let i = 0; i < burst; i++, next++) {
          if (next % 97 === 0) {
            buffer.offer(state(`s${next}`))
            expected.push(state(`s${next}`))
          } else {
            buffer.offerText(`${next};`)
            expected.push(text(`${next};`))
          }
        }
        // sometimes one pull (partial when the backlog is past maxPull), sometimes everything
        const pulls = rand(2) === 0 ? 1 : Number.POSITIVE_INFINITY
        for (let k = 0; k < pulls; k++) {
          const batch = buffer.poll()
          if (batch === undefined) break
          assert.isAtMost(batch.length, ChunkBuffer.maxPull)
          taken.push(...batch)
        }
        assert.strictEqual(buffer.size(), expected.length - taken.length)
      }
      for (let batch = buffer.poll(); batch !== undefined; batch = buffer.poll()) taken.push(...batch)
      assert.strictEqual(taken.length, expected.length)
      assert.deepStrictEqual(taken, expected)
    }))

  it.effect("a text that comes again is handed over as the same element; long texts and other tags are not shared", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(64, overflow)
      const long = "x".repeat(ChunkBuffer.sharedTextLength + 1)
      for (const t of [" the", ",", " the", long, long]) buffer.offerText(t)
      buffer.offer(reasoning(" the"))
      const first = Chunk.toReadonlyArray(yield* buffer.take)
      // later pulls share the elements of earlier ones
      buffer.offerText(" the")
      buffer.offer(text(","))
      buffer.end()
      const second = Chunk.toReadonlyArray(yield* buffer.take)
      assert.deepStrictEqual(first, [text(" the"), text(","), text(" the"), text(long), text(long), reasoning(" the")])
      assert.deepStrictEqual(second, [text(" the"), text(",")])
      assert.strictEqual(first[0], first[2])
      assert.strictEqual(second[0], first[0])
      assert.strictEqual(second[1], first[1])
      assert.notStrictEqual(first[3], first[4])
      assert.notStrictEqual(first[5], first[0])
    }))

  it.effect("sharing stays correct past the table's size (it starts over, it does not grow)", () =>
    Effect.gen(function*() {
      const buffer = ChunkBuffer.make(ChunkBuffer.sharedTexts * 4, overflow)
      const texts: Array<string> = []
      // more distinct texts than the table holds, then the first ones again
      for (let i = 0; i < ChunkBuffer.sharedTexts * 2 + 10; i++) texts.push(` t${i}`)
      for (let i = 0; i < 20; i++) texts.push(` t${i}`)
      for (const t of texts) buffer.offerText(t)
      buffer.end()
      const { chunks, error } = yield* drain(buffer)
      assert.isUndefined(error)
      assert.deepStrictEqual(chunks, texts.map(text))
    }))
})
