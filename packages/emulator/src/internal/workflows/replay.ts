/**
 * Durable workflows: replay records (`/v1/replay/records`, bare bodies; workflows.md §12), redacted on
 * write (JWTs, PEM blocks, URL signatures), and the stored artifact blobs (`/_workflows/blobs/:blobId`).
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { errorResponse, type Handler, raw, urlOf } from "../http/response.js"
import type { World } from "../state.js"
import { intParam, withAccount, withBody } from "./http.js"
import type { ReplayEntry } from "./state.js"
import { isRecord } from "./vocabulary.js"

const SECRET_PATTERNS: ReadonlyArray<RegExp> = [
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
  /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g,
  /([?&](?:sig|signature|X-Amz-Signature|token|exp)=)[^&\s"]+/gi
]

/** Re-runs redaction over a record: JWTs, PEM blocks and URL signatures are replaced. */
const redact = (value: unknown): { readonly value: unknown; readonly changed: boolean } => {
  let changed = false
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") {
      let out = v
      for (const pattern of SECRET_PATTERNS) {
        out = out.replace(pattern, (match, prefix?: string) =>
          typeof prefix === "string" && match.startsWith(prefix) ? `${prefix}[redacted]` : "[redacted]")
      }
      if (out !== v) changed = true
      return out
    }
    if (Array.isArray(v)) return v.map(visit)
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]))
    return v
  }
  return { value: visit(value), changed }
}

/** @internal */
export const writeReplay = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const runId = body["run_id"]
        if (typeof runId !== "string" || runId.length === 0 || runId.length > 200) {
          return errorResponse(400, "run_id must be a non-empty string (at most 200 characters)", { errorCode: 4000 })
        }
        const schemaVersion = body["schema_version"]
        if (schemaVersion !== undefined && typeof schemaVersion !== "number" && typeof schemaVersion !== "string") {
          return errorResponse(400, "schema_version must be a number or a string", { errorCode: 4000 })
        }
        if (body["rounds"] !== undefined && !Array.isArray(body["rounds"])) {
          return errorResponse(400, "rounds must be an array", { errorCode: 4000 })
        }
        const replay = world.workflows.replay
        const existing = replay.get(runId)
        if (existing !== undefined && existing.owner !== account.walletAddress) {
          return errorResponse(403, `Replay record ${runId} belongs to someone else`, { errorCode: 4003 })
        }
        const { changed, value } = redact(body)
        const now = Date.now()
        const entry: ReplayEntry = {
          runId,
          owner: account.walletAddress,
          record: value as Record<string, unknown>,
          redacted: changed,
          createTime: existing?.createTime ?? now,
          updateTime: now
        }
        replay.set(runId, entry)
        return raw({
          runId,
          schemaVersion: schemaVersion ?? 0,
          redacted: entry.redacted,
          createTime: entry.createTime,
          updateTime: entry.updateTime
        }, existing === undefined ? 201 : 200)
      })))

/** @internal */
export const listReplay = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const limit = Math.max(1, Math.min(200, intParam(urlOf(request).searchParams.get("limit")) ?? 50))
      const records = [...world.workflows.replay.values()]
        .filter((r) => r.owner === account.walletAddress)
        .sort((a, b) => b.updateTime - a.updateTime || a.runId.localeCompare(b.runId))
        .slice(0, limit)
        .map((r) => ({
          runId: r.runId,
          schemaVersion: r.record["schema_version"] ?? 0,
          createTime: r.createTime,
          updateTime: r.updateTime,
          ...(r.record["user_request"] !== undefined ? { userRequest: r.record["user_request"] } : {}),
          ...(r.record["final_response"] !== undefined ? { finalResponse: r.record["final_response"] } : {}),
          ...(r.record["model_id"] !== undefined ? { modelId: r.record["model_id"] } : {}),
          rounds: Array.isArray(r.record["rounds"]) ? r.record["rounds"].length : 0
        }))
      return raw({ records })
    }))

/** @internal */
export const getReplay = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const entry = world.workflows.replay.get(params["runId"] ?? "")
      if (entry === undefined || entry.owner !== account.walletAddress) {
        return errorResponse(404, `Replay record ${params["runId"]} not found`, { errorCode: 4004 })
      }
      return raw({ record: entry.record, createTime: entry.createTime })
    }))

/** @internal */
export const blob = (world: World): Handler =>
  Effect.map(HttpRouter.params, (params) => {
    const found = world.workflows.blobs.get(params["blobId"] ?? "")
    return found === undefined
      ? errorResponse(404, "No such artifact")
      : HttpServerResponse.uint8Array(found.bytes, { contentType: found.contentType })
  })
