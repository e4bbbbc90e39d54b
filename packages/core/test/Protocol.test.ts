import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as fs from "node:fs"
import * as path from "node:path"
import { isDeepStrictEqual } from "node:util"
import * as Schema from "effect/Schema"
import { Protocol } from "../src/index.js"

const fixturesDir = path.resolve(__dirname, "../../../fixtures/protocol")
const fixtures = fs
  .readdirSync(fixturesDir)
  .filter((f) => /^\d\d-.*\.json$/.test(f))
  .map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(path.join(fixturesDir, f), "utf8")) })) as Array<{
    file: string
    frame: string
    direction: "server->client" | "client->server"
    payload: unknown
    wire: { type: string; data: string }
  }>

describe("Protocol fixtures", () => {
  it("finds all 21 numbered fixtures", () => {
    expect(fixtures.length).toBe(21)
  })

  for (const fx of fixtures) {
    it(`decodes ${fx.file}`, () => {
      const raw = JSON.stringify(fx.wire)
      const decoded: Either.Either<{ readonly type: string }, Protocol.FrameSkip> = fx.direction === "server->client"
        ? Protocol.decodeServerFrame(raw)
        : Protocol.decodeClientFrame(raw)
      if (Either.isLeft(decoded)) throw new Error(`${fx.file}: ${decoded.left.message}`)
      expect(decoded.right.type).toBe(fx.frame)
      // the wire data decodes to the documented payload
      const env = Protocol.decodeEnvelope(raw)
      expect(Either.getOrThrow(env).payload).toEqual(fx.payload)
    })

    it(`re-encodes ${fx.file} to the same bytes`, () => {
      expect(Protocol.encodeFrame(fx.wire.type, fx.payload)).toBe(JSON.stringify(fx.wire))
    })
  }
})

describe("Protocol envelope tolerance", () => {
  it("skips frames without data, with null data, unknown types and non-JSON", () => {
    const cases: Array<[string, string]> = [
      ['{"type":"jobState"}', "NoData"],
      [`{"type":"jobState","data":"${Buffer.from("null").toString("base64")}"}`, "NoData"],
      [Protocol.encodeFrame("somethingNew", { a: 1 }), "UnknownType"],
      ["not json", "NotJson"],
      ['{"data":"e30="}', "NoType"],
      ['{"type":"jobState","data":"%%%"}', "BadBase64"],
      [Protocol.encodeFrame("jobProgress", { imgID: "x" }), "InvalidPayload"]
    ]
    for (const [raw, reason] of cases) {
      const r = Protocol.decodeServerFrame(raw)
      expect(Either.isLeft(r) && r.left.reason).toBe(reason)
    }
  })

  it("upper-cases top-level jobID and imgID only", () => {
    const raw = Protocol.encodeFrame("jobProgress", { jobID: "ab-cd", imgID: "ef", step: 1, stepCount: 2 })
    const r = Either.getOrThrow(Protocol.decodeServerFrame(raw))
    expect(r.type === "jobProgress" && [r.payload.jobID, r.payload.imgID]).toEqual(["AB-CD", "EF"])
    const nested = Protocol.encodeFrame("authenticated", {
      activeProjects: [{ id: "lower", status: "progress" }],
      unclaimedCompletedProjects: []
    })
    const a = Either.getOrThrow(Protocol.decodeServerFrame(nested))
    expect(a.type === "authenticated" && a.payload.activeProjects[0]!.id).toBe("lower")
  })

  it("reads binary frames as UTF-8", () => {
    const text = Protocol.encodeFrame("changeNetwork", { network: "relaxed" })
    const r = Either.getOrThrow(Protocol.decodeServerFrame(new TextEncoder().encode(text)))
    expect(r).toEqual({ type: "changeNetwork", payload: { network: "relaxed" } })
  })
})

