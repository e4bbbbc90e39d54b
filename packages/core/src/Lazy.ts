/**
 * Values built on first use. A module of schemas pays for every `Schema.Struct` it declares when it is
 * imported, although most programs decode a handful of them, later; {@link schema} declares one whose
 * construction waits until something reads it (its `ast`, a field, a method), then is memoised.
 *
 * The declared value is a stand-in that forwards every read to the built schema, so it is used exactly
 * as the schema itself: passed to `Schema.decodeUnknown`, nested in another schema, piped, annotated.
 * A lazy schema nested in another lazy one is built when the outer one is.
 *
 * The builders are written as `function` expressions, not arrow functions: V8 fully parses every arrow
 * function at a module's top level when the module is compiled (it pre-parses only a `function`'s body,
 * there), so an arrow builder would cost its whole text in parsing at import, for a schema that the
 * program may never build (see `packages/bench/src/startup/decompose.ts`). The same holds for every
 * function an SDK module declares at its top level.
 *
 * @example
 * ```ts
 * import * as Lazy from "@effect-sogni/core/Lazy"
 * import * as Schema from "effect/Schema"
 *
 * // nothing is constructed at import
 * export const Point = Lazy.schema(function() {
 *   return Schema.Struct({ x: Schema.Number, y: Schema.Number })
 * })
 *
 * // built here, on the first read
 * Schema.decodeUnknownSync(Point)({ x: 1, y: 2 })
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"

/**
 * A module loaded with a dynamic `import()` on first use, as an effect: a run before the module has
 * loaded waits for the import, and every run after it succeeds with the module on the caller's turn, as
 * a static import would (an `Effect.promise` of the `import()` would wait for a resolved promise again on
 * every run, so an otherwise synchronous call could no longer finish where it was made).
 *
 * @example
 * ```ts
 * import * as Lazy from "@effect-sogni/core/Lazy"
 *
 * const rules = Lazy.loadOnce(() => import("./rules.js"))
 * ```
 *
 * @since 0.2.0
 */
export function loadOnce<A>(load: () => Promise<A>): Effect.Effect<A> {
  let loaded: { readonly module: A } | undefined
  const importing = Effect.promise(() =>
    load().then((module) => {
      loaded = { module }
      return module
    })
  )
  return Effect.suspend(() => (loaded !== undefined ? Effect.succeed(loaded.module) : importing))
}

/**
 * A memoised thunk: `build` runs on the first call only.
 *
 * @since 0.2.0
 */
export function memo<A>(build: () => A): () => A {
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
export function schema<A extends object>(build: () => A): A {
  // an arrow function as target: `typeof` answers "function" as it does for a schema (a class), and
  // it has no non-configurable own keys that the forwarded `ownKeys` would have to report
  return new Proxy((() => undefined) as unknown as A, new Forwarder(build) as ProxyHandler<A>)
}

/**
 * The stand-in's traps. One small object per lazy value, its traps shared on the prototype: a module
 * declares dozens of lazy schemas at import, and a handler of closures would allocate nine functions
 * (and their context) for each.
 */
class Forwarder<A extends object> {
  private built = false
  private value: A | undefined
  constructor(private build: (() => A) | undefined) {}
  private force(): A {
    if (!this.built) {
      this.value = this.build!()
      this.built = true
      // the thunk's captures are not needed any more
      this.build = undefined
    }
    return this.value!
  }
  get(_: A, key: PropertyKey): unknown {
    const value = this.force()
    return Reflect.get(value, key, value)
  }
  set(_: A, key: PropertyKey, v: unknown): boolean {
    return Reflect.set(this.force(), key, v)
  }
  has(_: A, key: PropertyKey): boolean {
    return Reflect.has(this.force(), key)
  }
  ownKeys(): Array<string | symbol> {
    return Reflect.ownKeys(this.force())
  }
  getOwnPropertyDescriptor(_: A, key: PropertyKey): PropertyDescriptor | undefined {
    const d = Reflect.getOwnPropertyDescriptor(this.force(), key)
    // a proxy may only report a key as configurable-absent from its target: report it configurable
    return d === undefined ? undefined : { ...d, configurable: true }
  }
  getPrototypeOf(): object | null {
    return Reflect.getPrototypeOf(this.force())
  }
  apply(_: A, self: unknown, args: Array<unknown>): unknown {
    return Reflect.apply(this.force() as unknown as (...a: Array<unknown>) => unknown, self, args)
  }
}

/**
 * A class to extend (a `Schema.TaggedError`, `Schema.Class` and the like) built on first use, then
 * memoised. Declaring a schema class builds its struct, its type side, its encoded side and a handful of
 * annotated copies (~60 KB for a `Schema.TaggedError` of a few fields); an SDK declares its errors at import
 * although a run that succeeds never builds one. The stand-in is a constructor: a class extends it as it
 * would the built class, constructing an instance (`new`, `make`) builds it, and so does reading any static
 * member (`ast`, `fields`, `identifier`, `make`, `pipe`...), which is forwarded with the subclass as the
 * receiver, as the built class would see it. Instances are made by the built class's constructor for the
 * subclass (`new.target`), so they are exactly what extending the built class directly would give.
 *
 * @example
 * ```ts
 * import * as Lazy from "@effect-sogni/core/Lazy"
 * import * as Schema from "effect/Schema"
 *
 * // nothing but the stand-in is built at import
 * export class Refused extends Lazy.schemaClass(function() {
 *   return Schema.TaggedError<Refused>()("Refused", { reason: Schema.String })
 * }) {}
 *
 * // built here, on the first construction
 * const error = new Refused({ reason: "quota" })
 * ```
 *
 * @since 0.2.0
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function schemaClass<C extends abstract new(...args: Array<any>) => object>(build: () => C): C {
  // a plain function is a constructor with a `prototype` of its own: a subclass reads that object at its
  // declaration, and it is linked to the built class's prototype when the class is built
  const placeholder = function() {} as unknown as C
  // so that `constructor` read through an instance's chain is the built class's, not the placeholder
  delete (placeholder.prototype as { constructor?: unknown }).constructor
  return new Proxy(placeholder, new ClassForwarder(build, placeholder.prototype as object) as ProxyHandler<C>)
}

class ClassForwarder<C extends Function> {
  private built: C | undefined
  constructor(private build: (() => C) | undefined, private readonly prototype: object) {}
  private force(): C {
    if (this.built === undefined) {
      const built = this.build!()
      // the subclass's prototype chain runs through the placeholder's prototype
      Object.setPrototypeOf(this.prototype, built.prototype)
      this.built = built
      this.build = undefined
    }
    return this.built
  }
  get(_: C, key: PropertyKey, receiver: unknown): unknown {
    // read once, by `class X extends schemaClass(...)`, before anything is built
    if (key === "prototype") return this.prototype
    return Reflect.get(this.force(), key, receiver)
  }
  set(_: C, key: PropertyKey, value: unknown, receiver: unknown): boolean {
    return Reflect.set(this.force(), key, value, receiver)
  }
  has(_: C, key: PropertyKey): boolean {
    return Reflect.has(this.force(), key)
  }
  getPrototypeOf(): object | null {
    return Reflect.getPrototypeOf(this.force())
  }
  construct(_: C, args: Array<unknown>, newTarget: Function): object {
    return Reflect.construct(this.force(), args, newTarget) as object
  }
}
