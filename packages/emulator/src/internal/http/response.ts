/**
 * The emulator's HTTP vocabulary: the handler type every router uses, the REST envelopes
 * (`{status:"success", data}` and `{status:"error", message, errorCode}`, rest.md §2.3), bare bodies,
 * and the few request readers the routers share (URL, decoded path parameters, a schema-checked JSON
 * body, a JSON object body).
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** A route handler: always a response, never a failure. @internal */
export type Handler = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext
>

/** Options of an error envelope. @internal */
export interface ErrorOptions {
  /** The envelope's `errorCode` (default: the HTTP status). */
  readonly errorCode?: number | undefined
  /** Sent as `retryAfter` and as the `Retry-After` header. */
  readonly retryAfterSeconds?: number | undefined
  /** Structured details (`details`), e.g. the field a refusal is about. */
  readonly details?: Record<string, unknown> | undefined
}

/** The error envelope (rest.md §2.3). @internal */
export const errorResponse = (
  status: number,
  message: string,
  options?: ErrorOptions
): HttpServerResponse.HttpServerResponse => {
  const retryAfter = options?.retryAfterSeconds
  return HttpServerResponse.unsafeJson(
    {
      status: "error",
      message,
      errorCode: options?.errorCode ?? status,
      ...(options?.details !== undefined ? { details: options.details } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {})
    },
    { status, ...(retryAfter !== undefined ? { headers: { "retry-after": String(retryAfter) } } : {}) }
  )
}

/** The success envelope. @internal */
export const ok = (data: unknown, status = 200): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson({ status: "success", data }, { status })

/** A bare JSON body (the socket host's paths, replay records). @internal */
export const raw = (body: unknown, status = 200): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body, { status })

/** A 404 envelope. @internal */
export const notFound = (what = "Not found"): HttpServerResponse.HttpServerResponse => errorResponse(404, what)

/** The request's URL (the host part is a placeholder). @internal */
export const urlOf = (request: HttpServerRequest.HttpServerRequest): URL => new URL(request.url, "http://emulator.invalid")

/** One path parameter, raw (`""` when absent). @internal */
export const param = (name: string): Effect.Effect<string, never, HttpRouter.RouteContext> =>
  Effect.map(HttpRouter.params, (p) => p[name] ?? "")

/** The path parameters, percent-decoded (a malformed escape keeps the raw text). @internal */
export const decodedParams: Effect.Effect<Readonly<Record<string, string | undefined>>, never, HttpRouter.RouteContext> =
  Effect.map(HttpRouter.params, (params) => {
    const decoded: Record<string, string | undefined> = {}
    for (const [k, v] of Object.entries(params)) {
      try {
        decoded[k] = v === undefined ? undefined : decodeURIComponent(v)
      } catch {
        decoded[k] = v
      }
    }
    return decoded
  })

/** A JSON body decoded with a schema; a 400 envelope naming the first problem otherwise. @internal */
export const schemaBody = <A, I>(
  schema: Schema.Schema<A, I>,
  label = "Invalid request body"
): Effect.Effect<A, HttpServerResponse.HttpServerResponse, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(schema)),
      Effect.mapError((e) => errorResponse(400, `${label}: ${e.message.split("\n")[0]}`))
    ))

/** A decoded JSON object. @internal */
export type Json = Record<string, unknown>

/** Whether a decoded JSON value is an object (not null, not an array). @internal */
export const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** A JSON object body (`{}` when the body is empty); a 400 envelope otherwise. @internal */
export const objectBody = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Record<string, unknown>, HttpServerResponse.HttpServerResponse> =>
  Effect.flatMap(Effect.either(request.text), (text) => {
    if (Either.isLeft(text)) return Effect.fail(errorResponse(400, "Could not read the request body"))
    if (text.right.trim() === "") return Effect.succeed({})
    try {
      const parsed: unknown = JSON.parse(text.right)
      return isRecord(parsed)
        ? Effect.succeed(parsed)
        : Effect.fail(errorResponse(400, "The request body must be a JSON object"))
    } catch {
      return Effect.fail(errorResponse(400, "The request body is not JSON"))
    }
  })