/** The envelope read entirely through `JSON.parse` and `Buffer`: what the server-form shortcut must agree with. */
const referenceEnvelope = (raw: string): { reason: string } | { type: string; payload: unknown } => {
  let outer: any
  try {
    outer = JSON.parse(raw)
  } catch {
    return { reason: "NotJson" }
  }
  if (typeof outer !== "object" || outer === null) return { reason: "NotJson" }
  if (typeof outer.type !== "string" || outer.type.length === 0) return { reason: "NoType" }
  if (typeof outer.data !== "string" || outer.data.length === 0) return { reason: "NoData" }
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(outer.data, "base64").toString("utf8"))
  } catch {
    return { reason: /^[A-Za-z0-9+/]*={0,2}$/.test(outer.data) ? "NotJson" : "BadBase64" }
  }
  if (payload === null) return { reason: "NoData" }
  return { type: outer.type, payload: Protocol.normalizeIds(payload) }
}

const envelopeOf = (raw: string) => {
  const r = Protocol.decodeEnvelope(raw)
  return Either.isLeft(r) ? { reason: r.left.reason } : { type: r.right.type, payload: r.right.payload }
}

describe("Protocol envelope in the server's form", () => {
  // what can stand between the quotes of the server's form and make JSON read it otherwise than as
  // written (escapes, control characters), or make it other than plain base64
  const oddities = ["\\/", "\\u0041", "\\n", "\\\\", "\\\"", "\n", "\t", "\u0000", "-", "_", "=", " ", "é", "%", "A", "=="]
  const spliced = (text: string, at: number, what: string) => text.slice(0, at) + what + text.slice(at)

  it("a frame in the server's form, however its type or data are altered, reads as JSON.parse and Buffer read it", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.string({ minLength: 0, maxLength: 12 }),
        FastCheck.jsonValue(),
        FastCheck.array(
          FastCheck.tuple(FastCheck.boolean(), FastCheck.nat(), FastCheck.constantFrom(...oddities)),
          { maxLength: 2 }
        ),
        (type, value, changes) => {
          let t = type
          let data = Buffer.from(JSON.stringify(value), "utf8").toString("base64")
          for (const [inType, at, what] of changes) {
            if (inType) t = spliced(t, at % (t.length + 1), what)
            else data = spliced(data, at % (data.length + 1), what)
          }
          const raw = `{"type":"${t}","data":"${data}"}`
          expect(envelopeOf(raw)).toEqual(referenceEnvelope(raw))
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("reads frames in other forms, unpadded data and data larger than the decoding buffer as JSON does", () => {
    const big = { text: "x".repeat(40_000), jobID: "ab" }
    const cases = [
      Protocol.encodeFrame("jobTokens", big),
      `{"data":"${Buffer.from("{}").toString("base64")}","type":"jobState"}`,
      `{ "type":"jobState","data":"${Buffer.from("{}").toString("base64")}"}`,
      `{"type":"jobState","data":"${Buffer.from("{}").toString("base64")}","extra":1}`,
      `{"type":"jobState","data":"${Buffer.from("{}").toString("base64")}"}\n`,
      `{"type":"jobState","data":"${Buffer.from('{"a":1}').toString("base64").replace(/=+$/, "")}"}`,
      `{"type":"","data":"e30="}`,
      `{"type":"jobState","data":""}`,
      `{"type":"jobState","data":"===="}`,
      `{"type":"jobState","data":"QQ=A"}`,
      `{"type":"jobState","data":"${Buffer.from("not json").toString("base64")}"}`,
      // the url-safe alphabet, which Buffer decodes too: of JSON (read alike), of something else (BadBase64)
      `{"type":"jobState","data":"${Buffer.from('{"a":"?>?>"}').toString("base64url")}"}`,
      `{"type":"jobState","data":"-_-_"}`,
      `{"type":"jobState","data":"${Buffer.from("not json?>").toString("base64url")}=="}`
    ]
    for (const raw of cases) expect(envelopeOf(raw)).toEqual(referenceEnvelope(raw))
    expect(envelopeOf(cases[0]!)).toEqual({ type: "jobTokens", payload: { text: big.text, jobID: "AB" } })
  })
})

/** Object keys; `__proto__` is a JavaScript quirk rather than protocol data, so it is left out. */
const safeKey = (maxLength: number) =>
  FastCheck.string({ minLength: 1, maxLength }).filter((k) => k !== "__proto__" && k !== "constructor")

describe("Protocol round trips (property)", () => {
  it("any JSON payload survives encodeFrame → decodeEnvelope", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ minLength: 1 }), FastCheck.jsonValue(), (type, value) => {
        FastCheck.pre(value !== null)
        const r = Protocol.decodeEnvelope(Protocol.encodeFrame(type, value))
        return Either.isRight(r) && r.right.type === type && JSON.stringify(r.right.payload) === JSON.stringify(Protocol.normalizeIds(value))
      })
    )
  })

  it("client messages: encode → decode is the identity", () => {
    const upperId = FastCheck.uuid().map((s) => s.toUpperCase())
    const message = FastCheck.oneof(
      upperId.map((jobID) => ({ type: "llmJobCancel" as const, payload: { jobID } })),
      upperId.map((jobID) => ({
        type: "jobError" as const,
        payload: { jobID, error: "artistCanceled" as const, error_message: "artistCanceled", isFromWorker: false as const }
      })),
      FastCheck.constantFrom("fast" as const, "relaxed" as const).map((n) => ({ type: "changeNetwork" as const, payload: n })),
      FastCheck.dictionary(safeKey(12), FastCheck.boolean()).map((subscriptions) => ({
        type: "setSocketEventSubscriptions" as const,
        payload: { subscriptions }
      })),
      FastCheck.record({
        jobID: upperId,
        numberOfImages: FastCheck.integer({ min: 1, max: 16 }),
        outputFormat: FastCheck.constantFrom("png", "jpg", "webp"),
        keyFrames: FastCheck.array(FastCheck.dictionary(safeKey(8), FastCheck.jsonValue()), { minLength: 1, maxLength: 1 })
      }).map((payload) => ({ type: "jobRequest" as const, payload }))
    )
    FastCheck.assert(
      FastCheck.property(message, (m) => {
        const wire = Either.getOrThrow(Protocol.encodeClientMessage(m as Protocol.ClientMessage))
        const back = Either.getOrThrow(Protocol.decodeClientFrame(wire))
        return isDeepStrictEqual(back, JSON.parse(JSON.stringify(m)))
      })
    )
  })

  it("server events: encode → decode is the identity for job frames", () => {
    const upperId = FastCheck.uuid().map((s) => s.toUpperCase())
    const event = FastCheck.oneof(
      FastCheck.record({ jobID: upperId, imgID: upperId, step: FastCheck.nat(), stepCount: FastCheck.nat() }).map((payload) => ({
        type: "jobProgress" as const,
        payload
      })),
      FastCheck.record({ jobID: upperId, imgID: upperId, etaSeconds: FastCheck.nat() }).map((payload) => ({ type: "jobETA" as const, payload })),
      FastCheck.record({ jobID: upperId, queuePosition: FastCheck.nat() }).map((p) => ({
        type: "jobState" as const,
        payload: { type: "queued" as const, ...p }
      })),
      FastCheck.record({ jobID: upperId, didCancel: FastCheck.boolean() }).map((payload) => ({
        type: "artistCancelConfirmation" as const,
        payload
      }))
    )
    FastCheck.assert(
      FastCheck.property(event, (e) => {
        const wire = Either.getOrThrow(Protocol.encodeServerEvent(e as Protocol.ServerEvent))
        return isDeepStrictEqual(Either.getOrThrow(Protocol.decodeServerFrame(wire)), e)
      })
    )
  })
})

