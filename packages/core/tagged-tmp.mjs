import * as Schema from "effect/Schema"
import * as Data from "effect/Data"
const keep = []
const N = 20
const measure = (name, f) => { f(-1); const h0 = process.memoryUsage().heapUsed; for (let i = 0; i < N; i++) keep.push(f(i)); console.log(name.padEnd(30), ((process.memoryUsage().heapUsed - h0) / N / 1024).toFixed(1), "KB") }
measure("Literal3", (i) => Schema.Literal("x", "y", "z"+i))
measure("optional(Number)", () => Schema.optional(Schema.Number))
measure("Struct3 prebuilt fields", (i) => Schema.Struct({ a: Schema.String, b: Schema.Number, c: Schema.Boolean }))
const fields = { reason: Schema.Literal("x","y","z"), message: Schema.String, closeCode: Schema.optional(Schema.Number) }
measure("TaggedError prebuilt fields", (i) => class C extends Schema.TaggedError()("C"+i, fields) {})
measure("TaggedError identifier+fields", (i) => class C extends Schema.TaggedError("id"+i)("C"+i, fields) {})
measure("Class prebuilt fields", (i) => class C extends Schema.Class("C"+i)(fields) {})
measure("Data.TaggedError", (i) => class C extends Data.TaggedError("C"+i) {})
measure("TaggedErrorCtor only", (i) => Schema.TaggedError())
