import { bundle } from "../src/startup/bundle.js"
const b = await bundle("adapter", "/tmp/exp")
console.log(b.file, b.bytes)
