/**
 * The LLM models of the network and their limits (chat.md §9), read from the one place that tracks them:
 * the socket's latest `swarmLLMModels` push ({@link SogniSocket.SogniSocketService.latest}). Chat (model
 * checks, `maxTokens` defaults) and media (`Models.llmModels`) both follow it through {@link follow}, so the
 * list is decoded by one function and held by one owner.
 *
 * @example
 * ```ts
 * import { Effect, SubscriptionRef } from "effect"
 * import { LlmModels, SogniSocket } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const socket = yield* SogniSocket.SogniSocket
 *   const models = yield* LlmModels.follow(socket)
 *   return yield* SubscriptionRef.get(models)
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Protocol from "./Protocol.js"
import type * as SogniSocket from "./SogniSocket.js"
import * as SubscriptionRefs from "./SubscriptionRefs.js"

/**
 * An LLM and its limits (chat.md §9); numeric legacy entries become `{ workers }`.
 *
 * @since 0.2.0
 */
export interface LlmModel {
  readonly id: string
  readonly workers: number
  readonly maxContextLength: number | undefined
  readonly maxOutputTokens: { readonly min: number; readonly max: number; readonly default: number } | undefined
  readonly info: Readonly<Record<string, unknown>>
}

/**
 * The models of a `swarmLLMModels` push.
 *
 * @since 0.2.0
 */
export function fromPayload(payload: Protocol.SwarmLLMModels): ReadonlyArray<LlmModel> {
  return Object.entries(payload).map(([id, value]): LlmModel => {
    const info = typeof value === "number" ? { workers: value } : value
    const out = (info as { maxOutputTokens?: unknown }).maxOutputTokens
    const maxContext = (info as { maxContextLength?: unknown }).maxContextLength
    return {
      id,
      workers: info.workers,
      maxContextLength: typeof maxContext === "number" ? maxContext : undefined,
      maxOutputTokens: typeof out === "object" && out !== null
        ? (out as { min: number; max: number; default: number })
        : undefined,
      info
    }
  })
}

/**
 * Whether the socket has received a model list yet.
 *
 * @since 0.2.0
 */
export function known(socket: SogniSocket.SogniSocketService): Effect.Effect<boolean> {
  return Effect.map(SubscriptionRefs.get(socket.latest.swarmLLMModels), Option.isSome)
}

/**
 * A view of the socket's latest model list as decoded models (empty until the first push), kept up to
 * date by a fiber of the current scope. It does not connect the socket.
 *
 * @since 0.2.0
 */
export function follow(
  socket: SogniSocket.SogniSocketService
): Effect.Effect<SubscriptionRef.SubscriptionRef<ReadonlyArray<LlmModel>>, never, Scope.Scope> {
  return Effect.gen(function*() {
    // the pushes themselves (`latest.swarmLLMModels` is set from each one before it is delivered), taken
    // from a subscription rather than as a Stream of the ref's changes: the fiber then holds a queue
    // take, not Effect's Stream, Channel and PubSub machinery (compiled code and executors kept in the
    // heap of every program that builds the models service). Subscribed before the current value is read,
    // so no push falls between the two.
    const pushes = yield* socket.subscribe(["swarmLLMModels"])
    const initial = yield* SubscriptionRefs.get(socket.latest.swarmLLMModels)
    const models = yield* SubscriptionRefs.make<ReadonlyArray<LlmModel>>(Option.match(initial, { onNone: () => [], onSome: fromPayload }))
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.flatMap(Queue.take(pushes), (event) =>
          event.type === "swarmLLMModels" ? SubscriptionRefs.set(models, fromPayload(event.payload)) : Effect.void)
      )
    )
    return models
  })
}
