/**
 * Announcements (rest.md §6, socket.md §10.12–10.13). `POST /_emulator/announcements` (emulator-only)
 * publishes one, as the platform's admin panel does: every live connection it applies to gets it at once,
 * as an `appAlert` when it opted in, as a `toastMessage` otherwise. `GET /v1/announcements/active` lists
 * the live ones the account has not dismissed (platform-scoped ones only when `platform` matches);
 * `POST /v1/announcements/{id}/dismiss` dismisses one for the account.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { withAccount } from "./http/guard.js"
import { errorResponse, ok, schemaBody, urlOf } from "./http/response.js"
import { entryOf, isSubscribed, sendTo, type World } from "./state.js"
import { randomHex } from "./tokens.js"

const PublishBody = Schema.Struct({
  id: Schema.optional(Schema.String),
  kind: Schema.Literal("toast", "banner"),
  severity: Schema.Literal("info", "success", "warn", "danger"),
  title: Schema.String,
  bodyMarkdown: Schema.String,
  pinned: Schema.optional(Schema.Boolean),
  dismissible: Schema.optional(Schema.Boolean),
  autoCloseMs: Schema.optional(Schema.Number),
  actions: Schema.optional(Schema.Array(Schema.Struct({
    label: Schema.String,
    href: Schema.String.pipe(Schema.pattern(/^https?:\/\//)),
    external: Schema.optional(Schema.Boolean)
  }))),
  endsAt: Schema.optional(Schema.Number),
  /** Only connections (and `active` calls) with one of these `appSource`s see it. */
  platforms: Schema.optional(Schema.Array(Schema.String))
})

interface Announcement {
  readonly alert: {
    readonly id: string
    readonly kind: "toast" | "banner"
    readonly severity: "info" | "success" | "warn" | "danger"
    readonly title: string
    readonly bodyMarkdown: string
    readonly pinned: boolean
    readonly dismissible: boolean
    readonly startsAt: number
    readonly autoCloseMs?: number | undefined
    readonly actions?:
      | ReadonlyArray<{ readonly label: string; readonly href: string; readonly external?: boolean | undefined }>
      | undefined
    readonly endsAt?: number | undefined
  }
  readonly platforms: ReadonlyArray<string> | undefined
}

/** The announcements of one emulator and who dismissed which. @internal */
export interface AnnouncementState {
  readonly announcements: Map<string, Announcement>
  readonly dismissed: Map<string, Set<string>>
}

/** No announcements yet. @internal */
export const makeAnnouncementState = (): AnnouncementState => ({ announcements: new Map(), dismissed: new Map() })

const stateOf = (world: World): AnnouncementState => world.announcements

const isLive = (a: Announcement, now: number) => a.alert.startsAt <= now && (a.alert.endsAt === undefined || a.alert.endsAt > now)
const appliesTo = (a: Announcement, platform: string | undefined) =>
  a.platforms === undefined || (platform !== undefined && a.platforms.includes(platform))

const TOAST_TYPE = { info: "info", success: "success", warn: "warning", danger: "error" } as const

/** The announcement routes. @internal */
export const announcementsRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/announcements/active",
      withAccount(world, (account, request) => {
        const platform = urlOf(request).searchParams.get("platform") ?? undefined
        const state = stateOf(world)
        const dismissed = state.dismissed.get(account.username) ?? new Set()
        const now = Date.now()
        const announcements = [...state.announcements.values()]
          .filter((a) => isLive(a, now) && appliesTo(a, platform) && !dismissed.has(a.alert.id))
          .map((a) => a.alert)
        return Effect.succeed(ok({ announcements }))
      })
    ),
    HttpRouter.post(
      "/v1/announcements/:id/dismiss",
      withAccount(world, (account) =>
        Effect.map(HttpRouter.params, (p) => {
          const id = p["id"] ?? ""
          const state = stateOf(world)
          const announcement = state.announcements.get(id)
          if (announcement === undefined) return errorResponse(404, `No announcement ${id}`)
          if (!announcement.alert.dismissible) return ok({ dismissed: false, id })
          entryOf(state.dismissed, account.username, () => new Set<string>()).add(id)
          return ok({ dismissed: true, id })
        }))
    ),
    HttpRouter.post(
      "/_emulator/announcements",
      schemaBody(PublishBody, "Invalid announcement").pipe(
          Effect.match({
            onFailure: (response) => response,
            onSuccess: ({ platforms, ...body }) => {
              const alert: Announcement["alert"] = {
                ...body,
                id: body.id ?? `ann-${randomHex(6)}`,
                pinned: body.pinned ?? false,
                dismissible: body.dismissible ?? true,
                startsAt: Date.now()
              }
              const announcement: Announcement = { alert, platforms }
              stateOf(world).announcements.set(alert.id, announcement)
              let alerts = 0
              let toasts = 0
              for (const conn of world.connections.values()) {
                if (!appliesTo(announcement, conn.appSource)) continue
                if (isSubscribed(conn.subscriptions, "appAlert")) {
                  if (sendTo(conn, { type: "appAlert", payload: alert })) alerts++
                } else if (
                  sendTo(conn, {
                    type: "toastMessage",
                    payload: {
                      type: TOAST_TYPE[alert.severity],
                      message: `${alert.title}: ${alert.bodyMarkdown}`,
                      ...(alert.autoCloseMs !== undefined ? { autoClose: alert.autoCloseMs } : {}),
                      ...(alert.pinned ? { stickyID: alert.id } : {})
                    }
                  })
                ) toasts++
              }
              return ok({ id: alert.id, alerts, toasts })
            }
          })
        )
    )
  )
