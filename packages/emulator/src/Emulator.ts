/**
 * A local Sogni Supernet on one loopback port: the REST host (`/v1..v4/...`), the socket host's HTTP
 * paths (`/api/...`) and its WebSocket (`/`), plus signed media downloads and a fault-control RPC.
 *
 * Provide {@link layer} (port 0 picks a free port) and read the service for the URLs to point a client
 * at. Shutting the layer down closes every socket and stops every simulated project.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Emulator } from "@effect-sogni/emulator"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   console.log(emulator.url, emulator.wsUrl, emulator.apiKey)
 *   yield* emulator.control.failRest({ count: 1, status: 503, retryAfterSeconds: 1 })
 * }).pipe(Effect.provide(Emulator.layer({ port: 0 })))
 * ```
 *
 * @since 0.1.0
 */
import { Wallet } from "@effect-sogni/core"
import * as Subscriptions from "@effect-sogni/core/Subscriptions"
import * as Headers from "@effect/platform/Headers"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as RpcServer from "@effect/rpc/RpcServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import { type EmulatorControl, EmulatorRpcs, handlersLayer } from "./EmulatorControl.js"
import { makeAnnouncementState } from "./internal/announcements.js"
import { type CatalogOverrides, catalogOverrideProblems, makeCatalog } from "./internal/catalog.js"
import { makeChatRunStore } from "./internal/chatRuns.js"
import { makeControl } from "./internal/control.js"
import { LLM_MODELS } from "./internal/llm.js"
import { guardRequests } from "./internal/httpGuard.js"
import { makeHttpApp } from "./internal/rest.js"
import { makeSageRoom, type SageControl, type SageOptions, sageOptionProblems } from "./internal/sage/room.js"
import { withSage } from "./internal/sage/router.js"
import { acceptConnection, CloseCodes } from "./internal/socket.js"
import type { AccountState, BalanceState, World } from "./internal/state.js"
import { makeRoom as makeZelaiRoom, type ZelaiControl, type ZelaiOptions } from "./internal/zelai/room.js"
import { makeSubscriptionState } from "./internal/subscriptions.js"
import { makeSigner } from "./internal/tokens.js"
import { makeWorkflowRegistry } from "./internal/workflows/state.js"

export type { ZelaiBilling, ZelaiControl, ZelaiMalformedKind, ZelaiOptions } from "./internal/zelai/room.js"

/** The ZelAI key accepted when none is configured (`zelai.apiKeys`). @since 0.2.0 */
export { DEFAULT_ZELAI_KEY } from "./internal/zelai/room.js"

/** The API key accepted when none is configured. @since 0.1.0 */
export const DEFAULT_API_KEY = "sogni-dev-key"

/** The default account's username. @since 0.1.0 */
export const DEFAULT_USERNAME = "pixelfox"

/** How long shutdown keeps serving HTTP after closing the sockets. */
const SHUTDOWN_GRACE_MILLIS = 60

/** The default account's password (username/password login). @since 0.1.0 */
export const DEFAULT_PASSWORD = "sogni-dev-password"

/**
 * An emulator account. The first account owns the layer's `apiKeys`.
 *
 * @since 0.1.0
 */
