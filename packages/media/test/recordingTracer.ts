/**
 * A test tracer that records every span opened under it: its name, its id, its parent's id, whether it
 * ended and how (shared by the span tests of Projects and projectSpan).
 */
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

export const recordingTracer = () => {
  const spans: Array<
    { readonly name: string; readonly id: string; readonly parent: string | undefined; ended: boolean; exit?: string }
  > = []
  let id = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const spanId = `${name}-${++id}`
      const record: (typeof spans)[number] = {
        name,
        id: spanId,
        parent: Option.getOrUndefined(Option.map(parent, (p) => p.spanId)),
        ended: false
      }
      spans.push(record)
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: new Map(),
        links: [...links],
        sampled: true,
        kind,
        end: (_endTime, exit) => {
          record.ended = true
          record.exit = exit._tag
        },
        attribute: () => undefined,
        event: () => undefined,
        addLinks: () => undefined
      } satisfies Tracer.Span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}
