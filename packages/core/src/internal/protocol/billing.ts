/**
 * What a request is paid with (socket.md §9, chat.md §15.2, workflows.md §5): the token vocabulary every
 * billed record and request shares. Re-exported by `Protocol`.
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"

/** The token a request is billed in. @since 0.2.0 */
export const TokenType = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal("spark", "sogni")
})
/** @since 0.2.0 */
export type TokenType = typeof TokenType.Type
