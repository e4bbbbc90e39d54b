/**
 * `a` without its `undefined` fields, typed with those fields optional: turns a record read from the
 * wire (where an absent field reads `undefined`) into the official types, which are written for
 * `exactOptionalPropertyTypes`.
 *
 * @internal
 */
export type Defined<A> =
  & { readonly [K in keyof A as undefined extends A[K] ? never : K]: A[K] }
  & { readonly [K in keyof A as undefined extends A[K] ? K : never]?: Exclude<A[K], undefined> }

/** @internal */
export function defined<A extends object>(a: A): Defined<A> {
  return Object.fromEntries(Object.entries(a).filter((e) => e[1] !== undefined)) as Defined<A>
}

/**
 * {@link Defined} at every depth: a decoded record (whose optional fields are typed `T | undefined`)
 * as the official types, which leave them out instead. Arrays are mapped element by element.
 *
 * @internal
 */
export type DeepDefined<A> = A extends ReadonlyArray<infer E> ? ReadonlyArray<DeepDefined<E>>
  : A extends Date | ((...args: ReadonlyArray<never>) => unknown) ? A
  : A extends object ?
      & { readonly [K in keyof A as undefined extends A[K] ? never : K]: DeepDefined<A[K]> }
      & { readonly [K in keyof A as undefined extends A[K] ? K : never]?: DeepDefined<Exclude<A[K], undefined>> }
  : A

const dropUndefined = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(dropUndefined)
    : typeof u === "object" && u !== null && Object.getPrototypeOf(u) === Object.prototype
    ? Object.fromEntries(Object.entries(u).flatMap(([k, v]) => v === undefined ? [] : [[k, dropUndefined(v)]]))
    : u

/** `a` without an `undefined` field at any depth of its plain objects and arrays (a copy). @internal */
export const deepDefined = <A>(a: A): DeepDefined<A> => dropUndefined(a) as DeepDefined<A>
