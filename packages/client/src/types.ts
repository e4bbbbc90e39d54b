/**
 * The public data types of the promise client, under the official client's names and with its field
 * names (`modelId`, `positivePrompt`, `numberOfMedia`, `max_tokens`, `tool_choice`, …), so code written
 * for `@sogni-ai/sogni-client` type-checks against them.
 *
 * @since 0.1.0
 */
import type * as ChatChunk from "@effect-sogni/chat/ChatChunk"
import type * as ChatRequest from "@effect-sogni/chat/ChatRequest"
import type * as Attribution from "@effect-sogni/core/Attribution"
import type * as ProjectSync from "@effect-sogni/media/ProjectSync"

/** `fast` (GPU) or `relaxed` (Mac, images only). @since 0.1.0 */
export type SupernetType = "fast" | "relaxed"
/** @since 0.1.0 */
export type TokenType = "sogni" | "spark"
/** @since 0.1.0 */
export type BillingMode = "auto" | "subscription" | "tokens"
/** The official levels, plus `silent` (nothing is logged), which programs pass and the official client honours. @since 0.1.0 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent"

/** Socket event subscription flags by event or group name. @since 0.1.0 */
export type SocketEventSubscriptions = Readonly<Record<string, boolean | undefined>>

/** A change of the socket event subscriptions. @since 0.1.0 */
export interface SocketEventSubscriptionUpdate {
  readonly subscriptions?: SocketEventSubscriptions
  readonly subscribe?: string | ReadonlyArray<string>
  readonly unsubscribe?: string | ReadonlyArray<string>
  /** Clear the server-side overrides first. */
  readonly reset?: boolean
}

/** What `setSocketEventSubscriptions` takes: flat flags or an update. @since 0.1.0 */
export type SocketEventSubscriptionInput = SocketEventSubscriptions | SocketEventSubscriptionUpdate

/** A logger with the official client's shape. @since 0.1.0 */
export interface Logger {
  error(...args: Array<unknown>): void
  warn(...args: Array<unknown>): void
  info(...args: Array<unknown>): void
  debug(...args: Array<unknown>): void
}

/**
 * An input file: a `Buffer`/`Uint8Array`, an `ArrayBuffer`, a `Blob`/`File`, `true` when it was
 * already uploaded for this project id, or `false` for none (as in the official client).
 *
 * @since 0.1.0
 */
export type InputMedia = Uint8Array | ArrayBuffer | Blob | boolean

// ---------------------------------------------------------------------------------------------
// Projects
// ---------------------------------------------------------------------------------------------

interface CommonProjectParams {
  readonly modelId: string
  readonly positivePrompt?: string
  readonly negativePrompt?: string
  readonly stylePrompt?: string
  readonly numberOfMedia?: number
  readonly steps?: number
  readonly guidance?: number
  readonly network?: SupernetType
  readonly tokenType?: TokenType
  readonly billingMode?: BillingMode
  readonly disableNSFWFilter?: boolean
  readonly appSource?: string
  readonly loras?: ReadonlyArray<string>
  readonly loraStrengths?: ReadonlyArray<number>
  readonly seed?: number
  readonly sampler?: string
  readonly scheduler?: string
}

/** @since 0.1.0 */
export type ControlNetName =
  | "canny"
  | "depth"
  | "inpaint"
  | "instrp2p"
  | "lineart"
  | "lineartanime"
  | "mlsd"
  | "normalbae"
  | "openpose"
  | "scribble"
  | "segmentation"
  | "shuffle"
  | "softedge"
  | "tile"
  | "instantid"

/** @since 0.1.0 */
export interface ControlNetParams {
  readonly name: ControlNetName
  readonly image?: InputMedia
  readonly strength?: number
  readonly mode?: "balanced" | "prompt_priority" | "cn_priority"
  readonly guidanceStart?: number
  readonly guidanceEnd?: number
}

/** @since 0.1.0 */
export interface ImageProjectParams extends CommonProjectParams {
  readonly type: "image"
  readonly numberOfPreviews?: number
  readonly startingImage?: InputMedia
  readonly startingImageStrength?: number
  readonly contextImages?: ReadonlyArray<InputMedia>
  readonly vae?: string
  readonly sizePreset?: string
  readonly width?: number
  readonly height?: number
  readonly controlNet?: ControlNetParams
  readonly outputFormat?: "png" | "jpg" | "webp"
  readonly gptImageQuality?: "low" | "medium" | "high" | "standard" | "hd" | "xhigh" | "max" | "auto"
  readonly gptImageBackground?: "opaque" | "auto" | "transparent"
  readonly gptImageOutputCompression?: number
  readonly gptImageMaskUrl?: string
  readonly gptImageMask?: InputMedia
}

/** @since 0.1.0 */
export interface VideoProjectParams extends CommonProjectParams {
  readonly type: "video"
  readonly duration?: number
  /** @deprecated use `duration` */
  readonly frames?: number
  readonly fps?: number
  readonly width?: number
  readonly height?: number
  readonly shift?: number
  readonly teacacheThreshold?: number
  readonly referenceImage?: InputMedia
  readonly referenceImageEnd?: InputMedia
  readonly referenceAudio?: InputMedia
  readonly referenceAudioIdentity?: InputMedia
  readonly audioIdentityStrength?: number
  readonly referenceVideo?: InputMedia
  readonly referenceMask?: InputMedia
  readonly contextImages?: ReadonlyArray<InputMedia>
  readonly referenceAudios?: ReadonlyArray<InputMedia>
  readonly referenceVideos?: ReadonlyArray<InputMedia>
  readonly referenceVideoDurations?: ReadonlyArray<number>
  readonly referenceImageUrls?: ReadonlyArray<string>
  readonly referenceVideoUrls?: ReadonlyArray<string>
  readonly referenceAudioUrls?: ReadonlyArray<string>
  readonly promptExtend?: boolean
  readonly watermark?: boolean
  readonly generateAudio?: boolean
  readonly ratio?: "adaptive" | "16:9" | "4:3" | "1:1" | "3:4" | "9:16"
  readonly seedanceTaskType?: "reference" | "edit" | "extend"
  readonly audioStart?: number
  readonly audioDuration?: number
  readonly videoStart?: number
  readonly firstFrameStrength?: number
  readonly lastFrameStrength?: number
  readonly detailerStrength?: number
  readonly outpaintPosition?: "center" | "top" | "bottom" | "left" | "right"
  readonly controlNet?: { readonly name: "canny" | "pose" | "depth" | "detailer" | "outpaint" | "inpaint"; readonly strength?: number }
  readonly sam2Coordinates?: ReadonlyArray<{ readonly x: number; readonly y: number }>
  readonly trimEndFrame?: boolean
  readonly outputFormat?: "mp4" | "mov"
  readonly returnLastFrame?: boolean
  readonly upscaleResolution?: 1080 | 1440
}