describe("Protocol fast shape checks", () => {
  const value = FastCheck.oneof(
    FastCheck.string({ maxLength: 6 }),
    FastCheck.double(),
    FastCheck.integer(),
    FastCheck.boolean(),
    FastCheck.constant(null),
    FastCheck.constant(undefined),
    FastCheck.array(FastCheck.oneof(FastCheck.string({ maxLength: 3 }), FastCheck.integer()), { maxLength: 2 }),
    FastCheck.dictionary(FastCheck.constantFrom("phase", "prompt_tokens", "completion_tokens", "name", "arguments"), FastCheck.oneof(FastCheck.string({ maxLength: 3 }), FastCheck.integer()))
  )
  const fields: Record<string, ReadonlyArray<string>> = {
    jobProgress: ["jobID", "imgID", "step", "stepCount", "progress", "hasImage", "etaSeconds", "etaMin", "etaMax"],
    jobETA: ["jobID", "imgID", "etaSeconds"],
    jobState: ["type", "jobID", "imgID", "workerName", "jobIndex", "queuePosition", "estimatedStartSeconds", "queueStatus", "modelId", "preparation"],
    jobResult: ["jobID", "imgID", "performedStepCount", "lastSeed", "userCanceled", "triggeredNSFWFilter", "nsfwSources", "resultUrl", "outputFormat", "videoUrl"],
    jobTokens: ["jobID", "content", "role", "finishReason", "usage", "tool_calls"]
  }
  const typical: Record<string, FastCheck.Arbitrary<unknown>> = {
    type: FastCheck.constantFrom("queued", "jobStarted", "jobCompleted", "initiatingModel", "other"),
    jobID: FastCheck.constantFrom("ABC", 7),
    tool_calls: FastCheck.array(FastCheck.record({ index: FastCheck.oneof(FastCheck.integer(), FastCheck.string()), id: FastCheck.string({ maxLength: 3 }) }), { maxLength: 2 })
  }
  const num = FastCheck.oneof(FastCheck.integer(), FastCheck.double())
  const str = FastCheck.string({ maxLength: 4 })
  const valid: Record<string, FastCheck.Arbitrary<unknown>> = {
    imgID: str, workerName: str, queueStatus: str, modelId: str, lastSeed: str, outputFormat: str,
    step: num, stepCount: num, progress: num, etaSeconds: num, etaMin: num, etaMax: num, jobIndex: num,
    queuePosition: num, performedStepCount: num, estimatedStartSeconds: FastCheck.oneof(num, FastCheck.constant(null)),
    hasImage: FastCheck.boolean(), userCanceled: FastCheck.boolean(), triggeredNSFWFilter: FastCheck.boolean(),
    nsfwSources: FastCheck.array(str, { maxLength: 2 }), resultUrl: FastCheck.oneof(str, FastCheck.constant(null)),
    videoUrl: FastCheck.oneof(str, FastCheck.constant(null)), content: str, role: str, finishReason: str,
    preparation: FastCheck.record({ phase: FastCheck.oneof(str, FastCheck.integer()) }),
    usage: FastCheck.record({ prompt_tokens: FastCheck.oneof(num, str), completion_tokens: num }, { requiredKeys: ["completion_tokens"] })
  }
  for (const [type, keys] of Object.entries(fields)) {
    it(`${type}: whatever the fast check accepts, the schema accepts too`, () => {
      let fastHits = 0
      const obj = FastCheck.record(
        Object.fromEntries(keys.map((k) => [k, FastCheck.oneof(
          { weight: 1, arbitrary: value },
          { weight: 4, arbitrary: typical[k] ?? valid[k] ?? value }
        )])),
        { requiredKeys: [] }
      )
      FastCheck.assert(
        FastCheck.property(obj, (payload) => {
          const fast = Protocol.fastChecks[type as Protocol.ServerEventType]!(payload)
          if (!fast) return true
          fastHits++
          const viaSchema = Schema.decodeUnknownEither(Protocol.ServerEventSchemas[type as Protocol.ServerEventType] as Schema.Schema<unknown, unknown>)(payload)
          return Either.isRight(viaSchema)
        }),
        { numRuns: 2000 }
      )
      expect(fastHits).toBeGreaterThan(0)
    })
  }
})

