// The root of the declaration-parity program (parity.ts): both public surfaces in one program.
import * as Official from "@sogni-ai/sogni-client"
import * as Ours from "../src/index.js"

export type Surfaces = [typeof Official, typeof Ours]
