/**
 * The socket fan-out workload, shared by the frame server (parent) and both contenders (children).
 * Plain data and string helpers only: the floor imports it too.
 */

export interface FanoutPlan {
  readonly projects: number
  readonly jobsPerProject: number
  readonly steps: number
}

export const defaultPlan: FanoutPlan = { projects: 200, jobsPerProject: 4, steps: 50 }

/** Deterministic upper-case UUID-shaped ids, so clients can route projects before they start. */
const uuid = (prefix: string, n: number): string => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, "0").toUpperCase()}`

/** The project id (the protocol's `jobID`) of project `p`. */
export const projectId = (p: number): string => uuid("B0C00000", p)
/** The job id (the protocol's `imgID`) of job `j` of project `p`. */
export const jobId = (p: number, j: number): string => uuid("10B00000", p * 256 + j)

/** Frames the server sends per project: started + progress + result per job, then jobCompleted. */
export const framesPerProject = (plan: FanoutPlan): number => plan.jobsPerProject * (plan.steps + 2) + 1

export const totalFrames = (plan: FanoutPlan): number => plan.projects * framesPerProject(plan)

/** The frame a client sends (after `authenticated`) to start the stream. */
export const triggerType = "changeNetwork"
export const triggerPayload = "fast"

/** The frame the server sends after everything else: an unrouted event both clients understand. */
export const sentinelType = "toastMessage"
export const sentinelPayload = { type: "info", message: "bench: stream complete" }

/** The arguments a contender process receives (argv[3], as JSON). */
export interface ContenderArgs {
  readonly url: string
  readonly plan: FanoutPlan
}