export interface AccountOptions {
  readonly username: string
  readonly password: string
  readonly email?: string | undefined
  /** Extra API keys of this account. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Starting balances (defaults: 1000 Spark, 500 SOGNI). */
  readonly spark?: number | undefined
  readonly sogni?: number | undefined
}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number | undefined
  /** API keys of the first account (default: `["sogni-dev-key"]`). */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /**
   * Simulation speed. Every simulated delay is divided by it: 1 (default) ≈ 25 ms per diffusion step,
   * 0.05 ≈ half a second per step (demo pace), 4 ≈ 6 ms per step.
   */
  readonly speed?: number | undefined
  /** Accounts (default: one account `pixelfox` / `sogni-dev-password`). */
  readonly accounts?: ReadonlyArray<AccountOptions> | undefined
  /** Lifetime of minted media URLs (default 30 minutes). */
  readonly mediaUrlTtlMillis?: number | undefined
  /**
   * Serve saved uploads (`/v1/assets`, rest.md §5.6): capabilities say `{enabled: true}` and clients
   * may upload inputs once and bind them to projects. Default false (every `/v1/assets` path is 404).
   */
  readonly savedUploads?: boolean | undefined
  /** Access-token lifetime for username/password sessions (default 1 hour). */
  readonly accessTokenTtlSeconds?: number | undefined
  /** Length in completion tokens of a `[[long]]` LLM reply (default: ~60 filler sentences). */
  readonly llmLongTokens?: number | undefined
  /**
   * `jobTokens` frames an LLM job sends back to back between two token waits (default 1). Large values
   * stream long replies fast (benchmarks) while keeping one token per frame.
   */
  readonly llmTokensPerTick?: number | undefined
  /** The ZelAI side (`/ws/generation` and the CDN on the same port). */
  readonly zelai?: ZelaiOptions | undefined
  /** The Sage LLM routes (`/sage_llm/*`, `/api/sage_llm/*`): response shape and mock providers. */
  readonly sage?: SageOptions | undefined
  /**
   * Largest request body accepted, in bytes (default 16 MiB); larger ones are answered `413` without
   * being read. The upload routes use {@link Options.maxUploadBytes} instead.
   */
  readonly maxBodyBytes?: number | undefined
  /** Largest body of an upload route (`/_uploads/…`, `/_assets/…`), in bytes (default 100 MiB). */
  readonly maxUploadBytes?: number | undefined
  /** How long a client has to send a whole request body (default 30 s); then `408`. */
  readonly bodyTimeoutMillis?: number | undefined
  /**
   * The subscription entitlement of every account (socket.md §15, the `subscriptionEntitlementUpdated`
   * shape): the `authenticated` frame carries it as `subscriptionEntitlement`, and
   * `GET /v1/subscriptions/status` answers it (mapped as the platform maps it). Without it (the default)
   * the frame carries none and the REST status answers the account's plan. The control API's
   * `SetEntitlement` changes one account's and pushes it as `subscriptionEntitlementUpdated`.
   */
  readonly subscriptionEntitlement?: Subscriptions.Entitlement | undefined
  /**
   * Changes to the built-in model catalog for this emulator only, e.g. a higher `maxSteps` for a media
   * model (its tier serves the same `steps.max`) or a higher `maxOutputTokens` for an LLM model.
   * Unknown ids and limits that are not positive integers are invalid options.
   */
  readonly catalog?: CatalogOverrides | undefined
}

/** Changes to the built-in model catalog ({@link Options.catalog}). @since 0.2.0 */
export type { CatalogOverrides } from "./internal/catalog.js"

export type {
  /** @since 0.2.0 */
  SageControl,
  /** @since 0.2.0 */
  SageDisconnect,
  /** @since 0.2.0 */
  SageGateStats,
  /** @since 0.2.0 */
  SageOptions,
  /** @since 0.2.0 */
  SageRequestRecord
} from "./internal/sage/room.js"

/** The request-body defaults of {@link Options}. @since 0.1.0 */
export const bodyDefaults = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxUploadBytes: 100 * 1024 * 1024,
  bodyTimeoutMillis: 30_000
} as const

/**
 * Header names whose values never reach the emulator's `http.server` span attributes in clear: the
 * platform's defaults plus the Sogni credential headers.
 *
 * @since 0.1.0
 */
export const redactedHeaderNames: ReadonlyArray<string> = [
  "authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "proxy-authorization"
]

/**
 * A running emulator.
 *
 * @since 0.1.0
 */
export interface Service {
  /** `http://127.0.0.1:PORT`: use as both `restEndpoint` and the socket host's HTTP base. */
  readonly url: string
  /** `ws://127.0.0.1:PORT`: use as `socketEndpoint`. */
  readonly wsUrl: string
  readonly port: number
  /** The first API key. */
  readonly apiKey: string
  readonly apiKeys: ReadonlyArray<string>
  /** Accounts with their derived wallet addresses. */
  readonly accounts: ReadonlyArray<{ readonly username: string; readonly password: string; readonly walletAddress: string }>
  /** Fault control, in-process (the same operations as the `/_emulator/rpc` group). */
  readonly control: EmulatorControl
  /** The ZelAI side: its dev key, billing record, fault control. Its REST base is {@link url}. */
  readonly zelai: ZelaiControl
  /** The Sage routes' controls: response shape, providers, requests seen, closed streams, the gate. */
  readonly sage: SageControl
}

