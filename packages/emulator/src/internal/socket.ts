/**
 * The WebSocket side of the socket host: upgrade authentication (bad credentials → accept, then close
 * 4021), one connection per appId (a newer one evicts the older with 4015), the handshake frames, the
 * per-connection writer (binary frames, fault delays and duplicates) and reader (client messages, one at a
 * time, malformed ones logged and skipped).
 *
 * @internal
 */
import { Attribution, Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type { IncomingMessage } from "node:http"
import { type RawData, WebSocket } from "ws"
import type { MalformedKind } from "../EmulatorControl.js"
import { readCredential } from "./auth.js"
import { swarmModels } from "./catalog.js"
import { activeLLMJobIDsOf, admitLLMJob, cancelLLMJob, refuseMalformedLLMRequest, sendLLMModels } from "./llm.js"
import { liveProjectsOf, recoveredProject, unclaimedOf } from "./records.js"
import { handshakeEntitlementOf } from "./subscriptions.js"
import { admitProject, cancelProject, ErrorCodes } from "./simulation.js"
import { balancesOf, type Connection, detach, isSubscribed, nextSerial, sendTo, type World } from "./state.js"
import { randomHex } from "./tokens.js"

/** Close codes the emulator uses (socket.md §7). @internal */
export const CloseCodes = {
  goingAway: 1001,
  appIdRequired: 4000,
  switchConnection: 4015,
  authError: 4021
} as const

const toBytes = (data: RawData): Uint8Array =>
  Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data

const parseSubscriptions = (raw: string | null): Map<string, boolean> => {
  const out = new Map<string, boolean>()
  if (raw === null || raw.length === 0) return out
  try {
    const parsed: unknown = JSON.parse(raw)
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === "boolean") out.set(k, v)
    }
  } catch {
    // Unparsable flags keep the server defaults, as the real server does with invalid values.
  }
  return out
}

const write = (conn: Connection, text: string) => {
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(Buffer.from(text, "utf8"), { binary: true })
}

const writerLoop = (world: World, conn: Connection): Effect.Effect<never> =>
  Effect.forever(
    Effect.flatMap(Queue.take(conn.outbox), (item) =>
      Effect.gen(function*() {
        const wait = item.at + world.faults.delayMillis - Date.now()
        if (world.faults.delayMillis > 0 && wait > 0) yield* Effect.sleep(wait)
        write(conn, item.text)
        if (world.faults.duplicate > 0) {
          world.faults.duplicate -= 1
          write(conn, item.text)
        }
      }))
  )

const readerLoop = (world: World, conn: Connection): Effect.Effect<never> =>
  Effect.forever(
    Effect.flatMap(Queue.take(conn.inbox), (raw) =>
      handleClientFrame(world, conn, raw).pipe(
        Effect.catchAllCause((cause) => Effect.logError(`error while handling a frame from ${conn.appId}`, cause))
      ))
  )

const sendModels = (conn: Connection) => {
  sendTo(conn, { type: "swarmModels", payload: swarmModels(conn.network) })
}

const namesOf = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value

/** Applies a `setSocketEventSubscriptions` update (socket.md §11). @internal */
export const applySubscriptionUpdate = (
  subscriptions: Map<string, boolean>,
  update: Protocol.SetSocketEventSubscriptions
): void => {
  if (update.reset === true) subscriptions.clear()
  if (update.subscriptions !== undefined) {
    for (const [k, v] of Object.entries(update.subscriptions)) subscriptions.set(k, v)
  }
  for (const name of namesOf(update.subscribe)) subscriptions.set(name, true)
  for (const name of namesOf(update.unsubscribe)) subscriptions.set(name, false)
  if (update.event !== undefined && update.enabled !== undefined) subscriptions.set(update.event, update.enabled)
}

/** The path and complaint of a schema issue tree, on one line (`["keyFrames"] is missing`). */
const describeIssue = (message: string): string => {
  const lines = message.split("\n").map((l) => l.replace(/^[\s└├│─]+/, "").trim()).filter((l) => l.length > 0)
  return lines.length > 1 ? lines.slice(1).join(" ") : lines[0] ?? "the payload does not match the jobRequest shape"
}