/** @since 0.1.0 */
export interface AudioProjectParams extends CommonProjectParams {
  readonly type: "audio"
  readonly duration?: number
  readonly bpm?: number
  readonly timesignature?: string
  readonly language?: string
  readonly lyrics?: string
  readonly keyscale?: string
  readonly composerMode?: boolean
  readonly promptStrength?: number
  readonly creativity?: number
  readonly shift?: number
  readonly outputFormat?: "mp3" | "flac" | "wav"
  readonly speaker?: string
  readonly instruct?: string
  readonly referenceText?: string
  readonly referenceAudio?: InputMedia
}

/** @since 0.1.0 */
export type ProjectParams = ImageProjectParams | VideoProjectParams | AudioProjectParams

/** A LoRA's strength control and presentation. @since 0.1.0 */
export interface LoraUi {
  readonly [key: string]: unknown
  readonly min: number
  readonly max: number
  readonly default: number
  readonly step: number
  readonly recommendedMin: number
  readonly recommendedMax: number
  readonly rangeLabels?: { readonly min: string; readonly max: string } | undefined
  readonly category: string
  readonly section?: { readonly id: string; readonly label: string; readonly order: number } | undefined
  readonly nsfw: boolean
  readonly sexual: boolean
  readonly creator: string
  readonly sourceUrl: string
  readonly license?: string | undefined
  readonly licenseUrl?: string | undefined
  readonly examplePrompt?: string | undefined
  readonly exampleNegativePrompt?: string | undefined
}

/** One LoRA of the catalog. @since 0.1.0 */
export interface LoraCatalogEntry {
  readonly loraId: string
  readonly slug: string
  readonly name: string
  readonly description: string
  readonly relatedLoraIds: Array<string>
  readonly ui: LoraUi
  readonly modelIds: Array<string>
}

/** @since 0.1.0 */
export interface LoraConstraints {
  readonly maxPerRequest: number
  readonly minStrength: number
  readonly maxStrength: number
}

/** The LoRA catalog (`projects.availableLoras`). @since 0.1.0 */
export interface LoraCatalog {
  readonly lastUpdated?: string
  readonly loras: Array<LoraCatalogEntry>
  readonly models: Array<string>
  readonly constraints: LoraConstraints
}

/** @since 0.1.0 */
export interface AvailableLorasParams {
  /** Adds the account's ready personal LoRAs. */
  readonly includePersonal?: boolean
  /** Only the LoRAs this model accepts. */
  readonly modelId?: string
  /** Accepted for compatibility: the catalog is read fresh on every call. */
  readonly forceRefresh?: boolean
}

/** An imported (personal) LoRA. @since 0.1.0 */
export interface PersonalLora {
  readonly id: string
  readonly name: string
  readonly modelId: string
  readonly modelIds: Array<string>
  readonly source: string
  readonly status: "queued" | "validating" | "review" | "ready" | "rejected" | "revoked"
  readonly createdAt: number
  readonly updatedAt: number
  readonly bytes?: number
  readonly reason?: string
  readonly failureCode?: "source_access" | "subscription_required" | "catalog_duplicate" | "invalid_artifact"
  readonly requirements: Array<string>
}

/** @since 0.1.0 */
export interface PersonalLoraLibrary {
  readonly loras: Array<PersonalLora>
  readonly models: Array<string>
  readonly limits: {
    readonly entries: number
    readonly fileBytes: number | null
    readonly importsPerDay: number
    readonly perGeneration: number
  }
}

/** @since 0.1.0 */
export interface ImportPersonalLoraParams {
  readonly url: string
  readonly name: string
  readonly modelId: string
  readonly rightsConfirmed: boolean
}

/** A file of the saved-upload library (times in ms since the epoch). @since 0.1.0 */
export interface SavedUpload {
  readonly id: string
  readonly name: string
  readonly bytes: number
  readonly contentType: string
  readonly state: "uploading" | "ready"
  readonly createdAt: number
  readonly expiresAt: number
}

/** The saved-upload library's limits. @since 0.1.0 */
export interface SavedUploadLimits {
  readonly entries: number
  readonly bytes: number
  readonly fileBytes: number
  readonly idleDays: number
  readonly copyBytesPerDay: number
  readonly bindingsPerDay: number
}

/** Where a saved file is copied: a project and an upload slot. @since 0.1.0 */
export interface SavedUploadBinding {
  readonly projectId: string
  readonly type: string
  readonly id?: string | undefined
}

/** The official client's failure record. @since 0.1.0 */
export interface ErrorData {
  readonly code: number
  readonly message: string
  readonly originalCode?: string
}

/** @since 0.1.0 */
export type ProjectStatus = "pending" | "queued" | "processing" | "completed" | "failed" | "canceled"
/** @since 0.1.0 */
export type JobStatus = "pending" | "initiating" | "processing" | "completed" | "failed" | "canceled"

/**
 * A project-level event of `sogni.projects.on("project", …)`, as the official client emits it.
 *
 * @since 0.1.0
 */
export type ProjectEvent =
  | {
    readonly type: "queued"
    readonly projectId: string
    readonly queuePosition: number
    readonly estimatedStartSeconds?: number | null
    readonly queueStatus?: "waiting" | "no-workers"
  }
  | { readonly type: "completed"; readonly projectId: string }
  | { readonly type: "error"; readonly projectId: string; readonly error: ErrorData }

/**
 * A job-level event of `sogni.projects.on("job", …)`, as the official client emits it (`jobId` is the
 * worker's id of the render).
 *
 * @since 0.1.0
 */
export type JobEvent =
  | {
    readonly type: "initiating" | "started"
    readonly projectId: string
    readonly jobId: string
    readonly workerName: string
    readonly positivePrompt?: string
    readonly negativePrompt?: string
    readonly jobIndex?: number
  }
  | {
    readonly type: "progress"
    readonly projectId: string
    readonly jobId: string
    readonly step?: number
    readonly stepCount?: number
    readonly progress?: number
    readonly etaSeconds?: number
  }
  | { readonly type: "jobETA"; readonly projectId: string; readonly jobId: string; readonly etaSeconds: number }
  | { readonly type: "preview"; readonly projectId: string; readonly jobId: string; readonly url: string }
  | {
    readonly type: "completed"
    readonly projectId: string
    readonly jobId: string
    readonly steps?: number
    readonly seed?: number
    readonly resultUrl: string | null
    readonly lastFrameUrl?: string
    readonly outputFormat?: string
    readonly isNSFW: boolean
    readonly nsfwDetected: boolean
    readonly nsfwSources: Array<string>
    readonly userCanceled: boolean
  }
  | { readonly type: "error"; readonly projectId: string; readonly jobId: string; readonly error: ErrorData }

