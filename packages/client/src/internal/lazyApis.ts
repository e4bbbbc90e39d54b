/**
 * The facades of `sogni.chat`, `sogni.workflows` and `sogni.replay`: the same members as `ChatApi`,
 * `WorkflowsApi` and `ReplayApi` (checked against their public shapes), each call loading the real
 * object on first use (see `lazyRuntime.ts`) and handing the call to it. What must answer without a
 * load (listeners, the LLM model list pushed by the server) lives on the facade; the real `ChatApi`
 * emits through the facade, so listeners added before the load hear every event.
 */
import type { LlmModel } from "@effect-sogni/core/LlmModels"
import type { ChatApi, ChatApiEvents } from "../ChatApi.js"
import type { LLMModelInfo } from "../types.js"
import type { CreativeWorkflowTemplatesApi, NoEvents, ReplayApi, WorkflowsApi } from "../WorkflowsApi.js"
import { Emitter } from "./emitter.js"
import type { Followed } from "./followed.js"
import { deferredIterator } from "./lazyRuntime.js"

/** The public members of a class (what its users can reach), as a structural type. */
export type PublicOf<A> = { [K in keyof A]: A[K] }

/**
 * An object with one function per name, each loading its target and calling the target's method of
 * that name (the sub-APIs of `sogni.chat`).
 */
function callsOf<A, K extends keyof A & string>(load: () => Promise<A>, names: ReadonlyArray<K>): Pick<A, K> {
  return Object.fromEntries(
    names.map((name) => [name, (...args: Array<unknown>) => load().then((real) => (real[name] as (...args: Array<unknown>) => unknown)(...args))])
  ) as Pick<A, K>
}

/** The LLM list as `sogni.chat.models` gives it: by id, with the workers. @internal */
export function llmModelsById(list: ReadonlyArray<LlmModel>): Readonly<Record<string, LLMModelInfo>> {
  return Object.fromEntries(list.map((m) => [m.id, { ...m.info, workers: m.workers }]))
}

/** `sogni.chat` before (and after) its code is loaded. */
export class LazyChatApi extends Emitter<ChatApiEvents> implements PublicOf<ChatApi> {
  /** The LLM list of the client's services (set once they are up). */
  private llm: Followed<ReadonlyArray<LlmModel>> | undefined
  /** The last list read and its object by id (the same object until the list changes). */
  private seen: ReadonlyArray<LlmModel> | undefined
  private seenById: Readonly<Record<string, LLMModelInfo>> = {}
  private real: ChatApi | undefined
  /** @internal Loads the real `ChatApi`, its events then going to this facade's listeners. */
  readonly load: () => Promise<ChatApi>

  readonly completions: ChatApi["completions"]
  readonly hosted: ChatApi["hosted"]
  readonly runs: ChatApi["runs"]
  readonly tools: ChatApi["tools"]

  /** @param load loads the real `ChatApi` (memoised by the caller) */
  constructor(load: () => Promise<ChatApi>) {
    super()
    this.load = () =>
      load().then((real) => {
        if (this.real !== real) {
          // its events go to this facade's listeners (its models are this facade's: see `SogniClient`)
          real.emit = (event, data) => this.emit(event, data)
          this.real = real
        }
        return real
      })
    const chat = this.load
    this.completions = callsOf(() => chat().then((c) => c.completions), ["create"])
    this.hosted = callsOf(() => chat().then((c) => c.hosted), ["create", "executeTool"])
    this.runs = {
      ...callsOf(() => chat().then((c) => c.runs), ["create", "get", "cancel", "confirmCost"]),
      streamEvents: (runId, options) => deferredIterator(() => chat().then((c) => c.runs.streamEvents(runId, options)))
    }
    this.tools = callsOf(() => chat().then((c) => c.tools), ["execute", "executeAll"])
  }

  /** @internal The LLM list of the client's services, once they are up. */
  _followModels(llm: Followed<ReadonlyArray<LlmModel>>): void {
    this.llm = llm
    if (this.listenerCount("modelsUpdated") > 0) this.followModels()
  }

  /** The list's changes are watched from the first `modelsUpdated` listener on. */
  protected override listenersChanged(event: keyof ChatApiEvents, delta: number): void {
    if (event === "modelsUpdated" && delta > 0) this.followModels()
  }