describe("Protocol fast checks of the connection's opening frames", () => {
  const value = FastCheck.oneof(
    FastCheck.string({ maxLength: 4 }),
    FastCheck.integer(),
    FastCheck.boolean(),
    FastCheck.constant(null),
    FastCheck.constant(undefined),
    FastCheck.array(FastCheck.oneof(FastCheck.string({ maxLength: 3 }), FastCheck.integer()), { maxLength: 2 })
  )
  const str = FastCheck.string({ maxLength: 4 })
  const maybe = <A,>(valid: FastCheck.Arbitrary<A>) =>
    FastCheck.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: value })
  const balance = FastCheck.record(
    {
      settled: maybe(str), credit: maybe(str), debit: maybe(str), net: maybe(str),
      relaxedUnclaimed: maybe(str), fastUnclaimed: maybe(str), premiumCredit: maybe(str)
    },
    { requiredKeys: [] }
  )
  const balances = FastCheck.record({ sogni: maybe(balance), spark: maybe(balance) }, { requiredKeys: [] })
  const recovered = FastCheck.record({ id: str, status: str }, { requiredKeys: ["id", "status"] })
  const projects = FastCheck.oneof(
    FastCheck.constant([]),
    FastCheck.array(FastCheck.oneof(recovered, value), { maxLength: 2 }),
    value
  )
  const payloads: Record<string, FastCheck.Arbitrary<unknown>> = {
    authenticated: FastCheck.record(
      {
        id: maybe(str), clientType: maybe(str), username: maybe(str), address: maybe(str),
        SID: maybe(FastCheck.integer()), clientSID: maybe(FastCheck.integer()), addressSID: maybe(FastCheck.integer()),
        balanceVersion: maybe(FastCheck.integer()), tokens: maybe(balances), subscriptionEntitlement: value,
        activeProjects: projects, unclaimedCompletedProjects: projects,
        activeLLMJobIDs: maybe(FastCheck.array(str, { maxLength: 2 })), isMainnet: maybe(FastCheck.boolean()),
        accountWasMigrated: maybe(FastCheck.boolean()), freeSparkLocked: maybe(FastCheck.boolean()),
        freeSparkUnlockPath: maybe(str)
      },
      { requiredKeys: [] }
    ),
    balanceUpdate: balances,
    changeNetwork: FastCheck.record({ network: FastCheck.oneof(FastCheck.constantFrom("fast", "relaxed", "other"), value) }, {
      requiredKeys: []
    }),
    swarmModels: FastCheck.oneof(
      FastCheck.dictionary(str, maybe(FastCheck.integer()), { maxKeys: 3 }),
      value
    ),
    swarmLLMModels: FastCheck.oneof(
      FastCheck.dictionary(
        str,
        maybe(FastCheck.oneof(FastCheck.integer(), FastCheck.record({ workers: maybe(FastCheck.integer()), name: str }))),
        { maxKeys: 3 }
      ),
      value
    )
  }
  for (const [type, arbitrary] of Object.entries(payloads)) {
    it(`${type}: whatever the fast check accepts, the schema accepts too, with the same fields`, () => {
      let fastHits = 0
      FastCheck.assert(
        FastCheck.property(arbitrary, (payload) => {
          if (!Protocol.fastChecks[type as Protocol.ServerEventType]!(payload)) return true
          fastHits++
          const viaSchema = Schema.decodeUnknownEither(
            Protocol.ServerEventSchemas[type as Protocol.ServerEventType] as Schema.Schema<unknown, unknown>
          )(payload)
          if (Either.isLeft(viaSchema)) return false
          // the fast path hands the payload on as it is: every field the schema's output has must be there,
          // equal (the schema drops unknown fields; the fast path keeps them, as for the per-frame checks)
          const out = viaSchema.right as Record<string, unknown>
          for (const [k, v] of Object.entries(out)) {
            expect((payload as Record<string, unknown>)[k]).toEqual(v)
          }
          return true
        }),
        { numRuns: 2000 }
      )
      expect(fastHits).toBeGreaterThan(0)
    })
  }

  it("an authenticated frame listing projects to recover, or without its project lists, goes through the schema", () => {
    const base = { id: "C1", tokens: undefined, activeLLMJobIDs: [] }
    const check = Protocol.fastChecks.authenticated!
    expect(check({ ...base, activeProjects: [], unclaimedCompletedProjects: [] })).toBe(true)
    expect(check({ ...base, activeProjects: [{ id: "P1", status: "active" }], unclaimedCompletedProjects: [] })).toBe(false)
    expect(check(base)).toBe(false)
    const decoded = Protocol.decodeServerFrame(Protocol.encodeFrame("authenticated", { id: "C1" } as never))
    expect(Either.isRight(decoded) && decoded.right.type === "authenticated" && decoded.right.payload.activeProjects)
      .toEqual([])
  })
})

