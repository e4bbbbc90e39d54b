/**
 * Media over the hostile server (`hostileServer.ts`), shared by the tests that script it: the services
 * built with every log line captured, a prepared image project, and the job id a frame names.
 */
import { SogniAccount, SogniSocket } from "@effect-sogni/core"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { Media, Models, Projects } from "../src/index.js"
import type { HostileServer } from "./hostileServer.js"
import { imageProject } from "./imageProject.js"

/** One captured log line. */
export interface LogLine {
  readonly level: string
  readonly message: string
}

/** Client settings a test may change. */
export interface Settings {
  readonly requestTimeout?: Duration.DurationInput
  readonly restRetries?: number
}

/**
 * Media over the hostile server, built in `scope` (the test's own by default); every log line, all
 * levels, lands in `lines`.
 */
export const connectMedia = (
  server: HostileServer,
  options: Projects.ProjectsOptions = {},
  settings: Settings = {},
  scope?: Scope.Scope
) =>
  Effect.gen(function*() {
    const lines: Array<LogLine> = []
    const capture = Logger.make(({ logLevel, message }) => {
      lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
    })
    const ctx = yield* Layer.buildWithScope(
      Media.layer({
        appId: `hostile-${crypto.randomUUID()}`,
        apiKey: Redacted.make("hostile-key-123"),
        restEndpoint: server.url,
        socketEndpoint: server.wsUrl,
        reconnectBase: "50 millis",
        ...settings
      }, options).pipe(
        Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
        Layer.provide(Logger.minimumLogLevel(LogLevel.All))
      ),
      scope ?? (yield* Effect.scope)
    )
    return {
      projects: Context.get(ctx, Projects.Projects),
      models: Context.get(ctx, Models.Models),
      account: Context.get(ctx, SogniAccount.SogniAccount),
      socket: Context.get(ctx, SogniSocket.SogniSocket),
      lines
    }
  })

/** A prepared image project of `count` images of `steps` steps each. */
export const image = (count: number, steps = 4): Projects.Prepared => imageProject(count, "hostile", steps)

/**
 * The server's record of project `id` finished, as `GET /v2/projects/{id}` and the handshake's recovery
 * lists carry it: one completed job of 4 steps per entry of `imgIDs` (its `jobIndex` the entry's position),
 * no result URLs (they are minted).
 */
export const finishedRecord = (id: string, imgIDs: ReadonlyArray<string> = ["A"]) => ({
  id,
  status: "completed",
  imageCount: imgIDs.length,
  stepCount: 4,
  completedWorkerJobs: imgIDs.map((imgID, jobIndex) => ({ id: imgID, imgID, status: "jobCompleted", performedSteps: 4, jobIndex }))
})

/** The job id (upper case) a frame's payload names, if any. */
export const jobIdOf = (payload: unknown): string | undefined =>
  typeof payload === "object" && payload !== null && typeof (payload as { jobID?: unknown }).jobID === "string"
    ? (payload as { jobID: string }).jobID.toUpperCase()
    : undefined

/** A vendor-hosted result URL. */
export const hosted = (name: string) => `https://cdn.example.test/${name}.png`
