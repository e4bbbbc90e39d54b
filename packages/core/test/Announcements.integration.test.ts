/**
 * Announcements against the emulator over loopback: a published announcement reaches a plain connection
 * as a toast and an opted-in one as a typed alert (never both), the active list honours platform scope
 * and per-account dismissal.
 */
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Announcements, Sogni, SogniSocket } from "../src/index.js"

const setup = Effect.gen(function*() {
  const emulator = yield* Layer.build(Emulator.layer({ port: 0, speed: 4 })).pipe(
    Effect.map((ctx) => Context.get(ctx, Emulator.Emulator))
  )
  const ctx = yield* Layer.build(
    Announcements.layer.pipe(
      Layer.provideMerge(
        Sogni.layer({
          appId: `ann-${crypto.randomUUID()}`,
          apiKey: Redacted.make(emulator.apiKey),
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })
      )
    )
  )
  const socket = Context.get(ctx, SogniSocket.SogniSocket)
  yield* socket.awaitAuthenticated
  return { emulator, announcements: Context.get(ctx, Announcements.Announcements), socket }
})

/** Publishes through the emulator's admin path; answers how many alerts and toasts it queued. */
const publish = (emulator: Emulator.Service, body: Record<string, unknown>) =>
  Effect.promise(() =>
    fetch(`${emulator.url}/_emulator/announcements`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then((r) => r.json() as Promise<{ data: { id: string; alerts: number; toasts: number } }>)
  ).pipe(Effect.map((r) => r.data))

describe("Announcements over the emulator", () => {
  it.scopedLive("a plain connection gets a toast; the active list drops what the account dismissed", () =>
    Effect.gen(function*() {
      const { announcements, emulator } = yield* setup
      const toast = yield* announcements.toasts.pipe(Stream.runHead, Effect.fork)
      yield* Effect.sleep("100 millis")
      const published = yield* publish(emulator, {
        id: "maint-1",
        kind: "banner",
        severity: "warn",
        title: "Maintenance",
        bodyMarkdown: "Relaxed network restarts at 02:00 UTC"
      })
      assert.deepStrictEqual(published, { id: "maint-1", alerts: 0, toasts: 1 })
      const got = yield* Fiber.join(toast).pipe(Effect.timeout("20 seconds"))
      assert.isTrue(Option.isSome(got))
      if (Option.isSome(got)) {
        assert.strictEqual(got.value.type, "warning")
        assert.include(got.value.message, "Maintenance")
      }

      const active = yield* announcements.active()
      assert.deepStrictEqual(active.map((a) => a.id), ["maint-1"])
      assert.strictEqual(active[0]!.severity, "warn")
      assert.deepStrictEqual(yield* announcements.dismiss("maint-1"), { dismissed: true, id: "maint-1" })
      assert.deepStrictEqual(yield* announcements.active(), [])

      yield* publish(emulator, { id: "keep", kind: "toast", severity: "info", title: "t", bodyMarkdown: "b", dismissible: false })
      assert.deepStrictEqual(yield* announcements.dismiss("keep"), { dismissed: false, id: "keep" })
      assert.deepStrictEqual((yield* announcements.active()).map((a) => a.id), ["keep"])

      const unknown = yield* Effect.either(announcements.dismiss("nope"))
      assert.isTrue(Either.isLeft(unknown) && unknown.left._tag === "SogniApiError")
      const empty = yield* Effect.either(announcements.dismiss(" "))
      assert.isTrue(Either.isLeft(empty) && empty.left._tag === "SogniInvalidRequest")
    }))

  it.scopedLive("alerts opts in: the announcement arrives as a typed alert, not as a toast", () =>
    Effect.gen(function*() {
      const { announcements, emulator } = yield* setup
      const alert = yield* announcements.alerts.pipe(Stream.runHead, Effect.fork)
      yield* emulator.control.listConnections.pipe(
        Effect.repeat({
          until: (cs) => cs.some((c) => c.subscriptions["appAlert"] === true),
          schedule: Schedule.spaced("50 millis")
        }),
        Effect.timeout("20 seconds")
      )
      const published = yield* publish(emulator, {
        kind: "toast",
        severity: "success",
        title: "New model",
        bodyMarkdown: "**Z-Image** is live",
        pinned: true,
        actions: [{ label: "Try it", href: "https://example.test/z" }]
      })
      assert.strictEqual(published.alerts, 1)
      assert.strictEqual(published.toasts, 0)
      const got = yield* Fiber.join(alert).pipe(Effect.timeout("20 seconds"))
      assert.isTrue(Option.isSome(got))
      if (Option.isSome(got)) {
        assert.strictEqual(got.value.id, published.id)
        assert.strictEqual(got.value.severity, "success")
        assert.isTrue(got.value.pinned)
        assert.deepStrictEqual(got.value.actions, [{ label: "Try it", href: "https://example.test/z" }])
      }
    }))

  it.scopedLive("platform-scoped announcements are listed only for their platform", () =>
    Effect.gen(function*() {
      const { announcements, emulator } = yield* setup
      const published = yield* publish(emulator, {
        kind: "banner",
        severity: "info",
        title: "Photobooth only",
        bodyMarkdown: "x",
        platforms: ["photobooth"]
      })
      // the client's connection has no photobooth appSource, so nothing was pushed to it
      assert.strictEqual(published.toasts + published.alerts, 0)
      assert.deepStrictEqual(yield* announcements.active(), [])
      assert.deepStrictEqual(yield* announcements.active({ platform: "chat" }), [])
      assert.deepStrictEqual((yield* announcements.active({ platform: "photobooth" })).map((a) => a.id), [published.id])
    }))
})
