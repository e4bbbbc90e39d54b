import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as PlatformHttp from "../src/PlatformHttp.js"
import { Protocol, SogniAuth, SogniConfig, SogniRest, Wallet } from "../src/index.js"

// ---------------------------------------------------------------------------------------------
// A small loopback account server: nonce, EIP-712 login (verified with Wallet), refresh, logout, me
// ---------------------------------------------------------------------------------------------

const USERNAME = "PixelFox"
const PASSWORD = "correct horse battery staple"

interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: Record<string, unknown>
}

interface AuthServer {
  readonly url: string
  readonly requests: Array<Recorded>
  readonly count: (path: string) => number
  /** Lifetime of access tokens issued by login / by refresh, seconds. */
  loginTtl: number
  refreshTtl: number
  refreshMode: "ok" | "refuse" | "drop"
  logoutStatus: number
  /** Verifies logins against the testnet domain. */
  testnet: boolean
  readonly validAccess: Set<string>
  readonly validRefresh: Set<string>
  lastIssued: { token: string; refreshToken: string } | undefined
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url")
let serial = 0
const jwt = (payload: Record<string, unknown>) =>
  `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ ...payload, jti: ++serial })}.c2ln`

const startServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; state: AuthServer }>((resume) => {
    const account = Wallet.deriveWallet(USERNAME, Redacted.make(PASSWORD))
    const nonces = new Map<string, string>()
    const requests: Array<Recorded> = []
    const issue = (ttl: number) => {
      const now = Math.floor(Date.now() / 1000)
      const token = jwt({ addr: account.address, env: "test", iat: now, exp: now + ttl })
      const refreshToken = jwt({ type: "refresh", env: "test", iat: now, exp: now + 30 * 86400 })
      state.validAccess.add(token)
      state.validRefresh.add(refreshToken)
      state.lastIssued = { token, refreshToken }
      return { token, refreshToken }
    }
    const state: AuthServer = {
      url: "",
      requests,
      count: (path) => requests.filter((r) => r.path === path).length,
      loginTtl: 3600,
      refreshTtl: 3600,
      refreshMode: "ok",
      logoutStatus: 200,
      testnet: false,
      validAccess: new Set(),
      validRefresh: new Set(),
      lastIssued: undefined
    }
    const server = http.createServer((req, res) => {
      let raw = ""
      req.on("data", (c) => (raw += c))
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0]!
        const body = raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>)
        requests.push({ method: req.method ?? "", path, headers: req.headers, body })
        const send = (status: number, payload?: unknown) => {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(payload === undefined ? "" : JSON.stringify(payload))
        }
        const ok = (data: unknown) => send(200, { status: "success", data })
        const fail = (status: number, message: string) => send(status, { status: "error", message, errorCode: status })
        switch (`${req.method} ${path}`) {
          case "POST /v1/account/nonce": {
            const nonce = crypto.randomUUID()
            nonces.set(String(body.walletAddress), nonce)
            return ok({ nonce })
          }
          case "POST /v1/account/login": {
            const walletAddress = String(body.walletAddress)
            const nonce = nonces.get(walletAddress)
            if (nonce === undefined) return fail(400, "no nonce")
            nonces.delete(walletAddress)
            const signer = Wallet.recoverAuthenticationSigner(String(body.signature), walletAddress, nonce, state.testnet)
            if (Option.getOrUndefined(signer) !== walletAddress) return fail(401, "Invalid signature")
            if (walletAddress !== account.address) return fail(401, "Unknown account")
            return ok({ ...issue(state.loginTtl), username: USERNAME.toLowerCase() })
          }
          case "POST /v1/account/refresh-token": {
            if (state.refreshMode === "drop") return req.socket.destroy()
            const rt = String(body.refreshToken)
            if (state.refreshMode === "refuse" || !state.validRefresh.has(rt)) return fail(401, "Invalid refresh token")
            state.validRefresh.delete(rt)
            return ok(issue(state.refreshTtl))
          }
          case "POST /v1/account/logout":
            return state.logoutStatus === 200 ? send(200) : fail(state.logoutStatus, "Unauthorized")
          case "GET /v1/account/me": {
            const token = req.headers["authorization"]
            if (token === undefined || !state.validAccess.has(token)) return fail(401, "Unauthorized")
            return ok({
              username: USERNAME.toLowerCase(),
              walletAddress: account.address,
              currentEmail: "pixelfox@example.test",
              emailVerified: true
            })
          }
          default:
            return fail(404, "Not found")
        }
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resume(Effect.succeed({ server, state: Object.assign(state, { url: `http://127.0.0.1:${port}` }) }))
    })
  }),
  ({ server }) => Effect.async<void>((resume) => {
    server.closeAllConnections()
    server.close(() => resume(Effect.void))
  })
).pipe(Effect.map(({ state }) => state))

