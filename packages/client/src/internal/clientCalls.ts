/**
 * The code of {@link SogniClient}'s {@link ClientCalls} (resuming a session from stored tokens, the
 * cookie-session probe, changing socket event subscriptions), loaded by dynamic import with the first
 * of them, and of what `createInstance` does only for some configurations: a custom `logger`, and the
 * settings it refuses or warns about. A program that only renders images reaches none of it: the class
 * keeps the calls' names, each forwarding to the function of that name here with the client first.
 */
import * as Attribution from "@effect-sogni/core/Attribution"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as EffectLogLevel from "effect/LogLevel"
import { InvalidRequestError } from "../errors.js"
import { type ClientCalls, levelOf, type SogniClient, type SogniClientConfig } from "../SogniClient.js"
import type { Logger as LoggerLike, LogLevel } from "../types.js"
import type { Runner } from "./runner.js"

/** {@link ClientCalls} as functions of the client they run for. */
export type ClientCallsCode = {
  readonly [K in keyof ClientCalls]: (client: SogniClient, ...args: Parameters<ClientCalls[K]>) => ReturnType<ClientCalls[K]>
}

/** The calls, each with the client first. */
export const calls: ClientCallsCode = {
  setTokens: async (client, tokens) => {
    if (client.config.authType === "apiKey" || client._hasApiKey) {
      throw new InvalidRequestError("setTokens can only be used with token authentication (this client has an API key)", {
        reason: "InvalidRequest",
        fields: { field: "authType", rule: "token-required" }
      })
    }
    if (typeof tokens?.token !== "string" || typeof tokens.refreshToken !== "string") {
      throw new InvalidRequestError("setTokens needs { token, refreshToken } strings", {
        reason: "InvalidRequest",
        fields: { field: "tokens", rule: "type" }
      })
    }
    const { resumeSession } = await import("./accountCalls.js")
    await resumeSession(client.account, tokens)
  },
  checkAuth: async () => {
    throw new InvalidRequestError("checkAuth is for cookie authentication, which this client does not support", {
      reason: "InvalidRequest",
      fields: { field: "authType", rule: "cookies-required" }
    })
  },
  setSocketEventSubscriptions: async (client, update) => {
    // flat flags (`{ modelAvailability: false }`) or an update (`{ subscribe, unsubscribe, reset, … }`)
    const updateKeys = ["subscriptions", "subscribe", "unsubscribe", "reset", "event", "enabled"]
    const wire = Object.keys(update).some((k) => updateKeys.includes(k)) ? update : { subscriptions: update }
    await client._runner.run(
      Effect.flatMap(SogniSocket.SogniSocket, (s) => s.setEventSubscriptions(wire as never))
    )
  }
}

/** The refusal of an `authType` this client cannot honour, as `createInstance` throws it. */
export const authTypeRefusal = (config: SogniClientConfig): InvalidRequestError =>
  config.authType === "cookies"
    ? new InvalidRequestError(
      "authType 'cookies' is not supported: it relies on a browser's httpOnly session cookie for *.sogni.ai, and this client keeps its credential inside the runtime. Use apiKey, or authType 'token' with account.login() or setTokens().",
      { reason: "InvalidRequest", fields: { field: "authType", rule: "unsupported" } }
    )
    : new InvalidRequestError("authType 'token' and an apiKey were both given; pick one", {
      reason: "InvalidRequest",
      fields: { field: "authType", rule: "conflict" }
    })

/**
 * The warnings of attribution settings the client does not send: the per-job `workload`, and the
 * `connection` fields dropped as invalid.
 */
export const warnAttribution = async (runner: Runner<never>, config: SogniClientConfig): Promise<void> => {
  const dropped = Attribution.connectionProblems(config.attribution?.connection)
  if (config.attribution?.workload !== undefined) {
    await runner.run(Effect.logWarning("attribution.workload is not sent by this client; connection attribution is"))
  }
  if (dropped.length > 0) {
    await runner.run(Effect.logWarning(
      `attribution.connection: dropped ${dropped.map((p) => `${p.field} (must be ${p.rule})`).join(", ")}`
    ))
  }
}

/**
 * The client's logging with a custom `logger`: the default logger replaced by one that hands each line
 * to the logger's method of its level. A custom logger alone gets every level (the official client
 * hands it all and lets it filter); with a `logLevel` too, that level filters what reaches it.
 */
export const customLogger = (custom: LoggerLike, logLevel: LogLevel | undefined): Layer.Layer<never> =>
  Layer.merge(
    Logger.minimumLogLevel(logLevel === undefined ? EffectLogLevel.Debug : levelOf(logLevel)),
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
        if (logLevel._tag === "Error" || logLevel._tag === "Fatal") custom.error(text)
        else if (logLevel._tag === "Warning") custom.warn(text)
        else if (logLevel._tag === "Info") custom.info(text)
        else custom.debug(text)
      })
    )
  )