/**
 * The emulator service tag.
 *
 * @since 0.1.0
 */
export class Emulator extends Context.Tag("@effect-sogni/emulator/Emulator")<Emulator, Service>() {}

const makeBalance = (settled: number): BalanceState => ({ settled, credit: 0, debit: 0, premiumCredit: 0 })

const validate = (options: Options) => {
  const problems: string[] = []
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`port must be 0..65535 (got ${port})`)
  const speed = options.speed ?? 1
  if (!(speed > 0) || !Number.isFinite(speed)) problems.push(`speed must be a positive number (got ${speed})`)
  for (
    const [name, value] of [
      ["llmLongTokens", options.llmLongTokens],
      ["llmTokensPerTick", options.llmTokensPerTick],
      ["maxBodyBytes", options.maxBodyBytes],
      ["maxUploadBytes", options.maxUploadBytes],
      ["bodyTimeoutMillis", options.bodyTimeoutMillis]
    ] as const
  ) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      problems.push(`${name} must be a positive integer (got ${value})`)
    }
  }
  problems.push(...sageOptionProblems(options.sage))
  let entitlement: Subscriptions.Entitlement | undefined
  if (options.subscriptionEntitlement !== undefined) {
    const decoded = Schema.decodeUnknownEither(Subscriptions.Entitlement)(options.subscriptionEntitlement)
    if (Either.isLeft(decoded)) problems.push(`subscriptionEntitlement is not an entitlement (socket.md §15): ${decoded.left.message}`)
    else entitlement = decoded.right
  }
  problems.push(...catalogOverrideProblems(options.catalog, LLM_MODELS))
  const apiKeys = options.apiKeys !== undefined && options.apiKeys.length > 0 ? options.apiKeys : [DEFAULT_API_KEY]
  if (apiKeys.some((k) => k.trim().length === 0)) problems.push("API keys must not be empty")
  const accounts = options.accounts !== undefined && options.accounts.length > 0
    ? options.accounts
    : [{ username: DEFAULT_USERNAME, password: DEFAULT_PASSWORD }]
  return { problems, port, speed, apiKeys, accounts, entitlement }
}

