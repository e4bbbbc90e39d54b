/**
 * `ParseIssues`: bounded descriptions of parse failures. Unit tests for the three renderings, then the
 * core call sites that decode outside data, each fed a value nested 5,000 levels deep over a real
 * loopback transport (a socket push from a scripted server; `GET /v1/account/me` through a proxy in front
 * of the emulator): a typed error or a skipped push, never a stack overflow while the error is described.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import { ParseIssues, SogniAccount, SogniConfig, SogniSocket, Sogni, Subscriptions } from "../src/index.js"
import { makeScriptedServer } from "./util/ScriptedServer.js"

/** `"x"` inside `depth` arrays, as JSON text and as a value. */
const deepText = (depth: number) => `${"[".repeat(depth)}"x"${"]".repeat(depth)}`
const deepValue = (depth: number): unknown => JSON.parse(deepText(depth))

const issueOf = <A, I>(schema: Schema.Schema<A, I>, u: unknown) => {
  const decoded = Schema.decodeUnknownEither(schema, { errors: "all" })(u)
  assert(Either.isLeft(decoded))
  return decoded.left.issue
}

describe("ParseIssues renderings", () => {
  const Shape = Schema.Struct({ a: Schema.Number, b: Schema.Array(Schema.String), c: Schema.String })

  it("format: paths, expected types and short excerpts; formatPaths: paths and kinds only", () => {
    const issue = issueOf(Shape, { a: "secret", b: ["ok", 7] })
    assert.strictEqual(
      ParseIssues.format(issue),
      "a: expected number, got a string (\"secret\"); b.1: expected string, got a number (7); c: is missing"
    )
    assert.strictEqual(ParseIssues.formatPaths(issue), "a: Type; b.1: Type; c: Missing")
  })

  it("a value nested 5,000 levels deep is described by kind and size; effect's formatter overflows on it", () => {
    const issue = issueOf(Shape, { a: deepValue(5_000), b: [], c: "" })
    assert.strictEqual(ParseIssues.format(issue), "a: expected number, got an array of 1")
    assert.strictEqual(ParseIssues.message(issue), "Expected number, actual an array of 1")
    // what the call sites used before: the description itself throws
    const before = Schema.decodeUnknownEither(Shape)({ a: deepValue(5_000), b: [], c: "" })
    assert(Either.isLeft(before))
    assert.throws(() => before.left.message, RangeError)
  })

  it("lists the first eight failures and counts the rest", () => {
    const Many = Schema.Array(Schema.Number)
    const issue = issueOf(Many, Array.from({ length: 20 }, (_, i) => `n${i}`))
    assert.match(ParseIssues.formatPaths(issue), /^0: Type; 1: Type; .*; 7: Type; and 12 more$/)
    assert.strictEqual(ParseIssues.leaves(issue, 3).leaves.length, 3)
    assert.strictEqual(ParseIssues.leaves(issue, 3).total, 20)
  })

  it("format: a failure its schema words reads in those words (a refinement's message, a transformation's own)", () => {
    const City = Schema.Struct({
      city: Schema.String.pipe(Schema.filter((s) => s.length > 2, { message: () => "must name a city, not an abbreviation" })),
      count: Schema.NumberFromString
    })
    assert.strictEqual(
      ParseIssues.format(issueOf(City, { city: "NY", count: "many" })),
      "city: must name a city, not an abbreviation; count: Unable to decode \"many\" into a number"
    )
    // the wording effect's tree formatter gives (what chat's tool arguments and structured output used)
    const tree = Schema.decodeUnknownEither(City)({ city: "NY", count: "1" })
    assert(Either.isLeft(tree))
    assert.include(tree.left.message, "must name a city, not an abbreviation")
  })

  it("100,000 failing elements and a record key of 100,000 characters: short messages all the same", () => {
    const many = issueOf(Schema.Array(Schema.Number), Array.from({ length: 100_000 }, () => "x"))
    assert.match(ParseIssues.formatPaths(many), /; 7: Type; and 99992 more$/)
    assert.isBelow(ParseIssues.format(many).length, 1_000)
    const key = "k".repeat(100_000)
    const keyed = issueOf(Schema.Record({ key: Schema.String, value: Schema.Number }), { [key]: "x", b: 1 })
    for (const text of [ParseIssues.format(keyed), ParseIssues.formatPaths(keyed), ParseIssues.formatPath([key, 0])]) {
      assert.isBelow(text.length, 200, text.slice(0, 100))
      assert.include(text, `${"k".repeat(60)}…`)
    }
  })

  describe("a union of literals the value matched none of is one failure naming the allowed values", () => {
    const letters = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"] as const
    const Kinded = Schema.Struct({ kind: Schema.Literal(...letters), n: Schema.Number })

    it("formatPaths and format: one entry, the first ten values then how many in all; the next field still listed", () => {
      const issue = issueOf(Kinded, { kind: "secret-z", n: "x" })
      const allowed = "\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", … (12 in all)"
      assert.strictEqual(ParseIssues.formatPaths(issue), `kind: Type (one of ${allowed}); n: Type`)
      assert.strictEqual(
        ParseIssues.format(issue),
        `kind: expected one of ${allowed}, got a string ("secret-z"); n: expected number, got a string ("x")`
      )
      assert.notInclude(ParseIssues.formatPaths(issue), "secret")
      const { leaves, total } = ParseIssues.leaves(issue)
      assert.strictEqual(total, 2)
      assert.deepStrictEqual(leaves[0]!.allowed, letters)
      assert.deepStrictEqual(leaves[0]!.path, ["kind"])
      // the rule of the first failure is worded as before (effect's ArrayFormatter: the first literal)
      assert.strictEqual(ParseIssues.message(leaves[0]!.issue), "Expected \"a\", actual \"secret-z\"")
    })

    it("a short union lists every value; numbers, booleans, null and long strings (cut) are told apart", () => {
      assert.strictEqual(ParseIssues.formatPaths(issueOf(Schema.Literal("low", "high"), "mid")), "(root): Type (one of \"low\", \"high\")")
      const long = "v".repeat(100)
      assert.strictEqual(
        ParseIssues.formatPaths(issueOf(Schema.Literal(1, true, null, long), "x")),
        `(root): Type (one of 1, true, null, "${"v".repeat(59)}…)`
      )
    })

    it("a union mixing literals with other members: its literals fold in the first one's place, the rest stay", () => {
      const Mixed = Schema.Union(Schema.Struct({ t: Schema.Literal("x") }), Schema.Literal("a"), Schema.Number, Schema.Literal("b"))
      assert.strictEqual(
        ParseIssues.format(issueOf(Mixed, "z")),
        "(root): expected { readonly t: \"x\" }, got a string (\"z\"); (root): expected one of \"a\", \"b\", got a string (\"z\"); (root): expected number, got a string (\"z\")"
      )
      // a literal union nested in a union is a member of its own (effect keeps it nested): folded on its own
      const Nested = Schema.Union(Schema.Literal("a", "b"), Schema.Number)
      assert.strictEqual(ParseIssues.formatPaths(issueOf(Nested, "z")), "(root): Type (one of \"a\", \"b\"); (root): Type")
    })

    it("each element of an array fails once: the count is of fields, not of literals", () => {
      const issue = issueOf(Schema.Array(Kinded.fields.kind), Array.from({ length: 20 }, () => "z"))
      assert.match(ParseIssues.formatPaths(issue), /^0: Type \(one of "a", .*\); 1: Type .*; 7: Type \(one of .*\); and 12 more$/)
      assert.strictEqual(ParseIssues.leaves(issue).total, 20)
    })

    it("a literal with wording of its own is not folded: its message is kept", () => {
      const Worded = Schema.Union(
        Schema.Literal("a").annotations({ message: () => "must be a" }),
        Schema.Literal("b")
      )
      assert.strictEqual(ParseIssues.format(issueOf(Worded, "z")), "(root): must be a; (root): expected \"b\", got a string (\"z\")")
    })
  })

  it("message: a schema's own wording first, effect's wording for primitives, missing keys as effect words them", () => {
    const Rated = Schema.Struct({
      rate: Schema.Number.pipe(Schema.filter((n) => n <= 10, { message: (i) => `must be at most 10, got ${String(i.actual)}` })),
      name: Schema.String
    })
    assert.strictEqual(ParseIssues.message(issueOf(Rated, { rate: 12, name: "a" })), "must be at most 10, got 12")
    assert.strictEqual(ParseIssues.message(issueOf(Rated, { rate: 1, name: 3 })), "Expected string, actual 3")
    assert.strictEqual(ParseIssues.message(issueOf(Rated, { rate: 1 })), "is missing")
  })

  it("Subscriptions.invalidRequest: the field and rule of a caller's checkout request, a deep value too", () => {
    const validate = Schema.validateEither(Subscriptions.CheckoutRequest)
    const refusal = (u: unknown) => {
      const checked = validate(u as never)
      assert(Either.isLeft(checked))
      return Subscriptions.invalidRequest("checkout", checked.left)
    }
    const deep = refusal({ planId: deepValue(5_000), term: "monthly" })
    assert.deepStrictEqual([deep.field, deep.rule], ["checkout.planId", "Expected \"unlimited\", actual an array of 1"])
    // as effect's ArrayFormatter words it: the first alternative
    const plain = refusal({ planId: 3, term: "monthly" })
    assert.deepStrictEqual([plain.field, plain.rule], ["checkout.planId", "Expected \"unlimited\", actual 3"])
  })
})