describe("Protocol binary frames", () => {
  it("a frame as a Node Buffer, as a plain Uint8Array or as text decodes to the same event (UTF-8 included)", () => {
    const text = Protocol.encodeFrame("jobProgress", { jobID: "J1", imgID: "I1", step: 3, stepCount: 4, workerName: "wörker ✓" })
    const asText = Protocol.decodeServerFrame(text)
    const bytes = Buffer.from(text, "utf8")
    const plain = new Uint8Array(bytes.length)
    plain.set(bytes)
    expect(Either.isRight(asText)).toBe(true)
    expect(Protocol.decodeServerFrame(bytes)).toEqual(asText)
    expect(Protocol.decodeServerFrame(plain)).toEqual(asText)
    // bytes that are not UTF-8 are replaced, not fatal: the frame is skipped as not JSON
    const broken = Protocol.decodeServerFrame(Buffer.from([0x7b, 0xff, 0xfe]))
    expect(Either.isLeft(broken) && broken.left.reason).toBe("NotJson")
  })
})

describe("Protocol fast client encoders", () => {
  const value = FastCheck.oneof(
    FastCheck.string({ maxLength: 6 }),
    FastCheck.integer(),
    FastCheck.boolean(),
    FastCheck.constant(null),
    FastCheck.constant(undefined),
    FastCheck.array(FastCheck.integer(), { maxLength: 2 })
  )
  const str = FastCheck.string({ maxLength: 4 })
  const keyFrame = FastCheck.dictionary(FastCheck.constantFrom("modelID", "positivePrompt", "steps", "seed", "x"), value)
  const typical: Record<string, FastCheck.Arbitrary<unknown>> = {
    jobID: str,
    keyFrames: FastCheck.array(FastCheck.oneof({ weight: 6, arbitrary: keyFrame }, { weight: 1, arbitrary: value }), { maxLength: 3 }),
    numberOfImages: FastCheck.integer(),
    previews: FastCheck.integer(),
    outputFormat: str,
    disableSafety: FastCheck.boolean(),
    tokenType: FastCheck.constantFrom("spark", "sogni", "other"),
    network: FastCheck.constantFrom("fast", "relaxed", "slow"),
    appSource: str,
    sizePreset: str,
    width: FastCheck.integer()
  }
  // keys in any order (the encoder writes the declared ones in the schema's order), some missing
  const request = FastCheck.shuffledSubarray(Object.keys(typical), { minLength: 0 }).chain((keys) =>
    FastCheck.tuple(
      FastCheck.constant(keys),
      FastCheck.tuple(...keys.map((k) => FastCheck.oneof({ weight: 1, arbitrary: value }, { weight: 8, arbitrary: typical[k]! })))
    ).map(([ks, vs]) => Object.fromEntries(ks.map((k, i) => [k, vs[i]])))
  )

  it("jobRequest: whatever the fast encoder accepts, the schema encodes to the same keys and values; the fast one writes the request's own text (its key order)", () => {
    let fastHits = 0
    FastCheck.assert(
      FastCheck.property(request, (payload) => {
        const viaSchema = Schema.encodeUnknownEither(Protocol.JobRequest as Schema.Schema<unknown, unknown>)(payload)
        const fast = Protocol.fastClientEncoders.jobRequest!(payload)
        if (fast === undefined) return true
        fastHits++
        return Either.isRight(viaSchema) && JSON.stringify(fast) === JSON.stringify(payload) &&
          isDeepStrictEqual(JSON.parse(JSON.stringify(fast)), JSON.parse(JSON.stringify(viaSchema.right)))
      }),
      { numRuns: 3000 }
    )
    expect(fastHits).toBeGreaterThan(100)
  })

  it("jobRequest: what JSON.stringify would not write as a plain copy does goes through the schema", () => {
    const base = { jobID: "J1", keyFrames: [{ steps: 4, modelID: "m" }], numberOfImages: 2 }
    const schemaFrame = (payload: object) =>
      Protocol.encodeFrame("jobRequest", Schema.encodeUnknownSync(Protocol.JobRequest as Schema.Schema<unknown, unknown>)(payload))
    class Request {
      jobID = "J1"
      keyFrames = [{ steps: 4 }]
      numberOfImages = 2
      toJSON() {
        return { replaced: true }
      }
    }
    const withToJson = { ...base, toJSON: () => ({ replaced: true }) }
    const withProtoKey = JSON.parse(`{"jobID":"J1","keyFrames":[],"numberOfImages":1,"__proto__":{"x":1}}`) as object
    const hiddenId = Object.defineProperty({ keyFrames: [], numberOfImages: 1 }, "jobID", { value: "J1", enumerable: false })
    for (const odd of [new Request(), withToJson, withProtoKey, hiddenId]) {
      expect(Protocol.fastClientEncoders.jobRequest!(odd)).toBeUndefined()
      const frame = Protocol.encodeClientMessage({ type: "jobRequest", payload: odd } as unknown as Protocol.ClientMessage)
      expect(frame).toEqual(Either.right(schemaFrame(odd)))
    }
    // a plain request is written as it is
    expect(Protocol.fastClientEncoders.jobRequest!(base)).toBe(base)
  })

  it("jobRequest: the frame is the request's own JSON, decoding to what the schema's would, and a refused request still fails with the schema's issue", () => {
    const payload = {
      network: "fast",
      jobID: "J1",
      keyFrames: [{ steps: 4, modelID: "m" }],
      extra: { a: 1 },
      numberOfImages: 2,
      tokenType: "spark"
    }
    const frame = Protocol.encodeClientMessage({ type: "jobRequest", payload } as Protocol.ClientMessage)
    const viaSchema = Schema.encodeUnknownSync(Protocol.JobRequest as Schema.Schema<unknown, unknown>)(payload)
    expect(frame).toEqual(Either.right(Protocol.encodeFrame("jobRequest", payload)))
    const sent = Protocol.decodeClientFrame(Either.getOrThrow(frame))
    expect(Either.isRight(sent) && isDeepStrictEqual(sent.right.payload, Protocol.decodeClientFrame(Protocol.encodeFrame("jobRequest", viaSchema)).pipe(Either.getOrThrow).payload)).toBe(true)
    const refused = Protocol.encodeClientMessage({ type: "jobRequest", payload: { ...payload, numberOfImages: "2" } } as unknown as Protocol.ClientMessage)
    expect(Either.isLeft(refused)).toBe(true)
  })
})

