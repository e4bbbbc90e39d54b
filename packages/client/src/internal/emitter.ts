/**
 * A small typed event emitter with the official client's listener API: `on` returns an unsubscribe
 * function, `once`, `off`, `removeAllListeners`. A listener that throws is reported through `onError`
 * and does not stop the others (or the fiber that emitted).
 */
export type Listener<D> = (data: D) => void

/** The listener API shared by clients, projects and jobs. */
export class Emitter<E extends { readonly [K in keyof E]: unknown }> {
  private readonly listeners = new Map<keyof E, Set<Listener<any>>>()

  constructor(private readonly onError: (error: unknown, event: string) => void = defaultOnError) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener)
    return () => this.off(event, listener)
  }

  /** Adds a listener called at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (data) => {
      off()
      listener(data)
    })
    return off
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(listener)
  }

  /** Removes every listener, or those of one event. */
  removeAllListeners<K extends keyof E>(event?: K): void {
    if (event === undefined) this.listeners.clear()
    else this.listeners.delete(event)
  }

  /** Number of listeners of an event. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.size ?? 0
  }

  /** @internal */
  emit<K extends keyof E>(event: K, data: E[K]): void {
    const set = this.listeners.get(event)
    if (set === undefined || set.size === 0) return
    if (set.size === 1) {
      // the common case: one listener, called without copying the set (one it adds is not called now)
      const listener = set.values().next().value as Listener<E[K]>
      try {
        listener(data)
      } catch (error) {
        this.onError(error, String(event))
      }
      return
    }
    // a copy: a listener may add or remove listeners while they are called
    for (const listener of [...set]) {
      try {
        listener(data)
      } catch (error) {
        this.onError(error, String(event))
      }
    }
  }
}

const defaultOnError = (error: unknown, event: string) => {
  // a listener's own bug: report it where a plain script would see it, without breaking the emitter
  console.error(`[effect-sogni] a '${event}' listener threw:`, error)
}
