/**
 * Content types from magic bytes and inline data-URI validation. The implementation lives in core
 * (`@effect-sogni/core/Sniff`) so that packages without media (chat's vision input) share it; this module
 * re-exports it unchanged for code that imports it from media.
 *
 * @example
 * ```ts
 * import * as Sniff from "@effect-sogni/media/Sniff"
 *
 * Sniff.sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))
 * // Option.some("image/png")
 * ```
 *
 * @since 0.1.0
 */
export * from "@effect-sogni/core/Sniff"