/** @since 0.1.0 */
export interface AvailableModel {
  readonly id: string
  readonly name: string
  readonly workerCount: number
  readonly media: "image" | "video" | "audio" | "model"
}

/** @since 0.1.0 */
export interface SizePreset {
  readonly label: string
  readonly id: string
  readonly width: number
  readonly height: number
  readonly ratio?: string | undefined
  readonly aspect?: string | number | undefined
}

interface NumRange {
  readonly min: number
  readonly max: number
  readonly step: number
  readonly default?: number
}

interface Choice<T> {
  readonly allowed: ReadonlyArray<T>
  readonly default: T | null | undefined
}

/** The controls a model offers. @since 0.1.0 */
export interface ModelOptions {
  readonly type: "image" | "video" | "audio"
  readonly steps?: NumRange
  readonly guidance?: NumRange
  readonly sampler: Choice<string>
  readonly scheduler: Choice<string>
  readonly vae?: Choice<string>
  readonly width?: NumRange
  readonly height?: NumRange
  readonly maxPixels?: number
  readonly fps?: Choice<number>
  readonly shift?: NumRange
  readonly duration?: NumRange
  readonly bpm?: NumRange
  readonly timesignature?: Choice<string>
  readonly language?: Choice<string>
  readonly keyscale?: Choice<string>
  readonly speaker?: Choice<string>
  readonly promptStrength?: NumRange
  readonly creativity?: NumRange
  readonly composerMode?: { readonly default: boolean }
  readonly acceptsReferenceAudio?: boolean
  readonly requiresReferenceAudio?: boolean
  readonly task?: string
}

/** An image cost request (the official client's `EstimateRequest`). @since 0.1.0 */
export interface EstimateRequest {
  readonly network?: SupernetType
  /** @default 'sogni' */
  readonly tokenType?: TokenType
  readonly model: string
  readonly imageCount: number
  readonly stepCount: number
  readonly previewCount: number
  readonly cnEnabled?: boolean
  readonly startingImageStrength?: number
  readonly sizePreset?: string
  readonly width?: number
  readonly height?: number
  readonly guidance?: number
  readonly sampler?: string
  readonly contextImages?: number
  readonly gptImageQuality?: ImageProjectParams["gptImageQuality"]
  readonly outputFormat?: "png" | "jpg" | "webp"
  readonly billingMode?: BillingMode
}

/** @since 0.1.0 */
export interface VideoEstimateRequest {
  readonly tokenType: TokenType
  readonly model: string
  readonly width: number
  readonly height: number
  readonly duration: number
  /** @deprecated use `duration` */
  readonly frames?: number
  readonly fps: number
  readonly steps?: number
  readonly numberOfMedia: number
  readonly network?: SupernetType
  readonly billingMode?: BillingMode
  /** FlashVSR source geometry: the quote bills the source upscaled to the target short edge. */
  readonly sourceWidth?: number
  readonly sourceHeight?: number
  /** Price a Seedance quote in its video-input band. */
  readonly hasVideoInput?: boolean
  /** Image references the job will submit (models whose price ignores them ignore it). */
  readonly referenceImageCount?: number
  /** Reference videos of a MiniMax H3 r2v job. */
  readonly referenceVideoCount?: number
  /** Combined seconds of a MiniMax H3 r2v job's reference videos, billed at the output's rate. */
  readonly referenceVideoDurationSeconds?: number
  /** Estimate-only signal: its presence implies `hasVideoInput`. */
  readonly referenceVideo?: unknown
  /** Estimate-only signal: a non-empty list implies `hasVideoInput`. */
  readonly referenceVideoUrls?: ReadonlyArray<string>
}

/** @since 0.1.0 */
export interface AudioEstimateRequest {
  readonly tokenType: TokenType
  readonly model: string
  readonly duration: number
  readonly steps: number
  readonly numberOfMedia: number
  readonly network?: SupernetType
  readonly billingMode?: BillingMode
}

/** A cost quote (decimal strings, as the server writes them). @since 0.1.0 */
export interface CostEstimation {
  readonly token: string
  readonly usd: string
  readonly spark: string | undefined
  readonly sogni: string | undefined
  readonly estimatedRenderSeconds?: number | undefined
  readonly estimatedTotalSeconds?: number | undefined
  readonly dailyFairUsePct?: number | undefined
}

// ---------------------------------------------------------------------------------------------
// Account
// ---------------------------------------------------------------------------------------------

/** One token's balance (decimal strings, as the server writes them). @since 0.1.0 */
export interface BalanceData {
  readonly settled: string
  readonly credit: string
  readonly debit: string
  readonly net: string
  readonly relaxedUnclaimed?: string | undefined
  readonly fastUnclaimed?: string | undefined
  readonly premiumCredit?: string | undefined
}

/** The Spark balance, with the premium credit (zero when the server does not send it). @since 0.1.0 */
export type SparkBalanceData = BalanceData & { readonly premiumCredit: string }

/**
 * A new account (`account.create`): the turnstile token is the anti-bot proof of the platform's signup
 * form; `appSource` defaults to the client's.
 *
 * @since 0.1.0
 */
export interface AccountCreateParams {
  readonly username: string
  readonly email: string
  readonly password: string
  readonly subscribe: boolean
  readonly turnstileToken: string
  readonly referralCode?: string | undefined
  readonly appSource?: string | undefined
}

/**
 * The account behind the credential (`account.me()`): who it is, its e-mail and its Discord link. Text the
 * server leaves out or sends as `null` reads as `""`, flags as `false`.
 *
 * @since 0.1.0
 */
export interface MeData {
  readonly currentEmail: string
  readonly discord2FA: boolean
  readonly discordLinked: boolean
  readonly discordServerMember: boolean
  readonly discordUsername: string
  readonly emailVerified: boolean
  readonly requestedUpdatedEmail: string
  readonly username: string
  readonly walletAddress: string
}

/** @since 0.1.0 */
export interface Balances {
  readonly sogni: BalanceData
  readonly spark: SparkBalanceData
}

/** Balances with every optional amount filled in (`account.accountBalance()`). @since 0.1.0 */
export interface FullBalances {
  readonly sogni: FullBalanceData
  readonly spark: FullBalanceData & { readonly premiumCredit: string }
}

/** A balance with the unclaimed worker earnings present. @since 0.1.0 */
export interface FullBalanceData {
  readonly settled: string
  readonly credit: string
  readonly debit: string
  readonly net: string
  readonly relaxedUnclaimed: string
  readonly fastUnclaimed: string
}