/**
 * A `jobRequest` whose payload does not decode (no `keyFrames`, a non-numeric `numberOfImages` …) is
 * refused with a project-level `jobError` when it names a `jobID`, as the server would; without one there
 * is no project to refuse.
 */
const refuseMalformedRequest = (conn: Connection, raw: Uint8Array, problem: string): Effect.Effect<void> =>
  Effect.sync(() => {
    const envelope = Protocol.decodeEnvelope(raw)
    if (Either.isLeft(envelope)) return
    const payload = envelope.right.payload
    const jobID = typeof payload === "object" && payload !== null ? (payload as { jobID?: unknown }).jobID : undefined
    if (typeof jobID !== "string" || jobID.length === 0) return
    sendTo(conn, {
      type: "jobError",
      payload: {
        jobID: jobID.toUpperCase(),
        isFromWorker: false,
        error: ErrorCodes.invalidRequest,
        error_message: `Invalid jobRequest: ${describeIssue(problem)}`
      }
    })
  })

const handleClientFrame = (world: World, conn: Connection, raw: Uint8Array): Effect.Effect<void> => {
  const decoded = Protocol.decodeClientFrame(raw)
  if (Either.isLeft(decoded)) {
    const skip = decoded.left
    const logged = Effect.logWarning(
      `skipped a client frame from ${conn.appId}: ${skip.reason}${skip.type ? ` (${skip.type})` : ""}: ${skip.message}`
    )
    if (skip.reason === "InvalidPayload" && skip.type === "llmJobRequest") {
      const envelope = Protocol.decodeEnvelope(raw)
      const payload = Either.isRight(envelope) ? envelope.right.payload : undefined
      const jobID = typeof payload === "object" && payload !== null ? (payload as { jobID?: unknown }).jobID : undefined
      return typeof jobID === "string" && jobID.length > 0
        ? Effect.zipRight(logged, refuseMalformedLLMRequest(conn, jobID, describeIssue(skip.message)))
        : logged
    }
    return skip.reason === "InvalidPayload" && skip.type === "jobRequest"
      ? Effect.zipRight(logged, refuseMalformedRequest(conn, raw, skip.message))
      : logged
  }
  const message = decoded.right
  switch (message.type) {
    case "jobRequest":
      return admitProject(world, conn, message.payload)
    case "jobError":
      return Effect.flatMap(
        cancelLLMJob(world, conn, message.payload.jobID, true),
        (handled) => handled ? Effect.void : cancelProject(world, conn, message.payload.jobID)
      )
    case "changeNetwork":
      return Effect.sync(() => {
        conn.network = message.payload
        sendTo(conn, { type: "changeNetwork", payload: { network: conn.network } })
        sendModels(conn)
      })
    case "setSocketEventSubscriptions":
      return Effect.sync(() => {
        const hadModels = isSubscribed(conn.subscriptions, "swarmModels")
        const hadLLMModels = isSubscribed(conn.subscriptions, "swarmLLMModels")
        applySubscriptionUpdate(conn.subscriptions, message.payload)
        sendTo(conn, {
          type: "socketEventSubscriptionsUpdated",
          payload: { socketEventSubscriptions: Object.fromEntries(conn.subscriptions) }
        })
        if (!hadModels && isSubscribed(conn.subscriptions, "swarmModels")) sendModels(conn)
        if (!hadLLMModels && isSubscribed(conn.subscriptions, "swarmLLMModels")) sendLLMModels(world, conn)
      })
    case "llmJobRequest":
      return admitLLMJob(world, conn, message.payload)
    case "llmJobCancel":
      return Effect.flatMap(
        cancelLLMJob(world, conn, message.payload.jobID, false),
        (handled) =>
          handled ? Effect.void : Effect.logDebug(`llmJobCancel ${message.payload.jobID}: no such running LLM job`)
      )
  }
}

/**
 * Takes over an upgraded WebSocket: authenticates it, evicts an older connection of the same appId,
 * sends the handshake and starts the connection's fiber.
 *
 * @internal
 */
