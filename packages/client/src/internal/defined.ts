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
export const defined = <A extends object>(a: A): Defined<A> =>
  Object.fromEntries(Object.entries(a).filter((e) => e[1] !== undefined)) as Defined<A>
