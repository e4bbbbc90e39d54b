/**
 * Writing a byte stream to a file with Node's own `fs`, for `Results.save` when the caller's context
 * has no `FileSystem`. Node is loaded lazily (`import("node:fs/promises")`), so nothing here runs, or
 * fails, until a file is written; elsewhere (a browser) the write fails typed.
 *
 * Why not `@effect/platform-node`'s `NodeFileSystem`: as a runtime dependency it brings about 26 packages,
 * one with a native build that a plain pnpm install refuses, for the sake of one sequential write.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** What the write needs to report a failure: a message and the underlying cause. @internal */
export type Failure = (message: string, cause: unknown) => unknown

/** The directory part of a path (`/` or `\` separated), or undefined for a bare file name. @internal */
export const parentOf = (path: string): string | undefined => {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  return i > 0 ? path.slice(0, i) : undefined
}

/**
 * Creates the missing parent directories of `path`, writes the stream into it chunk after chunk and
 * returns the byte count. The file handle is closed on success, failure and interruption.
 *
 * @internal
 */
export const writeStream = <E, F>(
  path: string,
  stream: Stream.Stream<Uint8Array, E>,
  onError: (message: string, cause: unknown) => F
): Effect.Effect<number, E | F> =>
  Effect.gen(function*() {
    const fs = yield* Effect.tryPromise({
      try: () => import("node:fs/promises"),
      catch: (cause) => onError(`cannot write ${path}: no FileSystem in the context and Node's fs is unavailable`, cause)
    })
    const parent = parentOf(path)
    if (parent !== undefined) {
      yield* Effect.tryPromise({
        try: () => fs.mkdir(parent, { recursive: true }),
        catch: (cause) => onError(`could not create ${parent}: ${String(cause)}`, cause)
      })
    }
    return yield* Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () => fs.open(path, "w"),
        catch: (cause) => onError(`could not open ${path}: ${String(cause)}`, cause)
      }),
      (handle) =>
        Stream.runFoldEffect(stream, 0, (written, chunk) =>
          Effect.tryPromise({
            try: () => handle.write(chunk),
            catch: (cause) => onError(`could not write ${path}: ${String(cause)}`, cause)
          }).pipe(Effect.as(written + chunk.length))),
      (handle) => Effect.promise(() => handle.close()).pipe(Effect.ignore)
    )
  })