export const acceptConnection = (world: World, ws: WebSocket, request: IncomingMessage): void => {
  ws.on("error", () => {
    // Socket errors end in "close"; nothing else to do here.
  })
  const credential = readCredential(world, request.headers)
  if (credential._tag !== "Valid") {
    ws.close(CloseCodes.authError, "Authentication failed")
    return
  }
  const url = new URL(request.url ?? "/", "http://emulator.invalid")
  const appId = url.searchParams.get("appId")?.trim() ?? ""
  if (appId.length === 0) {
    ws.close(CloseCodes.appIdRequired, "appId query parameter is required")
    return
  }
  const previous = world.connections.get(appId)
  if (previous !== undefined) {
    detach(world, previous)
    previous.ws.close(CloseCodes.switchConnection, "Switch connection")
  }
  const account = credential.account
  const appSource = url.searchParams.get("appSource")?.trim()
  const conn: Connection = {
    id: randomHex(8),
    appId,
    account,
    ws,
    connectedAt: Date.now(),
    appSource: appSource !== undefined && appSource.length > 0 ? appSource : undefined,
    attribution: Attribution.normalizeConnection(Object.fromEntries(url.searchParams)),
    clientSID: nextSerial(world),
    network: url.searchParams.get("forceWorkerId") === "fast" ? "fast" : "relaxed",
    subscriptions: parseSubscriptions(url.searchParams.get("socketEventSubscriptions")),
    outbox: Effect.runSync(Queue.unbounded()),
    inbox: Effect.runSync(Queue.unbounded()),
    fiber: undefined,
    closed: false
  }
  // Snapshot and registration happen in one synchronous step, so live frames of recovered projects
  // can only follow the `authenticated` frame that lists them.
  const active = liveProjectsOf(world, appId)
  const unclaimed = unclaimedOf(world, appId, true)
  world.connections.set(appId, conn)
  const entitlement = handshakeEntitlementOf(world, account)
  sendTo(conn, {
    type: "authenticated",
    payload: {
      id: conn.id,
      clientType: "artist",
      username: account.username,
      address: account.walletAddress,
      SID: account.SID,
      clientSID: conn.clientSID,
      addressSID: account.addressSID,
      balanceVersion: 2,
      tokens: balancesOf(account),
      activeProjects: active.map(recoveredProject),
      unclaimedCompletedProjects: unclaimed.map(recoveredProject),
      activeLLMJobIDs: activeLLMJobIDsOf(world, appId),
      isMainnet: true,
      accountWasMigrated: false,
      hasUnclaimedAirdrop: false,
      firstLoginAfterMigration: false,
      freeSparkLocked: false,
      ...(entitlement !== undefined ? { subscriptionEntitlement: entitlement } : {})
    }
  })
  sendTo(conn, { type: "balanceUpdate", payload: balancesOf(account) })
  sendTo(conn, { type: "changeNetwork", payload: { network: conn.network } })
  sendModels(conn)
  sendLLMModels(world, conn)

  ws.on("message", (data) => {
    conn.inbox.unsafeOffer(toBytes(data))
  })
  ws.on("close", () => {
    detach(world, conn)
    const fiber = conn.fiber
    if (fiber !== undefined) world.run(Fiber.interrupt(fiber))
  })
  conn.fiber = world.run(
    Effect.all([writerLoop(world, conn), readerLoop(world, conn)], { concurrency: "unbounded", discard: true })
  )
}

/** The raw text of a deliberately malformed frame. @internal */
export const malformedFrame = (kind: MalformedKind): string => {
  switch (kind) {
    case "noData":
      return JSON.stringify({ type: "jobState" })
    case "badBase64":
      return JSON.stringify({ type: "jobState", data: "%%%not*base64%%%" })
    case "notJson":
      return "this is not JSON"
    case "unknownType":
      return Protocol.encodeFrame("emulatorMysteryEvent", { hello: "world" })
    case "invalidPayload":
      return Protocol.encodeFrame("jobProgress", { jobID: 42, step: "three" })
  }
}

/** Queues a raw frame on a connection, bypassing encoding (malformed-frame fault). @internal */
export const sendRaw = (conn: Connection, text: string): boolean =>
  !conn.closed && conn.outbox.unsafeOffer({ text, at: Date.now() })