/** Runs `effect` with a logger that records the messages of warnings. */
const withWarnings = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
    const a = yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return [a, warnings] as const
  })

/** A loopback HTTP proxy to `target` that answers `path` with `rewrite(the upstream JSON)` instead. */
const rewritingProxy = (target: string, path: string, rewrite: (body: any) => string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly url: string }>((resume) => {
      const server = Http.createServer((req, res) => {
        const upstream = Http.request(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (answer) => {
          const parts: Array<Buffer> = []
          answer.on("data", (part: Buffer) => parts.push(part))
          answer.on("end", () => {
            const body = Buffer.concat(parts)
            if (req.url?.split("?")[0] !== path || answer.statusCode !== 200) {
              res.writeHead(answer.statusCode ?? 502, answer.headers)
              res.end(body)
              return
            }
            res.writeHead(200, { "content-type": "application/json" })
            res.end(rewrite(JSON.parse(body.toString("utf8"))))
          })
        })
        upstream.on("error", () => res.destroy())
        req.pipe(upstream)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as { port: number }
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${address.port}` }))
      })
    }),
    ({ server }) => Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )

describe("core call sites on a value nested 5,000 levels deep", () => {
  it.scopedLive("a subscriptionEntitlementUpdated push nested 5,000 levels deep is logged and skipped; the next push arrives", () =>
    Effect.gen(function*() {
      const entitlement = { active: true, trialing: false, trialCapped: false, subscription: null }
      // the frame is written by hand: JSON.stringify of the deep value would overflow in the test itself
      const deepData = Buffer.from(JSON.stringify(entitlement).replace("\"active\":true", `"active":${deepText(5_000)}`)).toString("base64")
      const deepFrame = `{"type":"subscriptionEntitlementUpdated","data":"${deepData}"}`
      const server = yield* makeScriptedServer()
      const credentials = Layer.succeed(SogniSocket.SocketCredentials, {
        headers: Effect.succeed({ "api-key": Redacted.make("test-key") }),
        invalidate: () => Effect.void
      })
      const socket = yield* SogniSocket.make().pipe(
        Effect.provide(Layer.merge(SogniConfig.layer({ appId: "deep-push", socketEndpoint: server.url }), credentials))
      )
      yield* socket.awaitAuthenticated
      // pushes are not held for late subscribers: the server repeats the pair until two good ones are read, so
      // the deep push before the second good one was certainly read
      const repeat = setInterval(() => {
        for (const c of server.connections) {
          c.sendRaw(deepFrame)
          c.send("subscriptionEntitlementUpdated", entitlement)
        }
      }, 10)
      yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(repeat)))
      const pushes = Subscriptions.decodedPushes(socket.eventsOf("subscriptionEntitlementUpdated"), Subscriptions.Entitlement)
      const [read, warnings] = yield* withWarnings(Stream.runCollect(Stream.take(pushes, 2)))
      assert.deepStrictEqual(Chunk.toArray(read), [entitlement, entitlement])
      const skipped = warnings.filter((w) => w.includes("subscriptionEntitlementUpdated"))
      assert.isAtLeast(skipped.length, 1)
      assert.deepStrictEqual(
        [...new Set(skipped)],
        ["skipped a malformed subscriptionEntitlementUpdated push active: expected boolean, got an array of 1"]
      )
    }))

  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("GET /v1/account/me with a field nested 5,000 levels deep: SogniDecodeError naming the field", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const proxy = yield* rewritingProxy(emulator.url, "/v1/account/me", (body) =>
          JSON.stringify(body).replace("\"emailVerified\":true", `"emailVerified":${deepText(5_000)}`))
        const ctx = yield* Layer.build(Sogni.layer({
          appId: `deep-me-${crypto.randomUUID()}`,
          apiKey: Redacted.make(emulator.apiKey),
          restEndpoint: proxy.url,
          socketEndpoint: emulator.wsUrl
        }))
        const account = Context.get(ctx, SogniAccount.SogniAccount)
        const failed = yield* Effect.flip(account.me)
        assert.strictEqual(failed._tag, "SogniDecodeError")
        assert.match(failed.message, /^GET \/v1\/account\/me: emailVerified: expected boolean, got an array of 1(;|$)/)
      }))
  })
})
