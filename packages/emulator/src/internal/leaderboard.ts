/**
 * `GET /v1/leaderboard/` (rest.md §6), computed from the projects this emulator ran: artists ranked by
 * their finished projects' completed renders, workers (the simulated worker names) by the renders they
 * completed. Values follow the same cost figures as the project records (records.ts): tokens
 * `costPerMedia` per render, USD a hundredth of that, render seconds `0.3 × steps` per render.
 *
 * Login, token-volume and referral boards answer an empty list: the emulator keeps no such history.
 * `period=day` counts projects that ended on the UTC day of `date` (epoch ms, today by default);
 * `network` (`fast`, `relaxed`, `all`) filters projects; `username` / `address` pick one row; `page`
 * (from 1) and `limit` (default 50, at most 100) page the ranking. A credential is required.
 *
 * @internal
 */
import { Stats } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import { readCredential } from "./auth.js"
import { errorResponse, ok } from "./http/response.js"
import { formatAmount, isTerminal, type World } from "./state.js"

/** The platform's leaderboard names, as core declares them. */
const TYPES: ReadonlySet<string> = new Set(Stats.LeaderboardType.literals)
const DAY_MILLIS = 24 * 3600_000

interface Row {
  readonly username: string
  readonly address: string
  value: number
}

const positiveInt = (raw: string | null, fallback: number) => {
  if (raw === null) return fallback
  const n = Number(raw)
  return Number.isInteger(n) && n >= 1 ? n : undefined
}

/** The leaderboard route. @internal */
export const leaderboardRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/leaderboard/",
      Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
        if (readCredential(world, request.headers)._tag !== "Valid") {
          return errorResponse(401, "Authentication required", { errorCode: 4021 })
        }
        const q = new URL(request.url, "http://emulator.invalid").searchParams
        const type = q.get("type") ?? ""
        const period = q.get("period") ?? ""
        const network = q.get("network") ?? "all"
        if (!TYPES.has(type)) return errorResponse(400, `Unknown leaderboard type "${type}"`, { errorCode: 4001 })
        if (period !== "day" && period !== "lifetime") return errorResponse(400, "period must be day or lifetime", { errorCode: 4001 })
        if (network !== "fast" && network !== "relaxed" && network !== "all") {
          return errorResponse(400, "network must be fast, relaxed or all", { errorCode: 4001 })
        }
        const page = positiveInt(q.get("page"), 1)
        const limit = positiveInt(q.get("limit"), 50)
        if (page === undefined || limit === undefined) return errorResponse(400, "page and limit must be positive integers", { errorCode: 4001 })
        const date = q.get("date") === null ? Date.now() : Number(q.get("date"))
        if (!Number.isFinite(date)) return errorResponse(400, "date must be epoch milliseconds", { errorCode: 4001 })
        const dayStart = Math.floor(date / DAY_MILLIS) * DAY_MILLIS

        const worker = type.endsWith("Worker") || type.endsWith("Worker2")
        const rows = new Map<string, Row>()
        for (const project of world.projects.values()) {
          if (!isTerminal(project.status) || project.endTime === null) continue
          if (network !== "all" && project.network !== network) continue
          if (period === "day" && (project.endTime < dayStart || project.endTime >= dayStart + DAY_MILLIS)) continue
          const done = project.jobs.filter((j) => j.status === "jobCompleted")
          const add = (username: string, address: string, renders: number, projects: number) => {
            const value = type.startsWith("renderToken")
              ? renders * project.costPerMedia
              : type.startsWith("renderUSD")
              ? renders * project.costPerMedia * 0.01
              : type.startsWith("renderSec")
              ? renders * project.stepCount * 0.3
              : type === "projectCompleteArtist"
              ? projects
              : type.startsWith("jobComplete")
              ? renders
              : 0
            const row = rows.get(username) ?? { username, address, value: 0 }
            row.value += value
            rows.set(username, row)
          }
          if (type.startsWith("ulogin") || type === "tokenVolume" || type === "referral") continue
          if (worker) {
            for (const job of done) add(job.workerName, "", 1, 0)
          } else if (done.length > 0) {
            add(project.account.username, project.account.walletAddress, done.length, project.status === "completed" ? 1 : 0)
          }
        }
        const ranked = [...rows.values()]
          .filter((r) => r.value > 0)
          .sort((a, b) => b.value - a.value || a.username.localeCompare(b.username))
          .map((r, i) => ({
            rank: i + 1,
            username: r.username,
            address: r.address,
            country: "",
            value: Number.isInteger(r.value) ? String(r.value) : formatAmount(r.value),
            role: worker ? "worker" : "artist"
          }))
        const username = q.get("username")
        const address = q.get("address")?.toLowerCase()
        const picked = ranked.filter((r) =>
          (username === null || r.username.toLowerCase() === username.toLowerCase()) &&
          (address === undefined || r.address.toLowerCase() === address)
        )
        return ok(picked.slice((page - 1) * Math.min(limit, 100), page * Math.min(limit, 100)))
      })
    )
  )