const withAuth = <A, E>(
  server: AuthServer,
  settings: SogniConfig.SogniSettingsInput,
  body: Effect.Effect<A, E, SogniAuth.SogniAuth | SogniRest.SogniRest>
) =>
  Effect.provide(
    body,
    SogniRest.layerFetch.pipe(
      Layer.provide(
        SogniConfig.layer({
          restEndpoint: server.url,
          socketEndpoint: server.url.replace("http:", "ws:"),
          requestTimeout: "5 seconds",
          ...settings
        })
      )
    )
  )

const login = { username: USERNAME, password: Redacted.make(PASSWORD) }

describe("SogniAuth login", () => {
  it.scopedLive("logs in with a verified EIP-712 signature and sends the raw JWT", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { appSource: "my-app" },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
          const state = yield* auth.login(USERNAME, Redacted.make(PASSWORD))
          assert.strictEqual(state._tag, "Token")
          if (state._tag === "Token") {
            assert.strictEqual(state.username, "pixelfox")
            const inAnHour = Date.now() + 3600_000
            assert.isBelow(Math.abs(state.expiresAt.getTime() - inAnHour), 5_000)
            assert.isDefined(state.refreshExpiresAt)
          }
          const me = yield* auth.me
          assert.strictEqual(me.username, "pixelfox")
          assert.strictEqual(me.walletAddress, Wallet.deriveWallet(USERNAME, Redacted.make(PASSWORD)).address)
          const loginRequest = server.requests.find((r) => r.path === "/v1/account/login")!
          assert.strictEqual(loginRequest.body.rememberMe, true)
          assert.strictEqual(loginRequest.body.appSource, "my-app")
          assert.match(String(loginRequest.body.signature), /^0x[0-9a-f]{130}$/)
          const meRequest = server.requests.find((r) => r.path === "/v1/account/me")!
          assert.strictEqual(meRequest.headers["authorization"], server.lastIssued!.token)
          assert.isFalse(String(meRequest.headers["authorization"]).startsWith("Bearer"))
          // SogniRest carries the same credential
          const rest = yield* SogniRest.SogniRest
          const viaRest = yield* rest.get("rest", "/v1/account/me", Protocol.AccountMe)
          assert.strictEqual(viaRest.username, "pixelfox")
          const tokens = yield* auth.tokens
          assert.isTrue(Option.isSome(tokens))
          if (Option.isSome(tokens)) assert.strictEqual(Redacted.value(tokens.value.token), server.lastIssued!.token)
        })
      )
    }))

  it.scopedLive("a wrong password is refused with InvalidCredentials and leaves no session", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const error = yield* Effect.flip(auth.login(USERNAME, Redacted.make("wrong")))
          assert.strictEqual(error._tag, "SogniAuthenticationError")
          if (error._tag === "SogniAuthenticationError") assert.strictEqual(error.reason, "InvalidCredentials")
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
          assert.notInclude(JSON.stringify(error), "wrong")
        })
      )
    }))

  it.scopedLive("signs for the testnet domain when configured", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.testnet = true
      const mainnet = yield* withAuth(server, {}, Effect.flip(Effect.flatMap(SogniAuth.SogniAuth, (a) => a.login(login.username, login.password))))
      assert.strictEqual(mainnet._tag, "SogniAuthenticationError")
      const state = yield* withAuth(
        server,
        { testnet: true },
        Effect.flatMap(SogniAuth.SogniAuth, (a) => a.login(login.username, login.password))
      )
      assert.strictEqual(state._tag, "Token")
    }))

  it.scopedLive("logs in lazily from the config, once for concurrent callers", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { username: USERNAME, password: Redacted.make(PASSWORD) },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const rest = yield* SogniRest.SogniRest
          const results = yield* Effect.all(
            [auth.me, auth.me, rest.get("rest", "/v1/account/me", Protocol.AccountMe), auth.me, auth.me],
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.length, 5)
          assert.strictEqual(server.count("/v1/account/login"), 1)
          assert.strictEqual(server.count("/v1/account/nonce"), 1)
          assert.strictEqual(server.count("/v1/account/me"), 5)
        })
      )
    }))

  it.scopedLive("refused configured credentials are not tried again on every call", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { username: USERNAME, password: Redacted.make("wrong") },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const first = yield* Effect.flip(auth.me)
          assert.strictEqual(first._tag, "SogniAuthenticationError")
          if (first._tag === "SogniAuthenticationError") assert.strictEqual(first.reason, "InvalidCredentials")
          const second = yield* Effect.flip(auth.me)
          if (second._tag === "SogniAuthenticationError") assert.strictEqual(second.reason, "NotAuthenticated")
          assert.strictEqual(server.count("/v1/account/login"), 1)
          // an explicit login still works
          yield* auth.login(USERNAME, Redacted.make(PASSWORD))
          assert.strictEqual((yield* auth.me).username, "pixelfox")
        })
      )
    }))

  it.scopedLive("an API key in the config wins over username/password", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { apiKey: Redacted.make("key-1"), username: USERNAME, password: Redacted.make(PASSWORD) },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          assert.strictEqual((yield* auth.state)._tag, "ApiKey")
          const headers = yield* auth.headers
          assert.deepStrictEqual(Object.keys(headers), ["api-key"])
          assert.strictEqual(server.count("/v1/account/login"), 0)
        })
      )
    }))
})

