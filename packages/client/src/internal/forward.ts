/**
 * Members made from a list of names: a facade whose calls an image program never makes keeps their
 * names, each a method that loads the calls' module on first use and hands the call, with the facade
 * first, to the function of that name there. The facade's class declares those members through an
 * interface merged into it.
 *
 * @internal
 */

/**
 * Puts on `target`'s prototype one method per name (non-enumerable and writable, as a class's own
 * methods): it awaits `load()` and calls the function of its name there with the receiver and its
 * arguments.
 *
 * @internal
 */
export function forwardCalls<T, N extends string>(
  target: { readonly prototype: T },
  names: ReadonlyArray<N>,
  load: () => Promise<{ readonly [K in N]: (self: T, ...args: Array<never>) => unknown }>
): void {
  for (const name of names) {
    Object.defineProperty(target.prototype, name, {
      configurable: true,
      writable: true,
      value: async function(this: T, ...args: Array<unknown>) {
        const calls = await load()
        return (calls[name] as (self: T, ...args: Array<unknown>) => unknown)(this, ...args)
      }
    })
  }
}
