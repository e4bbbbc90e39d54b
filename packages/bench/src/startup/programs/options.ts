/** What a minimal image program needs to reach a server. */
export interface ProgramOptions {
  readonly appId: string
  readonly apiKey: string
  readonly restEndpoint: string
  readonly socketEndpoint: string
}