/**
 * Builds the emulator in the current scope: listens, serves, and cleans up when the scope closes.
 * Invalid options are a defect with a message listing every problem.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { accounts: accountOptions, apiKeys, entitlement, port, problems, speed } = validate(options)
    if (problems.length > 0) return yield* Effect.dieMessage(`Invalid emulator options: ${problems.join("; ")}`)

    const accounts: AccountState[] = accountOptions.map((a, i) => ({
      username: a.username,
      password: a.password,
      email: a.email ?? `${a.username.toLowerCase()}@example.test`,
      walletAddress: Wallet.deriveWallet(a.username, Redacted.make(a.password)).address,
      SID: 48211 + i,
      addressSID: 3377 + i,
      balances: { spark: makeBalance(a.spark ?? 1000), sogni: makeBalance(a.sogni ?? 500) }
    }))
    const run = yield* FiberSet.makeRuntime<never, unknown, unknown>()
    const world: World = {
      settings: {
        port,
        host: "127.0.0.1",
        apiKeys,
        speed,
        mediaUrlTtlMillis: options.mediaUrlTtlMillis ?? 30 * 60_000,
        savedUploads: options.savedUploads ?? false,
        accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
        llmLongTokens: options.llmLongTokens,
        llmTokensPerTick: options.llmTokensPerTick ?? 1,
        refreshTokenTtlSeconds: 30 * 24 * 3600
      },
      signer: makeSigner(),
      accounts,
      accountsByUsername: new Map(accounts.map((a) => [a.username, a])),
      accountsByApiKey: new Map(),
      accountsByWallet: new Map(accounts.map((a) => [a.walletAddress.toLowerCase(), a])),
      connections: new Map(),
      projects: new Map(),
      projectsByApp: new Map(),
      unclaimed: new Map(),
      images: new Map(),
      renderCache: new Map(),
      mediaCache: new Map(),
      uploads: new Map(),
      nonces: new Map(),
      revokedTokens: new Set(),
      faults: { delayMillis: 0, duplicate: 0, rest: [] },
      sseDrops: [],
      catalog: makeCatalog(options.catalog, LLM_MODELS),
      llmJobs: new Map(),
      workflows: makeWorkflowRegistry(),
      chatRuns: makeChatRunStore(),
      savedAssets: new Map(),
      personalLoras: new Map(),
      rewardClaims: new Map(),
      announcements: makeAnnouncementState(),
      subscriptions: makeSubscriptionState(entitlement),
      requestCounts: new Map(),
      run: (effect) => run(effect),
      serial: 100_000,
      baseUrl: ""
    }
    for (const key of apiKeys) world.accountsByApiKey.set(key, accounts[0]!)
    accountOptions.forEach((a, i) => {
      for (const key of a.apiKeys ?? []) world.accountsByApiKey.set(key, accounts[i]!)
    })

    const control = makeControl(world)
    const rpcApp = yield* RpcServer.toHttpApp(EmulatorRpcs).pipe(
      Effect.provide([handlersLayer(control), RpcSerialization.layerNdjson])
    )
    const sage = makeSageRoom(options.sage, speed)
    const app = withSage(sage, yield* makeHttpApp(world, rpcApp))
    // the handler's runtime carries the redacted names into every request's server span
    const handler = yield* Effect.locally(
      NodeHttpServer.makeHandler(app),
      Headers.currentRedactedNames,
      redactedHeaderNames
    )

    const zelai = makeZelaiRoom(world, options.zelai)
    const wss = new WebSocketServer({ noServer: true })
    const server = Http.createServer()
    server.on(
      "request",
      guardRequests({
        maxBodyBytes: options.maxBodyBytes ?? bodyDefaults.maxBodyBytes,
        maxUploadBytes: options.maxUploadBytes ?? bodyDefaults.maxUploadBytes,
        bodyTimeoutMillis: options.bodyTimeoutMillis ?? bodyDefaults.bodyTimeoutMillis
      }, (request, response) => {
        if (!zelai.serveHttp(request, response)) handler(request, response)
      })
    )
    // every request counted by path (control API `RequestCount`), before anything may refuse it
    server.prependListener("request", (request: Http.IncomingMessage) => {
      const path = new URL(request.url ?? "/", "http://emulator.invalid").pathname
      world.requestCounts.set(path, (world.requestCounts.get(path) ?? 0) + 1)
    })
    server.on("upgrade", (request: Http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(request.url ?? "/", "http://emulator.invalid").pathname
      if (path === "/ws/generation") {
        wss.handleUpgrade(request, socket, head, (ws) => zelai.accept(ws))
        return
      }
      if (path !== "/") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        return
      }
      wss.handleUpgrade(request, socket, head, (ws) => acceptConnection(world, ws, request))
    })
    const boundPort = yield* Effect.acquireRelease(
      Effect.async<number, never>((resume) => {
        server.once("error", (error) => resume(Effect.dieMessage(`emulator cannot listen on ${port}: ${error.message}`)))
        server.listen(port, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : port))
        })
      }),
      () =>
        Effect.gen(function*() {
          for (const client of wss.clients) client.close(CloseCodes.goingAway, "Emulator shutting down")
          // Keep serving HTTP briefly: a client's last calls (the official client fetches the project
          // record right after a project ends) should not die with the emulator.
          yield* Effect.sleep(SHUTDOWN_GRACE_MILLIS)
          for (const client of wss.clients) client.terminate()
          wss.close()
          yield* Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
            server.closeAllConnections()
          })
        })
    )
    world.baseUrl = `http://127.0.0.1:${boundPort}`
    return {
      url: world.baseUrl,
      wsUrl: `ws://127.0.0.1:${boundPort}`,
      port: boundPort,
      apiKey: apiKeys[0]!,
      apiKeys,
      accounts: accounts.map((a) => ({ username: a.username, password: a.password, walletAddress: a.walletAddress })),
      control,
      zelai: zelai.control,
      sage: sage.control
    }
  })

/**
 * The emulator as a scoped layer.
 *
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Emulator> => Layer.scoped(Emulator, make(options))
