/**
 * Values built on first use. A module of schemas pays for every `Schema.Struct` it declares when it is
 * imported, although most programs decode a handful of them, later; {@link schema} declares one whose
 * construction waits until something reads it (its `ast`, a field, a method), then is memoised.
 *
 * The declared value is a stand-in that forwards every read to the built schema, so it is used exactly
 * as the schema itself: passed to `Schema.decodeUnknown`, nested in another schema, piped, annotated.
 * A lazy schema nested in another lazy one is built when the outer one is.
 *
 * @example
 * ```ts
 * import * as Lazy from "@effect-sogni/core/Lazy"
 * import * as Schema from "effect/Schema"
 *
 * // nothing is constructed at import
 * export const Point = Lazy.schema(() => Schema.Struct({ x: Schema.Number, y: Schema.Number }))
 *
 * // built here, on the first read
 * Schema.decodeUnknownSync(Point)({ x: 1, y: 2 })
 * ```
 *
 * @since 0.2.0
 */

/**
 * A memoised thunk: `build` runs on the first call only.
 *
 * @since 0.2.0
 */
export const memo = <A>(build: () => A): () => A => {
  let built = false
  let value: A
  return () => {
    if (!built) {
      value = build()
      built = true
    }
    return value
  }
}

/**
 * A schema (or any object or class value) built on first read, then memoised; see the module docs.
 * The stand-in forwards property reads, `in`, key listing, descriptors and prototype queries, and calls;
 * writes go to the built value too.
 *
 * @since 0.2.0
 */
export const schema = <A extends object>(build: () => A): A => {
  const get = memo(build)
  // an arrow function as target: `typeof` answers "function" as it does for a schema (a class), and
  // it has no non-configurable own keys that the forwarded `ownKeys` would have to report
  const target = (() => undefined) as unknown as A
  return new Proxy(target, {
    get: (_, key) => {
      const value = get()
      const member = Reflect.get(value, key, value)
      return member
    },
    set: (_, key, v) => Reflect.set(get(), key, v),
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key)
      // a proxy may only report a key as configurable-absent from its target: report it configurable
      return d === undefined ? undefined : { ...d, configurable: true }
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
    apply: (_, self, args) => Reflect.apply(get() as unknown as (...a: Array<unknown>) => unknown, self, args)
  })
}
