/**
 * Whether a recovered project is an LLM job: media listings and reconciliations leave those out. Its own
 * module so that `ProjectSync.reconcile` does not pull in the lazily loaded record module.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"

/** An LLM job (`jobType`, or the model's `type`). */
export const isLlm = (p: Protocol.RecoveredProject): boolean =>
  p.jobType === "llm" || (p.model as { readonly type?: unknown } | undefined)?.type === "llm"