/** @since 0.1.0 */
export type SubscriptionStatus =
  | "none"
  | "trialing"
  | "active"
  | "grace_period"
  | "past_due"
  | "paused"
  | "cancel_at_period_end"
  | "canceled"
  | "expired"
  | "refunded"
/** @since 0.1.0 */
export type SubscriptionPlanId = "unlimited" | "unlimited_pro"
/** @since 0.1.0 */
export type SubscriptionTerm = "monthly" | "annual"
/** @since 0.1.0 */
export type SubscriptionPlanInterval = "month" | "year"
/** @since 0.1.0 */
export type SubscriptionRedirectType = "web" | "app" | "dashboard" | "photobooth" | "chat"
/** A trial eligibility reason: `eligible`, `not_eligible` or a server-defined code. @since 0.1.0 */
export type TrialReasonCode = "eligible" | "not_eligible" | (string & {})

/** The fair-use throttle of an unlimited plan. @since 0.1.0 */
export interface SubscriptionFairUseState {
  readonly limited: true
  readonly usageSpark: number
  readonly usageUsd: number
  readonly planPriceUsd: number
  readonly resetAt: string
  readonly fastRenderingPaused: true
  readonly relaxedUnrestricted: true
  readonly upgradeAvailable: boolean
}

/** The account's subscription as last seen (REST status or socket push). @since 0.1.0 */
export interface SubscriptionEntitlementSnapshot {
  readonly active: boolean
  readonly status: SubscriptionStatus
  readonly tier?: SubscriptionPlanId | string
  readonly term?: SubscriptionTerm | string
  readonly provider?: string
  readonly currentPeriodStart?: string
  readonly currentPeriodEnd?: string
  readonly cancelAtPeriodEnd?: boolean
  readonly scheduledTier?: SubscriptionPlanId | string
  readonly scheduledTerm?: SubscriptionTerm | string
  readonly scheduledChangeAt?: string
  readonly capabilities?: Readonly<Record<string, boolean>>
  readonly paymentPending?: boolean
  readonly fairUse?: SubscriptionFairUseState
  readonly frontierDiscountBps?: number
}

/** This period's renders and trial credits. @since 0.1.0 */
export interface SubscriptionUsage {
  readonly periodRenderSpark: number
  readonly periodJobs: number
  readonly trialEndsAt?: string
  readonly trialCreditsLimit?: number
  readonly trialCreditsUsed?: number
}

/** @since 0.1.0 */
export interface TrialEligibility {
  readonly eligible: boolean
  /** `null` when the server gives no reason (the official client passes it through too). */
  readonly reasonCode: TrialReasonCode | null
}

/** A plan on sale. @since 0.1.0 */
export interface SubscriptionPlan {
  readonly planId: SubscriptionPlanId
  readonly tier: SubscriptionPlanId
  readonly term: SubscriptionTerm
  readonly interval: SubscriptionPlanInterval
  readonly priceUsd: number
  readonly displayName: string
  readonly google?: { readonly productId: string } | undefined
  readonly vendorDiscountBps: number
}

/** @since 0.1.0 */
export interface CreateSubscriptionCheckoutOptions {
  readonly redirectType?: SubscriptionRedirectType
  readonly appSource?: string
  readonly startTrial?: boolean
  readonly deviceId?: string
}

/** @since 0.1.0 */
export interface SubscriptionCheckoutResult {
  readonly message?: string
  readonly url: string
}

/** @since 0.1.0 */
export interface SubscriptionPortalSession {
  readonly url: string
}

/** @since 0.1.0 */
export type RewardCantClaimReason = "already_claimed" | "requires_verification" | "over_free_cap"

/** A reward the account can claim (or has claimed). @since 0.1.0 */
export interface Reward {
  readonly id: string
  readonly type: "instant" | "conditioned"
  readonly title: string
  readonly description: string
  readonly amount: string
  readonly tokenType: TokenType
  readonly claimed: boolean
  readonly canClaim: boolean
  readonly cantClaimReason?: RewardCantClaimReason | null
  readonly lastClaim: Date
  readonly nextClaim: Date | null
  readonly provider?: string
}

/** @since 0.1.0 */
export interface RewardsQuery {
  readonly provider?: string
}

/** @since 0.1.0 */
export interface ClaimOptions {
  readonly turnstileToken?: string
  readonly provider?: string
}

/** @since 0.1.0 */
export interface TxHistoryParams {
  readonly status: "completed"
  readonly address: string
  readonly limit: number
  readonly provider?: string
  readonly offset?: number
}

/** One completed transaction. @since 0.1.0 */
export interface TxHistoryEntry {
  readonly id: string
  readonly address: string
  readonly createTime: Date
  readonly updateTime: Date
  readonly status: "completed"
  readonly role: "artist" | "worker"
  readonly amount: number
  readonly tokenType: TokenType
  readonly description: string
  readonly source: "project" | string
  readonly endTime: Date
  readonly type: "debit" | string
  readonly billingMode?: BillingMode
  readonly paymentModel?: string
  readonly subscriptionTier?: string | null
  readonly subscriptionTrialing?: boolean
  readonly subscriptionThrottled?: boolean
}

/** @since 0.1.0 */
export interface AppAlertAction {
  readonly label: string
  readonly href: string
  readonly external?: boolean
}

/** A platform announcement (a toast or a banner). @since 0.1.0 */
export interface AppAlert {
  readonly [key: string]: unknown
  readonly id: string
  readonly kind: "toast" | "banner"
  readonly severity: "info" | "success" | "warn" | "danger"
  readonly icon?: string
  readonly accent?: string
  readonly title: string
  readonly bodyMarkdown: string
  readonly pinned: boolean
  readonly dismissible: boolean
  readonly autoCloseMs?: number
  readonly actions?: ReadonlyArray<AppAlertAction>
  readonly startsAt: number
  readonly endsAt?: number
}

// ---------------------------------------------------------------------------------------------
// Chat
// ---------------------------------------------------------------------------------------------

/** A text part of a multimodal message (the chat package's). @since 0.1.0 */
export type TextContentPart = ChatRequest.TextPart
/** An image part: a data URI, or an https URL (the chat package's). @since 0.1.0 */
export type ImageUrlContentPart = ChatRequest.ImagePart
/** @since 0.1.0 */
export type ContentPart = ChatRequest.ContentPart

/** A complete tool call (the chat package's). @since 0.1.0 */
export type ToolCall = ChatRequest.ToolCall

/** @since 0.1.0 */
export interface ToolCallDelta {
  readonly index: number
  readonly id?: string
  readonly type?: string
  readonly function?: { readonly name?: string; readonly arguments?: string }
}

/** One conversation turn, in the OpenAI wire shape (the chat package's). @since 0.1.0 */
export type ChatMessage = ChatRequest.ChatMessage

