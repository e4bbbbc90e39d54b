/**
 * Encoding with the protocol's schemas (`Protocol` in core): every REST body and SSE event the
 * emulator builds for durable workflows and chat runs goes through {@link encodeWire}, so the shape on
 * the wire is the one the SDK declares. Fields a schema does not name are kept (the emulator may send
 * more than the SDK reads). A value that does not match is an emulator bug: it is logged loudly and
 * sent as it is, never a crash of the simulation.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** An encoder for `schema` (whose wire form is its type form); `what` names the value in the log. @internal */
export const encodeWire = <A>(schema: Schema.Schema<A, A>, what: string): (value: A) => A => {
  const encode = Schema.encodeEither(schema, { onExcessProperty: "preserve" })
  return (value) => {
    const encoded = encode(value)
    if (Either.isRight(encoded)) return encoded.right
    Effect.runFork(Effect.logError(`emulator produced an invalid ${what}`, encoded.left.message))
    return value
  }
}
