/**
 * Platform announcements (rest.md §6, socket.md §10.12–10.13): the active list and per-account dismissal
 * over REST, and the live pushes as typed Streams. A connection gets each announcement either as an
 * `appAlert` (when it opted in) or as a plain `toastMessage`, never both.
 *
 * {@link AnnouncementsService.alerts} opts the connection into `appAlert` when it starts and drops repeats
 * of an id already delivered (pinned alerts are re-sent on every reconnect). Pushes that do not match
 * their schema are logged and skipped.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Announcements } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const announcements = yield* Announcements.Announcements
 *   for (const a of yield* announcements.active()) yield* Effect.log(a.title)
 *   yield* announcements.alerts.pipe(Stream.runForEach((a) => Effect.log(`${a.severity}: ${a.title}`)))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { SogniError } from "./SogniError.js"
import { SogniInvalidRequest } from "./SogniError.js"
import { type RestError, SogniRest } from "./SogniRest.js"
import { SogniSocket } from "./SogniSocket.js"
import { decodedPushes } from "./Subscriptions.js"

/** A link button of an alert. @since 0.1.0 */
export const AlertAction = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    label: Schema.String,
    href: Schema.String,
    external: Schema.optional(Schema.Boolean)
  })
)

/** An announcement (`appAlert` push, `GET /v1/announcements/active` entry); times are epoch ms. @since 0.1.0 */
export const Alert = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct(
    {
      id: Schema.String,
      kind: Schema.Literal("toast", "banner"),
      severity: Schema.Literal("info", "success", "warn", "danger"),
      icon: Schema.optional(Schema.String),
      accent: Schema.optional(Schema.String),
      title: Schema.String,
      bodyMarkdown: Schema.String,
      pinned: Schema.Boolean,
      dismissible: Schema.Boolean,
      autoCloseMs: Schema.optional(Schema.NullOr(Schema.Number)),
      actions: Schema.optional(Schema.Array(AlertAction)),
      startsAt: Schema.Number,
      endsAt: Schema.optional(Schema.NullOr(Schema.Number))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
)
/** @since 0.1.0 */
export type Alert = typeof Alert.Type

/** A `toastMessage` push: the plain rendering of an announcement. @since 0.1.0 */
export const Toast = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    type: Schema.Literal("info", "success", "warning", "error"),
    message: Schema.String,
    autoClose: Schema.optional(Schema.Number),
    stickyID: Schema.optional(Schema.Unknown)
  })
)
/** @since 0.1.0 */
export type Toast = typeof Toast.Type

/** `GET /v1/announcements/active`. @since 0.1.0 */
export const ActiveResponse = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ announcements: Schema.Array(Alert) }))

/** `POST /v1/announcements/{id}/dismiss`. @since 0.1.0 */
export const DismissResponse = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ dismissed: Schema.Boolean, id: Schema.String }))
/** @since 0.1.0 */
export type DismissResponse = typeof DismissResponse.Type

/** @since 0.1.0 */
export interface AnnouncementsService {
  /**
   * `GET /v1/announcements/active`: live announcements the account has not dismissed. Alerts scoped to a
   * platform only match when `platform` (the app's `appSource`) is given.
   */
  readonly active: (options?: { readonly platform?: string | undefined }) => Effect.Effect<ReadonlyArray<Alert>, RestError>
  /** `POST /v1/announcements/{id}/dismiss`: for this account, on every device. */
  readonly dismiss: (id: string) => Effect.Effect<DismissResponse, RestError>
  /**
   * `appAlert` pushes from now on, each id once. Starting it opts the connection in (waiting for the
   * server's confirmation), after which announcements no longer arrive as {@link toasts}.
   */
  readonly alerts: Stream.Stream<Alert, SogniError>
  /** `toastMessage` pushes from now on. */
  readonly toasts: Stream.Stream<Toast>
}

/** @since 0.1.0 */
export class Announcements extends Context.Tag("@effect-sogni/core/Announcements")<
  Announcements,
  AnnouncementsService
>() {}

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const rest = yield* SogniRest
  const socket = yield* SogniSocket
  return {
    active: (options = {}) =>
      rest.get("rest", "/v1/announcements/active", ActiveResponse, { query: { platform: options.platform } }).pipe(
        Effect.map((r) => r.announcements),
        Effect.withSpan("Announcements.active")
      ),
    dismiss: (id) =>
      (id.trim().length === 0
        ? Effect.fail(new SogniInvalidRequest({ field: "id", rule: "must not be empty", message: "id: must not be empty" }))
        : rest.post("rest", `/v1/announcements/${encodeURIComponent(id)}/dismiss`, {}, DismissResponse)).pipe(
          Effect.withSpan("Announcements.dismiss")
        ),
    alerts: Stream.unwrapScoped(
      Effect.gen(function*() {
        // listen first, then opt in, so an alert sent right after the confirmation is not missed
        const queue = yield* socket.subscribe(["appAlert"])
        yield* socket.setEventSubscriptions({ subscriptions: { appAlert: true } })
        const seen = new Set<string>()
        return decodedPushes(Stream.fromQueue(queue), Alert).pipe(
          Stream.filter((alert) => {
            if (seen.has(alert.id)) return false
            seen.add(alert.id)
            return true
          })
        )
      })
    ),
    toasts: decodedPushes(socket.eventsOf("toastMessage"), Toast)
  } satisfies AnnouncementsService
})

/** @since 0.1.0 */
export const layer: Layer.Layer<Announcements, never, SogniRest | SogniSocket> = Layer.effect(Announcements, make)