describe("SogniAuth followers", () => {
  it.scopedLive("followState: a follower hears the state at once and each change until its scope closes; the others go on", () =>
    Effect.gen(function*() {
      const auth = yield* SogniAuth.make.pipe(
        Effect.provide(Layer.merge(
          SogniConfig.layer({ apiKey: Redacted.make("key-1"), restEndpoint: "http://127.0.0.1:9", socketEndpoint: "ws://127.0.0.1:9" }),
          PlatformHttp.fetchLayer
        ))
      )
      const ended: Array<string> = []
      const kept: Array<string> = []
      const inner = yield* Scope.make()
      yield* auth.followState((state) => ended.push(state._tag)).pipe(Scope.extend(inner))
      yield* auth.followState((state) => kept.push(state._tag))
      assert.deepStrictEqual([ended, kept], [["ApiKey"], ["ApiKey"]])
      yield* Scope.close(inner, Exit.void)
      yield* auth.invalidate("InvalidCredentials")
      assert.deepStrictEqual((yield* auth.state)._tag, "Unauthenticated")
      assert.deepStrictEqual(ended, ["ApiKey"])
      assert.deepStrictEqual(kept, ["ApiKey", "Unauthenticated"])
    }))
})

describe("SogniAuth refresh", () => {
  it.scopedLive("refreshes a token about to expire, once for concurrent callers, without auth header", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.loginTtl = 30 // inside the default 60 s margin
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          const firstToken = server.lastIssued!.token
          yield* Effect.all([auth.me, auth.me, auth.me, auth.me], { concurrency: "unbounded" })
          assert.strictEqual(server.count("/v1/account/refresh-token"), 1)
          const refresh = server.requests.find((r) => r.path === "/v1/account/refresh-token")!
          assert.isUndefined(refresh.headers["authorization"])
          assert.isUndefined(refresh.headers["api-key"])
          assert.isString(refresh.body.refreshToken)
          const used = server.requests.filter((r) => r.path === "/v1/account/me").map((r) => r.headers["authorization"])
          for (const t of used) assert.notStrictEqual(t, firstToken)
          const state = yield* auth.state
          assert.strictEqual(state._tag, "Token")
          if (state._tag === "Token") assert.isAbove(state.expiresAt.getTime(), Date.now() + 3000_000)
        })
      )
    }))

  it.scopedLive("a refused refresh ends the session with SessionExpired", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.loginTtl = 30
      server.refreshMode = "refuse"
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const changes = yield* Effect.fork(Stream.runCollect(Stream.take(auth.changes, 3)))
          yield* Effect.sleep("20 millis")
          yield* auth.login(login.username, login.password)
          const error = yield* Effect.flip(auth.me)
          assert.strictEqual(error._tag, "SogniAuthenticationError")
          if (error._tag === "SogniAuthenticationError") assert.strictEqual(error.reason, "SessionExpired")
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
          assert.strictEqual(server.count("/v1/account/me"), 0)
          const seen = Chunk.toReadonlyArray(yield* Fiber.join(changes)).map((s) => s._tag)
          assert.deepStrictEqual(seen, ["Unauthenticated", "Token", "Unauthenticated"])
          // no credential any more
          const next = yield* Effect.flip(auth.headers)
          assert.strictEqual(next._tag, "SogniAuthenticationError")
          if (next._tag === "SogniAuthenticationError") assert.strictEqual(next.reason, "NotAuthenticated")
        })
      )
    }))

  it.scopedLive("with configured credentials, the next call after an expired session logs in again", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.loginTtl = 30
      server.refreshMode = "refuse"
      yield* withAuth(
        server,
        { username: USERNAME, password: Redacted.make(PASSWORD) },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.headers // lazy login
          const error = yield* Effect.flip(auth.headers) // refresh refused
          assert.strictEqual(error._tag, "SogniAuthenticationError")
          server.loginTtl = 3600
          yield* auth.me
          assert.strictEqual(server.count("/v1/account/login"), 2)
        })
      )
    }))

  it.scopedLive("a refresh that gets no answer keeps the still-valid token", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.loginTtl = 30
      server.refreshMode = "drop"
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          const me = yield* auth.me
          assert.strictEqual(me.username, "pixelfox")
          assert.strictEqual(server.count("/v1/account/refresh-token"), 1)
          assert.strictEqual((yield* auth.state)._tag, "Token")
        })
      )
    }))
})

