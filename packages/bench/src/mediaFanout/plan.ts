/**
 * The media fan-out workload, shared by the parent (which hosts the emulator) and the three contenders
 * (children). Plain data only: the floor imports it too.
 */

export interface MediaPlan {
  readonly projects: number
  readonly imagesPerProject: number
  readonly steps: number
  readonly modelId: string
}

export const defaultPlan: MediaPlan = { projects: 200, imagesPerProject: 4, steps: 50, modelId: "flux1-schnell-fp8" }

/** The prompt of project `p` (plain words: no emulator directives). */
export const promptOf = (p: number): string => `bench landscape number ${p}, a quiet valley at dusk`

/** Frames the emulator sends per completed image project (excluding the balance update after it). */
export const framesPerProject = (plan: MediaPlan): number =>
  // queued, then per job: initiatingModel, jobStarted, steps × jobProgress, jobResult; then jobCompleted
  1 + plan.imagesPerProject * (plan.steps + 3) + 1

export const totalProgressFrames = (plan: MediaPlan): number => plan.projects * plan.imagesPerProject * plan.steps

/** What a contender process receives (argv[2], as JSON). */
export interface ContenderArgs {
  /** `http://127.0.0.1:PORT`: REST host and the socket host's HTTP paths. */
  readonly url: string
  /** `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string
  readonly apiKey: string
  /** Distinct per run: the emulator allows one live connection per appId. */
  readonly appId: string
  readonly plan: MediaPlan
  /** The floor only: `false` skips the URL mints (the decode-only floor). Default `true`. */
  readonly mint?: boolean
}