/** An OpenAI function tool definition (the chat package's). @since 0.1.0 */
export type ToolDefinition = ChatRequest.ToolDefinition

/** @since 0.1.0 */
export type ToolChoice = ChatRequest.ToolChoice

/** @since 0.1.0 */
export type ChatResponseFormat = ChatRequest.ResponseFormat

/** @since 0.1.0 */
export interface TokenUsage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens?: number | undefined
}

/** The settled cost of a job; the amounts are decimal strings (the chat package's). @since 0.1.0 */
export type LLMJobCost = ChatChunk.LLMJobCost

/** The official client's tool progress (reported for tools run by `onToolCall`: start and end). @since 0.1.0 */
export interface ToolExecutionProgress {
  readonly status: "creating" | "queued" | "processing" | "completed" | "failed"
  readonly percent: number
  readonly resultUrls?: Array<string>
}

/**
 * Options of `chat.tools.execute` / `executeAll`: billing and network of the media projects the tools
 * start, and outputs per call.
 *
 * @since 0.1.0
 */
export interface ToolExecutionOptions {
  readonly tokenType?: "sogni" | "spark"
  readonly network?: SupernetType
  readonly numberOfMedia?: number
}

/** @since 0.1.0 */
export interface ToolExecutionResult {
  readonly toolCallId: string
  readonly toolName: string
  readonly success: boolean
  readonly resultUrls: ReadonlyArray<string>
  readonly content: string
  readonly error?: string
}

/** @since 0.1.0 */
export interface ToolHistoryEntry {
  readonly round: number
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly toolResults: ReadonlyArray<ToolExecutionResult>
}

/** @since 0.1.0 */
export interface ChatCompletionParams {
  readonly model: string
  readonly messages: ReadonlyArray<ChatMessage>
  readonly appSource?: string
  readonly max_tokens?: number
  readonly temperature?: number
  readonly top_p?: number
  readonly top_k?: number
  readonly min_p?: number
  readonly stream?: boolean
  readonly repetition_penalty?: number
  readonly frequency_penalty?: number
  readonly presence_penalty?: number
  readonly stop?: string | ReadonlyArray<string>
  readonly tokenType?: TokenType
  readonly safeContentFilter?: boolean
  readonly billingMode?: BillingMode
  readonly tools?: ReadonlyArray<ToolDefinition>
  readonly tool_choice?: ToolChoice
  readonly sogni_tools?: boolean | "creative-agent" | "creative-tools" | "rich"
  readonly sogni_tool_execution?: boolean
  readonly think?: boolean
  readonly taskProfile?: "general" | "coding" | "reasoning"
  readonly response_format?: ChatResponseFormat
  /** Run the model's tool calls with `onToolCall` and feed the results back (streaming too). */
  readonly autoExecuteTools?: boolean
  /** Runs one tool call; its string is sent back to the model as the tool's result. */
  readonly onToolCall?: (toolCall: ToolCall) => Promise<string> | string
  readonly onToolProgress?: (toolCall: ToolCall, progress: ToolExecutionProgress) => void
  /** Model calls that may request tools (default 5). */
  readonly maxToolRounds?: number
}

/** One streamed piece. Tool-loop streams also carry `toolCall` / `toolResult` pieces (empty `content`). @since 0.1.0 */
export interface ChatCompletionChunk {
  readonly jobID: string
  readonly content: string
  readonly role?: string
  readonly finishReason?: string | null
  readonly usage?: TokenUsage
  readonly tool_calls?: ReadonlyArray<ToolCallDelta>
  /** A complete tool call about to run (auto-executed streams). */
  readonly toolCall?: ToolCall
  /** A tool's result, sent back to the model (auto-executed streams). */
  readonly toolResult?: ToolExecutionResult
}

/** @since 0.1.0 */
export interface ChatCompletionResult {
  readonly jobID: string
  readonly content: string
  readonly role: string
  readonly finishReason: string
  readonly usage: TokenUsage
  readonly timeTaken: number
  readonly workerName?: string
  readonly cost?: LLMJobCost
  readonly tool_calls?: ReadonlyArray<ToolCall>
  readonly toolHistory?: ReadonlyArray<ToolHistoryEntry>
  /**
   * An extra of this adapter (the official result has no such field): set when the reply crossed a
   * reconnect and may have a hole (tokens the server sent while the socket was down are lost; a warning
   * is logged too). Absent otherwise.
   */
  readonly gap?: ChatReplyGap
}

/**
 * Why a chat reply may have a hole: the socket dropped `drops` times while the job was unfinished (the
 * first at `firstDropAt`, epoch ms) and the job went on after the reconnect. `tokenFrames` (what arrived)
 * against `completionTokens` (what the server counted) is evidence only: a frame may carry several tokens.
 *
 * @since 0.3.0
 */
export type ChatReplyGap = ChatChunk.ReplyGap

/** A chat job's lifecycle frame, as `sogni.chat.on("jobState", …)` receives it. @since 0.1.0 */
export interface ChatJobStateEvent {
  readonly jobID: string
  readonly type: string
  readonly workerName?: string
  readonly queuePosition?: number
  /** Present in `pending` and `queued`. */
  readonly modelId?: string
  /** Decimal string in the requested token type (`pending`, `queued`). */
  readonly estimatedCost?: string
}

/** The quote of `chat.estimateCost`. @since 0.1.0 */
export type LLMCostEstimation = ChatChunk.LlmCostEstimate