describe("SogniAuth session management", () => {
  it.scopedLive("logout calls the server with the token, clears, and does not log in again", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { username: USERNAME, password: Redacted.make(PASSWORD) },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.me
          const token = server.lastIssued!.token
          yield* auth.logout
          const logout = server.requests.find((r) => r.path === "/v1/account/logout")!
          assert.strictEqual(logout.headers["authorization"], token)
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
          const error = yield* Effect.flip(auth.me)
          assert.strictEqual(error._tag, "SogniAuthenticationError")
          if (error._tag === "SogniAuthenticationError") assert.strictEqual(error.reason, "NotAuthenticated")
          assert.strictEqual(server.count("/v1/account/login"), 1)
        })
      )
    }))

  it.scopedLive("logout tolerates a 401", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.logoutStatus = 401
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          yield* auth.logout
          assert.strictEqual(server.count("/v1/account/logout"), 1)
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
        })
      )
    }))

  it.scopedLive("setTokens resumes a stored session; bad tokens are refused", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const stored = yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          return Option.getOrThrow(yield* auth.tokens)
        })
      )
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const state = yield* auth.setTokens(stored, "pixelfox")
          assert.strictEqual(state._tag, "Token")
          assert.strictEqual((yield* auth.me).username, "pixelfox")
          assert.strictEqual(server.count("/v1/account/login"), 1)
          const bad = yield* Effect.flip(
            auth.setTokens({ token: Redacted.make("not-a-jwt"), refreshToken: Redacted.make("x") })
          )
          assert.strictEqual(bad._tag, "SogniDecodeError")
          assert.strictEqual((yield* auth.state)._tag, "Token")
        })
      )
    }))

  it.scopedLive("a 401 on an authenticated call clears the session", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          server.validAccess.clear() // the server forgets the token
          const error = yield* Effect.flip(auth.me)
          assert.strictEqual(error._tag, "SogniAuthenticationError")
          if (error._tag === "SogniAuthenticationError") assert.strictEqual(error.reason, "InvalidCredentials")
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
        })
      )
    }))

  it.scopedLive("a refusal of an older credential does not clear the current one", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.login(login.username, login.password)
          const old = yield* auth.headers
          yield* auth.login(login.username, login.password) // a new token pair
          yield* auth.invalidate("InvalidCredentials", { ifSent: old })
          assert.strictEqual((yield* auth.state)._tag, "Token")
          yield* auth.invalidate("InvalidCredentials", { ifSent: yield* auth.headers })
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
        })
      )
    }))

  it.scopedLive("invalidate clears an API key; setApiKey sets one", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* withAuth(
        server,
        { apiKey: Redacted.make("k") },
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          yield* auth.invalidate("Rejected")
          assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
          assert.strictEqual((yield* Effect.flip(auth.headers))._tag, "SogniAuthenticationError")
          yield* auth.setApiKey(Redacted.make("k2"))
          const headers = yield* auth.headers
          assert.strictEqual(Redacted.value(headers["api-key"]!), "k2")
        })
      )
    }))

  it.scopedLive("password and tokens never reach logs or errors", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      server.loginTtl = 30
      server.refreshMode = "refuse"
      const lines: Array<string> = []
      const capture = Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
      const errors = yield* withAuth(
        server,
        {},
        Effect.gen(function*() {
          const auth = yield* SogniAuth.SogniAuth
          const wrong = yield* Effect.flip(auth.login(USERNAME, Redacted.make(`${PASSWORD}!`)))
          yield* auth.login(USERNAME, Redacted.make(PASSWORD))
          const expired = yield* Effect.flip(auth.me)
          yield* Effect.logError(wrong)
          yield* Effect.logError(expired)
          return [wrong, expired]
        })
      ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)), Logger.withMinimumLogLevel(LogLevel.All))
      assert.isTrue(lines.some((l) => l.includes("session cleared")))
      const secrets = [PASSWORD, server.lastIssued!.token, server.lastIssued!.refreshToken]
      for (const s of secrets) {
        for (const l of lines) assert.notInclude(l, s)
        for (const e of errors) {
          assert.notInclude(String(e), s)
          assert.notInclude(JSON.stringify(e), s)
        }
      }
    }))
})