  /** Announces each new LLM list (`modelsUpdated`), from now on. */
  private followModels(): void {
    this.llm?.follow((list) => this.emit("modelsUpdated", this.byId(list)))
  }

  private byId(list: ReadonlyArray<LlmModel>): Readonly<Record<string, LLMModelInfo>> {
    if (list !== this.seen) {
      this.seen = list
      this.seenById = llmModelsById(list)
    }
    return this.seenById
  }

  /** LLM models as last pushed by the server, by id. */
  get models(): Readonly<Record<string, LLMModelInfo>> {
    const list = this.llm?.current()
    return list === undefined ? {} : this.byId(list)
  }
}
export interface LazyChatApi extends Pick<ChatApi, "estimateCost" | "waitForModels"> {}

/** What a facade loads: the real object, whose methods its delegated calls run. */
interface Loads {
  readonly load: () => Promise<object>
}

/**
 * Puts on `target`'s prototype one method per name (non-enumerable and writable, as a class's own
 * methods): it loads the real object through the facade's `load` and calls its method of that name.
 */
function delegate(target: { readonly prototype: Loads }, names: ReadonlyArray<string>): void {
  for (const name of names) {
    Object.defineProperty(target.prototype, name, {
      configurable: true,
      writable: true,
      value(this: Loads, ...args: Array<unknown>) {
        return this.load().then((real) => (real as Record<string, (...args: Array<unknown>) => unknown>)[name]!(...args))
      }
    })
  }
}

// as `ChatApi.estimateCost` and `ChatApi.waitForModels`
delegate(LazyChatApi, ["estimateCost", "waitForModels"])

type TemplateCalls = "list" | "get" | "create" | "update" | "delete" | "fork"

/** `sogni.workflows.templates` before (and after) its code is loaded. */
class LazyTemplatesApi extends Emitter<NoEvents> implements PublicOf<CreativeWorkflowTemplatesApi> {
  /** @param load loads the real templates API (memoised by the caller) */
  constructor(readonly load: () => Promise<CreativeWorkflowTemplatesApi>) {
    super()
  }
}
interface LazyTemplatesApi extends Pick<CreativeWorkflowTemplatesApi, TemplateCalls> {}
delegate(LazyTemplatesApi, ["list", "get", "create", "update", "delete", "fork"] satisfies ReadonlyArray<TemplateCalls>)

type WorkflowCalls = "start" | "list" | "get" | "events" | "resume" | "reseed" | "cancel" | "confirmCost"

/** `sogni.workflows` before (and after) its code is loaded. */
export class LazyWorkflowsApi extends Emitter<NoEvents> implements PublicOf<WorkflowsApi> {
  readonly templates: CreativeWorkflowTemplatesApi

  /** @param load loads the real workflows API (memoised by the caller) */
  constructor(readonly load: () => Promise<WorkflowsApi>) {
    super()
    // the facade has the templates class's public members; its private ones are the real class's own
    this.templates = new LazyTemplatesApi(() => load().then((w) => w.templates)) as PublicOf<CreativeWorkflowTemplatesApi> as CreativeWorkflowTemplatesApi
  }
  streamEvents(...args: Parameters<WorkflowsApi["streamEvents"]>): ReturnType<WorkflowsApi["streamEvents"]> {
    return deferredIterator(() => this.load().then((w) => w.streamEvents(...args)))
  }
}
export interface LazyWorkflowsApi extends Pick<WorkflowsApi, WorkflowCalls> {}
delegate(
  LazyWorkflowsApi,
  ["start", "list", "get", "events", "resume", "reseed", "cancel", "confirmCost"] satisfies ReadonlyArray<WorkflowCalls>
)

type ReplayCalls = "write" | "list" | "get"

/** `sogni.replay` before (and after) its code is loaded. */
export class LazyReplayApi extends Emitter<NoEvents> implements PublicOf<ReplayApi> {
  /** @param load loads the real replay API (memoised by the caller) */
  constructor(readonly load: () => Promise<ReplayApi>) {
    super()
  }
}
export interface LazyReplayApi extends Pick<ReplayApi, ReplayCalls> {}
delegate(LazyReplayApi, ["write", "list", "get"] satisfies ReadonlyArray<ReplayCalls>)