describe("Protocol plan-limit fields", () => {
  const plan = { requiredPlans: ["unlimited_pro"], feature: "video_4k_render", limitation: "4K needs Pro." }

  it("socket and chat job errors carry the same plan-limit fields", () => {
    const socket = Schema.decodeUnknownSync(Protocol.JobError)({ jobID: "J", error: 4081, subscriptionLimit: true, ...plan })
    const chat = Schema.decodeUnknownSync(Protocol.LLMJobError)({ jobID: "J", error: "subscription_unavailable", subscriptionLimit: true, ...plan })
    const picked = (e: Protocol.PlanLimit) => ({
      subscriptionLimit: e.subscriptionLimit,
      requiredPlans: e.requiredPlans,
      feature: e.feature,
      limitation: e.limitation
    })
    expect(picked(chat)).toEqual({ subscriptionLimit: true, ...plan })
    expect(picked({ ...socket, subscriptionLimit: socket.subscriptionLimit === true })).toEqual(picked(chat))
  })

  it("a chat job error's subscriptionLimit is a boolean; a socket jobError's is read whatever it is", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(Protocol.LLMJobError)({ jobID: "J", error: "x", subscriptionLimit: "yes" }))).toBe(true)
    const socket = Schema.decodeUnknownSync(Protocol.JobError)({ jobID: "J", error: 4081, subscriptionLimit: { plan: "pro" } })
    expect(socket.subscriptionLimit).toEqual({ plan: "pro" })
  })
})
