/**
 * A small typed event emitter with the official client's listener API: `on` returns an unsubscribe
 * function, `once`, `off`, `removeAllListeners`. A listener that throws is reported through `onError`
 * and does not stop the others (or the fiber that emitted).
 */
export type Listener<D> = (data: D) => void

/** The listener API shared by clients, projects and jobs. */
export class Emitter<E extends { readonly [K in keyof E]: unknown }> {
  /** Made on the first `on`: most projects' jobs are never listened to. */
  private listeners: Map<keyof E, Set<Listener<any>>> | undefined

  constructor(private readonly onError: (error: unknown, event: string) => void = defaultOnError) {}

  /**
   * @internal Called after listeners of `event` were added (`delta` > 0) or removed (`delta` < 0), so a
   * subclass can keep a count of what it is asked for instead of looking it up on every event.
   */
  protected listenersChanged(_event: keyof E, _delta: number): void {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const listeners = this.listeners ??= new Map()
    let set = listeners.get(event)
    if (set === undefined) {
      set = new Set()
      listeners.set(event, set)
    }
    if (!set.has(listener)) {
      set.add(listener)
      this.listenersChanged(event, 1)
    }
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
    if (this.listeners?.get(event)?.delete(listener) === true) this.listenersChanged(event, -1)
  }

  /** Removes every listener, or those of one event. */
  removeAllListeners<K extends keyof E>(event?: K): void {
    const listeners = this.listeners
    if (listeners === undefined) return
    const removed = event === undefined ? [...listeners] : [[event, listeners.get(event)] as const]
    if (event === undefined) listeners.clear()
    else listeners.delete(event)
    for (const [e, set] of removed) if (set !== undefined && set.size > 0) this.listenersChanged(e, -set.size)
  }

  /** Number of listeners of an event. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners?.get(event)?.size ?? 0
  }

  /** @internal */
  emit<K extends keyof E>(event: K, data: E[K]): void {
    const set = this.listeners?.get(event)
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

function defaultOnError(error: unknown, event: string) {
  // a listener's own bug: report it where a plain script would see it, without breaking the emitter
  console.error(`[effect-sogni] a '${event}' listener threw:`, error)
}