/** An LLM as the server advertises it. @since 0.1.0 */
export interface LLMModelInfo {
  readonly workers: number
  readonly maxContextLength?: number
  readonly maxOutputTokens?: { readonly min: number; readonly max: number; readonly default: number }
  readonly [key: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// Hosted chat and chat runs
// ---------------------------------------------------------------------------------------------

/** Hosted REST chat parameters: the socket parameters plus the hosted-only fields (either spelling). @since 0.1.0 */
export type HostedChatCompletionParams =
  & Omit<ChatCompletionParams, "stream" | "autoExecuteTools" | "onToolCall" | "onToolProgress" | "maxToolRounds">
  & {
    readonly stream?: false
    readonly app_source?: string
    readonly token_type?: TokenType
    readonly task_profile?: "general" | "coding" | "reasoning"
    readonly chat_template_kwargs?: Record<string, unknown>
    readonly media_references?: ReadonlyArray<unknown>
    readonly mediaReferences?: ReadonlyArray<unknown>
    readonly api_media_references?: ReadonlyArray<unknown>
    readonly apiMediaReferences?: ReadonlyArray<unknown>
    readonly safe_content_filter?: boolean
  }

/** The hosted completion as the server sends it (OpenAI shape plus Sogni fields). @since 0.1.0 */
export interface HostedChatCompletionResult {
  readonly id: string
  readonly object: "chat.completion"
  readonly created: number
  readonly model: string
  readonly choices: ReadonlyArray<{
    readonly index: number
    readonly message: { readonly role: string; readonly content: string | null; readonly tool_calls?: ReadonlyArray<ToolCall> }
    readonly finish_reason: string | null
  }>
  readonly usage?: TokenUsage
  readonly creative_workflows?: ReadonlyArray<Record<string, unknown>>
  readonly sogni_tool_results?: ReadonlyArray<Record<string, unknown>>
}

/** @since 0.1.0 */
export interface HostedToolExecutionParams {
  readonly tool: string
  readonly arguments: Record<string, unknown>
  readonly app_source?: string
  readonly appSource?: string
  readonly token_type?: "sogni" | "spark" | "auto"
  readonly tokenType?: "sogni" | "spark" | "auto"
  readonly safe_content_filter?: boolean
  readonly safeContentFilter?: boolean
}

/** @since 0.1.0 */
export interface HostedToolExecutionResult {
  readonly status: "success"
  readonly data: {
    readonly toolCallId: string
    readonly tool: string
    readonly result: Readonly<Record<string, unknown>>
    readonly message: string | null
  }
}

/** @since 0.1.0 */
export type ChatRunStatus = "queued" | "running" | "waiting_for_user" | "completed" | "partial_failure" | "failed" | "cancelled"

/** @since 0.1.0 */
export interface ChatRunEvent {
  readonly sequence: number
  readonly type: string
  readonly at: string
  readonly payload?: Readonly<Record<string, unknown>>
}

/** A durable chat run (fields beyond these are kept). @since 0.1.0 */
export interface ChatRunRecord {
  readonly runId: string
  readonly status: ChatRunStatus
  readonly schemaVersion: string
  readonly scope: { readonly ownerWalletAddress: string; readonly tokenType?: string; readonly appSource?: string }
  readonly request: Readonly<Record<string, unknown>>
  readonly messages: ReadonlyArray<unknown>
  readonly toolCalls: ReadonlyArray<unknown>
  readonly toolResults: ReadonlyArray<unknown>
  readonly mediaContext: { readonly images: ReadonlyArray<string>; readonly videos: ReadonlyArray<string>; readonly audio: ReadonlyArray<string> }
  readonly artifacts: ReadonlyArray<unknown>
  readonly events?: ReadonlyArray<ChatRunEvent>
  readonly finalResponse?: { readonly content?: string; readonly finishReason?: string }
  readonly waiting?: {
    readonly reason: string
    readonly message?: string
    readonly details?: {
      readonly toolCallId?: string
      readonly pendingToolCallIds?: ReadonlyArray<string>
      readonly costApprovalPreview?: ChatRunCostApprovalPreview
      readonly [key: string]: unknown
    }
  }
  readonly failureReason?: string
  readonly cancellationReason?: string
  readonly timestamps: { readonly createdAt: string; readonly updatedAt: string; readonly completedAt?: string }
  readonly [key: string]: unknown
}

/** @since 0.1.0 */
export interface ChatRunCostApprovalPreview {
  readonly totalEstimatedCapacityUnits: number
  readonly tokenType: string
  readonly validityUntil: string
  readonly perToolBreakdown?: ReadonlyArray<{ readonly toolCallId: string; readonly toolName: string; readonly capacityUnits: number }>
  readonly [key: string]: unknown
}

/** @since 0.1.0 */
export interface StartChatRunParams {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly tools?: ReadonlyArray<ToolDefinition>
  readonly toolChoice?: ToolChoice
  readonly model?: string
  readonly sampling?: Readonly<Record<string, unknown>>
  readonly mediaReferences?: ReadonlyArray<{ readonly url: string; readonly type?: string; readonly [k: string]: unknown }>
  readonly mediaContext?: {
    readonly images: ReadonlyArray<string>
    readonly videos: ReadonlyArray<string>
    readonly audio: ReadonlyArray<string>
    readonly uploadedImages?: ReadonlyArray<string>
    readonly uploadedVideos?: ReadonlyArray<string>
    readonly uploadedAudio?: ReadonlyArray<string>
  }
  readonly maxEstimatedCapacityUnits?: number
  readonly confirmCost?: boolean
  readonly sessionId?: string
  readonly clientMessageId?: string
  readonly tokenType?: TokenType
  readonly billingMode?: BillingMode
  readonly appSource?: string
  readonly idempotencyKey?: string
  readonly runtimeConfig?: {
    readonly qualityTier?: "fast" | "hq" | "pro"
    readonly safeContentFilter?: boolean
    readonly personaNames?: ReadonlyArray<string>
    readonly requireJobConfirmation?: boolean
    readonly jobConfirmationThresholdUsd?: number
  }
}

/** @since 0.1.0 */
export interface ConfirmChatRunCostParams {
  readonly toolCallId: string
  readonly decision: "confirm" | "cancel"
  readonly acceptedCostPreview?: ChatRunCostApprovalPreview
  readonly overrides?: Readonly<Record<string, unknown>>
  readonly reason?: string
  readonly idempotencyKey?: string
}

/** @since 0.1.0 */
export interface StreamChatRunEventsOptions {
  /** Resume after this event sequence. */
  readonly lastEventId?: number
  /** Aborting closes the stream (and its connection). */
  readonly signal?: AbortSignal
}

// ---------------------------------------------------------------------------------------------
// Workflows and replay
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export type CreativeWorkflowStatus =
  | "queued"
  | "running"
  | "completed"
  | "partial_failure"
  | "waiting_for_user"
  | "failed"
  | "cancelled"

/** @since 0.1.0 */
export interface CreativeWorkflowEvent {
  readonly id?: string | number | undefined
  readonly event?: string | undefined
  readonly type?: string | undefined
  readonly status?: CreativeWorkflowStatus | undefined
  readonly message?: string | undefined
  readonly timestamp?: number | string | undefined
  readonly data?: unknown
  readonly [key: string]: unknown
}

/** A workflow record (fields beyond these are kept). @since 0.1.0 */
export interface CreativeWorkflowRecord {
  readonly workflowId: string
  readonly status?: CreativeWorkflowStatus | undefined
  readonly title?: string | undefined
  readonly waitingReason?: CreativeWorkflowWaitingReason | undefined
  readonly awaitingCostApproval?: boolean | undefined
  readonly steps?: ReadonlyArray<Readonly<Record<string, unknown>>> | undefined
  readonly artifacts?: ReadonlyArray<Readonly<Record<string, unknown>>> | undefined
  readonly error?: unknown
  readonly [key: string]: unknown
}

/** Why a workflow waits (an unknown reason reads as `other`). @since 0.1.0 */
export type CreativeWorkflowWaitingReason =
  | "ask_clarifying_question"
  | "select_media_required"
  | "cost_approval_required"
  | "cost_reauthorization_required"
  | "safety_review_required"
  | "workflow_user_input_required"
  | "insufficient_credit"
  | "permission_required"
  | "other"

/** One server-sent event of a workflow: `event` is its type, `data` its body. @since 0.1.0 */
export interface CreativeWorkflowSseEvent {
  readonly id?: string
  readonly event: string
  readonly data: unknown
  readonly raw: string
}

/** @since 0.1.0 */
export interface StartCreativeWorkflowDependency {
  readonly sourceStepId: string
  readonly targetArgument: string
  readonly transform:
    | "artifact_url"
    | "artifact_data_uri"
    | "image_url"
    | "video_url"
    | "audio_url"
    | "image_index"
    | "video_index"
    | "audio_index"
    | "subtitle_cues"
    | "subtitle_srt"
    | "overlay_items"
    | "asset_ref"
  readonly sourceArtifactId?: string
  readonly sourceArtifactIndex?: number
  readonly mediaType?: "image" | "video" | "audio"
  readonly required?: boolean
}

/** @since 0.1.0 */
export interface StartCreativeWorkflowStep {
  readonly id?: string
  readonly toolName: string
  readonly arguments: Record<string, unknown>
  readonly dependsOn?: ReadonlyArray<StartCreativeWorkflowDependency>
}

/** Start parameters; `workflowId` names a saved template (with `inputs`). Either spelling is accepted. @since 0.1.0 */
export interface StartCreativeWorkflowParams {
  readonly input?: { readonly title?: string; readonly steps: ReadonlyArray<StartCreativeWorkflowStep> }
  readonly workflowId?: string
  readonly inputs?: Record<string, unknown>
  readonly tokenType?: TokenType
  readonly billingMode?: BillingMode
  readonly appSource?: string
  readonly idempotencyKey?: string
  readonly mediaReferences?: ReadonlyArray<{ readonly url: string; readonly type: "image" | "video" | "audio"; readonly [k: string]: unknown }>
  readonly maxEstimatedCapacityUnits?: number
  readonly confirmCost?: boolean
  readonly safeContentFilter?: boolean
  readonly workflow_id?: string
  readonly token_type?: TokenType
  readonly billing_mode?: BillingMode
  readonly app_source?: string
  readonly idempotency_key?: string
  readonly media_references?: ReadonlyArray<{ readonly url: string; readonly type: "image" | "video" | "audio"; readonly [k: string]: unknown }>
  readonly max_estimated_capacity_units?: number
  readonly confirm_cost?: boolean
  readonly safe_content_filter?: boolean
}

/** @since 0.1.0 */
export interface ResumeCreativeWorkflowParams {
  readonly tokenType?: TokenType
  readonly billingMode?: BillingMode
  readonly appSource?: string
  readonly token_type?: TokenType
  readonly billing_mode?: BillingMode
  readonly app_source?: string
}

/** @since 0.1.0 */
export interface ResumeCreativeWorkflowResult {
  readonly workflow: CreativeWorkflowRecord
  readonly resumed: boolean
}

/** @since 0.1.0 */
export interface ReseedCreativeWorkflowParams extends ResumeCreativeWorkflowParams {
  readonly seedOverrides?: Record<string, number>
  readonly seed_overrides?: Record<string, number>
  readonly idempotencyKey?: string
}

/** @since 0.1.0 */
export interface ReseedCreativeWorkflowResult {
  readonly workflow: CreativeWorkflowRecord
  readonly idempotent?: boolean
  readonly reseed: { readonly clonedFromRunId: string; readonly steps: ReadonlyArray<unknown> }
}

/** @since 0.1.0 */
export interface StreamCreativeWorkflowEventsOptions {
  readonly after?: string | number
  readonly lastEventId?: string | number
  /** Aborting closes the stream. */
  readonly signal?: AbortSignal
}

/** @since 0.1.0 */
export interface WorkflowTemplate {
  readonly [key: string]: unknown
  readonly id: string
  readonly name: string
  /** The template's version (empty when the server sent none). */
  readonly version: string
  /** Empty when the server sent none. */
  readonly description: string
  readonly category?: string
  readonly stability?: string
  readonly visibility?: string
  readonly inputs?: ReadonlyArray<unknown>
  readonly stages?: ReadonlyArray<unknown>
  readonly tags?: ReadonlyArray<string>
  readonly createdAt?: number | string
  readonly updatedAt?: number | string
}

/** @since 0.1.0 */
export interface ListWorkflowTemplatesOptions {
  readonly visibility?: "own" | "public" | "all"
  readonly offset?: number
  readonly limit?: number
  readonly signal?: AbortSignal
}

/** A replay record (its own snake_case field names, sent verbatim). @since 0.1.0 */
export interface RunRecord {
  readonly [key: string]: unknown
  readonly run_id: string
  readonly schema_version?: number | string | undefined
  readonly session_id?: string | undefined
  readonly account_id?: string | undefined
  readonly model_id?: string | undefined
  readonly rounds?: ReadonlyArray<unknown> | undefined
  readonly user_request?: string | undefined
  readonly final_response?: unknown
}

/** The answer to a replay write. @since 0.1.0 */
export interface ReplayWriteResult {
  readonly runId: string
  readonly schemaVersion: number | string
  readonly redacted: boolean
  readonly createTime: number
  readonly updateTime: number
}

/** One entry of the replay list (`rounds` is a count there). @since 0.1.0 */
export interface ReplayRecordSummary {
  readonly runId: string
  readonly schemaVersion: number | string
  readonly createTime: number
  readonly updateTime: number
  readonly userRequest?: string | undefined
  readonly finalResponse?: unknown
  readonly modelId?: string | undefined
  readonly rounds: number
}

/**
 * Connection attribution (the official `ConnectionAttribution`): sent on the socket URL; values that
 * break a rule are dropped.
 *
 * @since 0.1.0
 */
export type ConnectionAttribution = Attribution.ConnectionAttribution

/** Server status of a project in recovery payloads. @since 0.1.0 */
export type RecoveredProjectStatus =
  | "pending"
  | "authorized"
  | "active"
  | "queued"
  | "assigned"
  | "progress"
  | "completed"
  | "errored"
  | "cancelled"

/** Status of a worker job in recovery payloads (the media package's list). @since 0.1.0 */
export type RecoveredWorkerJobStatus = (typeof ProjectSync.workerJobStatuses)[number]

/**
 * A worker job of a {@link RecoveredProject}: `imgID` is the job's identity (`id` is the project's),
 * with the fields the platform sends beyond these kept.
 *
 * @since 0.1.0
 */
export interface RecoveredWorkerJob {
  readonly id: string
  readonly imgID: string
  readonly status: RecoveredWorkerJobStatus
  readonly reason?: string
  readonly performedSteps?: number
  readonly seedUsed?: number
  readonly triggeredNSFWFilter?: boolean
  readonly createTime?: number
  readonly updateTime?: number
  readonly network?: string
  readonly [field: string]: unknown
}

/**
 * A project as the server's recovery snapshot lists it (`listProjectsElsewhere`): the fields the
 * protocol guarantees are present, the rest of the record is kept as sent.
 *
 * @since 0.1.0
 */
export interface RecoveredProject {
  readonly id: string
  readonly appId?: string
  readonly appSource?: string
  readonly jobType?: string
  readonly model: {
    readonly id: string
    readonly SID?: number
    readonly name?: string
    readonly type?: string
    readonly [field: string]: unknown
  }
  readonly imageCount: number
  readonly stepCount: number
  readonly createTime: number
  readonly updateTime: number
  readonly endTime?: number | null
  readonly status: RecoveredProjectStatus
  readonly reason?: string | null
  readonly network?: string
  readonly clientRequestData?: string
  readonly workerJobs?: ReadonlyArray<RecoveredWorkerJob>
  readonly completedWorkerJobs?: ReadonlyArray<RecoveredWorkerJob>
  readonly [field: string]: unknown
}

/** Body of `GET /api/v1/artist/projects/sync`, entries read strictly. @since 0.1.0 */
export interface ProjectRecoverySnapshot {
  readonly activeProjects: Array<RecoveredProject>
  readonly unclaimedCompletedProjects: Array<RecoveredProject>
  readonly serverTime?: number
}

/** A project that finished while this client was away, with its download URLs in job order. @since 0.1.0 */
export interface CompletedRecoveredProject extends RecoveredProject {
  readonly resultUrls: Array<string>
}

/** What asked for a reconciliation. @since 0.1.0 */
export type ProjectSyncReason = "authenticated" | "connected" | "manual" | "recheck"

/**
 * One reconciliation of this client's projects with the server (`projects.sync()` and the
 * `projectsSynced` event). The id lists name projects this client tracks; the `recovered*` lists hold the
 * server's projects it does not track.
 *
 * @since 0.1.0
 */
export interface ProjectSyncResult {
  readonly reason: ProjectSyncReason
  /** The server's snapshot as read. */
  readonly snapshot: ProjectRecoverySnapshot
  /** Tracked projects the server lists in flight. */
  readonly active: Array<string>
  /** Tracked projects the server lists (or the lookups found) finished. */
  readonly completed: Array<string>
  /** Tracked projects nothing on the server knows. */
  readonly lost: Array<string>
  /** Tracked projects whose state could not be verified (a transport error, or a record not stored yet). */
  readonly unverified: Array<string>
  /** In-flight projects of this appId this client does not track (listed, not adopted). */
  readonly recoveredActive: Array<RecoveredProject>
  /** Projects of this appId that finished while no client was connected, with their download URLs. */
  readonly recoveredCompleted: Array<CompletedRecoveredProject>
}

/** A worker job of a stored project record. @since 0.1.0 */
export interface RawJob {
  readonly id: string
  readonly imgID?: string
  readonly status: RecoveredWorkerJobStatus
  readonly reason?: string
  readonly performedSteps?: number
  readonly seedUsed?: number
  readonly triggeredNSFWFilter?: boolean
  readonly resultUrl?: string | null
  readonly createTime?: number
  readonly updateTime?: number
  readonly endTime?: number | null
  readonly [field: string]: unknown
}

/**
 * A finished project as the platform stores it (`projects.get`): the fields the protocol guarantees are
 * present, the rest of the record is kept as sent.
 *
 * @since 0.1.0
 */
export interface RawProject {
  readonly id: string
  readonly SID?: number
  readonly model: { readonly id: string; readonly SID?: number; readonly name?: string; readonly [field: string]: unknown }
  readonly imageCount: number
  readonly stepCount: number
  readonly createTime: number
  readonly updateTime: number
  readonly endTime?: number | null
  readonly status: RecoveredProjectStatus
  readonly reason?: string | null
  readonly network?: string
  readonly workerJobs: Array<RawJob>
  readonly completedWorkerJobs: Array<RawJob>
  readonly [field: string]: unknown
}

/** The live lookup's normalized project statuses. @since 0.1.0 */
export type ProjectLookupStatus = "pending" | "queued" | "processing" | "completed" | "failed" | "canceled"

/**
 * One of this account's projects as the live lookup reports it (`projects.getStatus`), also while queued
 * or rendering; `finished` is set for completed, failed and canceled projects.
 *
 * @since 0.1.0
 */
export interface ProjectStatusSnapshot {
  readonly id: string
  readonly status: ProjectLookupStatus
  readonly finished: boolean
  readonly workerJobs: Array<RawJob>
  readonly completedWorkerJobs: Array<RawJob>
  readonly [field: string]: unknown
}

/** The verdict of `projects.resolveMissing` on one project. @since 0.1.0 */
export type ProjectResolution =
  | { readonly state: "finished"; readonly project: RawProject }
  | {
    readonly state: "terminal"
    readonly project: ProjectStatusSnapshot & { readonly status: "failed" | "canceled"; readonly finished: true }
  }
  | { readonly state: "active" }
  | { readonly state: "lost" }
  | { readonly state: "unknown"; readonly error: unknown }

// ---------------------------------------------------------------------------------------------
// The official client's names for shapes declared above
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export type ChatTokenUsage = TokenUsage
/** The abort signal of a REST call. @since 0.1.0 */
export interface ReplayRequestOptions {
  readonly signal?: AbortSignal
}
/** @since 0.1.0 */
export type WorkflowTemplateRequestOptions = ReplayRequestOptions
/** @since 0.1.0 */
export interface ListReplayRecordsOptions extends ReplayRequestOptions {
  readonly limit?: number
}
/** @since 0.1.0 */
export interface ListReplayRecordsResult {
  readonly records: ReadonlyArray<ReplayRecordSummary>
}
/** @since 0.1.0 */
export interface GetReplayRecordResult {
  readonly record: RunRecord
  readonly createTime: number
}
/** @since 0.1.0 */
export interface ListWorkflowTemplatesResult {
  readonly templates: Array<WorkflowTemplate>
  readonly nextCursor: number | null
}
/** @since 0.1.0 */
export interface ForkWorkflowTemplateBody {
  readonly newName?: string
}
/** Which templates a listing returns. @since 0.1.0 */
export type WorkflowTemplateVisibilityFilter = "own" | "public" | "all"
/** Image output formats. @since 0.1.0 */
export type ImageOutputFormat = "png" | "jpg" | "webp"
