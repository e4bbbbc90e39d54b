/**
 * The server's view of this account's projects (`GET /api/v1/artist/projects/sync` on the socket host):
 * the recovery snapshot of this installation (its `appId`), and the projects running under other
 * installations — another app, device or headless client of the same account.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ProjectSync } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const others = yield* ProjectSync.elsewhere
 *   for (const p of others) console.log(p.id, p.appId, p.status)
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Protocol, SogniConfig, SogniRest } from "@effect-sogni/core"
import * as Effect from "effect/Effect"

/**
 * The snapshot of this installation: its in-flight projects and those that finished while nobody was
 * connected (read-only; the socket's reconnect handling already reconciles tracked projects).
 *
 * @since 0.1.0
 */
export const snapshot: Effect.Effect<Protocol.ProjectsSync, SogniRest.RestError, SogniRest.SogniRest | SogniConfig.SogniConfig> =
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    return yield* rest.get("socket", "/api/v1/artist/projects/sync", Protocol.ProjectsSync, { query: { appId: settings.appId } })
  }).pipe(Effect.withSpan("ProjectSync.snapshot"))

const isLlm = (p: Protocol.RecoveredProject) =>
  p.jobType === "llm" || (p.model as { readonly type?: unknown } | undefined)?.type === "llm"

/**
 * In-flight media projects of this account started under another `appId` (the official client's
 * `listProjectsElsewhere`): read-only, untracked, LLM jobs left out.
 *
 * @since 0.1.0
 */
export const elsewhere: Effect.Effect<
  ReadonlyArray<Protocol.RecoveredProject>,
  SogniRest.RestError,
  SogniRest.SogniRest | SogniConfig.SogniConfig
> = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const settings = yield* SogniConfig.SogniConfig
  const body = yield* rest.get("socket", "/api/v1/artist/projects/sync", Protocol.ProjectsSync)
  return body.activeProjects.filter((p) => typeof p.appId === "string" && p.appId !== settings.appId && !isLlm(p))
}).pipe(Effect.withSpan("ProjectSync.elsewhere"))
