/**
 * The facades of `sogni.chat`, `sogni.workflows` and `sogni.replay`: the same members as `ChatApi`,
 * `WorkflowsApi` and `ReplayApi` (checked against their public shapes), each call loading the real
 * object on first use (see `lazyRuntime.ts`) and handing the call to it. What must answer without a
 * load (listeners, the LLM model list pushed by the server) lives on the facade; the real `ChatApi`
 * emits through the facade, so listeners added before the load hear every event.
 */
import type { ChatApi, ChatApiEvents } from "../ChatApi.js"
import type { LLMModelInfo } from "../types.js"
import type { CreativeWorkflowTemplatesApi, NoEvents, ReplayApi, WorkflowsApi } from "../WorkflowsApi.js"
import { Emitter } from "./emitter.js"
import { deferredIterator } from "./lazyRuntime.js"

/** The public members of a class (what its users can reach), as a structural type. */
export type PublicOf<A> = { [K in keyof A]: A[K] }

/** `sogni.chat` before (and after) its code is loaded. */
export class LazyChatApi extends Emitter<ChatApiEvents> implements PublicOf<ChatApi> {
  private llm: Readonly<Record<string, LLMModelInfo>> = {}
  private real: ChatApi | undefined
  private readonly load: () => Promise<ChatApi>

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
          // the models seen so far, before its events go to this facade's listeners (no repeated event)
          real._setModels(this.llm)
          real.emit = (event, data) => this.emit(event, data)
          this.real = real
        }
        return real
      })
    const chat = this.load
    this.completions = {
      create: ((params: Parameters<ChatApi["completions"]["create"]>[0], options?: Parameters<ChatApi["completions"]["create"]>[1]) =>
        chat().then((c) => c.completions.create(params, options))) as ChatApi["completions"]["create"]
    }
    this.hosted = {
      create: (params, options) => chat().then((c) => c.hosted.create(params, options)),
      executeTool: (params, options) => chat().then((c) => c.hosted.executeTool(params, options))
    }
    this.runs = {
      create: (params, options) => chat().then((c) => c.runs.create(params, options)),
      get: (runId, options) => chat().then((c) => c.runs.get(runId, options)),
      cancel: (runId, reason, options) => chat().then((c) => c.runs.cancel(runId, reason, options)),
      confirmCost: (runId, params, options) => chat().then((c) => c.runs.confirmCost(runId, params, options)),
      streamEvents: (runId, options) => deferredIterator(() => chat().then((c) => c.runs.streamEvents(runId, options)))
    }
    this.tools = {
      execute: (toolCall, options) => chat().then((c) => c.tools.execute(toolCall, options)),
      executeAll: (toolCalls, options) => chat().then((c) => c.tools.executeAll(toolCalls, options))
    }
  }

  /** @internal */
  _setModels(models: Readonly<Record<string, LLMModelInfo>>): void {
    this.llm = models
    if (this.real !== undefined) this.real._setModels(models)
    else this.emit("modelsUpdated", models)
  }

  /** As `ChatApi.estimateCost`. */
  estimateCost(...args: Parameters<ChatApi["estimateCost"]>): ReturnType<ChatApi["estimateCost"]> {
    return this.load().then((c) => c.estimateCost(...args))
  }

  /** LLM models as last pushed by the server, by id. */
  get models(): Readonly<Record<string, LLMModelInfo>> {
    return this.real?.models ?? this.llm
  }

  /** As `ChatApi.waitForModels`. */
  waitForModels(...args: Parameters<ChatApi["waitForModels"]>): ReturnType<ChatApi["waitForModels"]> {
    return this.load().then((c) => c.waitForModels(...args))
  }
}

/** `sogni.workflows.templates` before (and after) its code is loaded. */
class LazyTemplatesApi extends Emitter<NoEvents> implements PublicOf<CreativeWorkflowTemplatesApi> {
  constructor(private readonly load: () => Promise<CreativeWorkflowTemplatesApi>) {
    super()
  }
  list(...args: Parameters<CreativeWorkflowTemplatesApi["list"]>) {
    return this.load().then((t) => t.list(...args))
  }
  get(...args: Parameters<CreativeWorkflowTemplatesApi["get"]>) {
    return this.load().then((t) => t.get(...args))
  }
  create(...args: Parameters<CreativeWorkflowTemplatesApi["create"]>) {
    return this.load().then((t) => t.create(...args))
  }
  update(...args: Parameters<CreativeWorkflowTemplatesApi["update"]>) {
    return this.load().then((t) => t.update(...args))
  }
  delete(...args: Parameters<CreativeWorkflowTemplatesApi["delete"]>) {
    return this.load().then((t) => t.delete(...args))
  }
  fork(...args: Parameters<CreativeWorkflowTemplatesApi["fork"]>) {
    return this.load().then((t) => t.fork(...args))
  }
}

/** `sogni.workflows` before (and after) its code is loaded. */
export class LazyWorkflowsApi extends Emitter<NoEvents> implements PublicOf<WorkflowsApi> {
  readonly templates: CreativeWorkflowTemplatesApi

  constructor(private readonly load: () => Promise<WorkflowsApi>) {
    super()
    // the facade has the templates class's public members; its private ones are the real class's own
    this.templates = new LazyTemplatesApi(() => load().then((w) => w.templates)) as PublicOf<CreativeWorkflowTemplatesApi> as CreativeWorkflowTemplatesApi
  }
  start(...args: Parameters<WorkflowsApi["start"]>) {
    return this.load().then((w) => w.start(...args))
  }
  list(...args: Parameters<WorkflowsApi["list"]>) {
    return this.load().then((w) => w.list(...args))
  }
  get(...args: Parameters<WorkflowsApi["get"]>) {
    return this.load().then((w) => w.get(...args))
  }
  events(...args: Parameters<WorkflowsApi["events"]>) {
    return this.load().then((w) => w.events(...args))
  }
  streamEvents(...args: Parameters<WorkflowsApi["streamEvents"]>): ReturnType<WorkflowsApi["streamEvents"]> {
    return deferredIterator(() => this.load().then((w) => w.streamEvents(...args)))
  }
  resume(...args: Parameters<WorkflowsApi["resume"]>) {
    return this.load().then((w) => w.resume(...args))
  }
  reseed(...args: Parameters<WorkflowsApi["reseed"]>) {
    return this.load().then((w) => w.reseed(...args))
  }
  cancel(...args: Parameters<WorkflowsApi["cancel"]>) {
    return this.load().then((w) => w.cancel(...args))
  }
  confirmCost(...args: Parameters<WorkflowsApi["confirmCost"]>) {
    return this.load().then((w) => w.confirmCost(...args))
  }
}

/** `sogni.replay` before (and after) its code is loaded. */
export class LazyReplayApi extends Emitter<NoEvents> implements PublicOf<ReplayApi> {
  constructor(private readonly load: () => Promise<ReplayApi>) {
    super()
  }
  write(...args: Parameters<ReplayApi["write"]>) {
    return this.load().then((r) => r.write(...args))
  }
  list(...args: Parameters<ReplayApi["list"]>) {
    return this.load().then((r) => r.list(...args))
  }
  get(...args: Parameters<ReplayApi["get"]>) {
    return this.load().then((r) => r.get(...args))
  }
}
