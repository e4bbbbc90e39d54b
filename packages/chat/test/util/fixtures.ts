import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures")

/** A protocol fixture (copied from the shared protocol folder). */
export const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"))

/** The decoded server frames of a sequence fixture. */
export const frames = (name: string): Array<{ readonly frame: string; readonly payload: any }> =>
  fixture(name).frames.map((f: any) => ({ frame: f.frame, payload: f.payload }))

/** A minimal PNG (signature + IHDR) of the given size: enough for magic-byte and dimension checks. */
export const png = (width: number, height: number): Uint8Array => {
  const bytes = new Uint8Array(33)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  const view = new DataView(bytes.buffer)
  view.setUint32(16, width)
  view.setUint32(20, height)
  bytes.set([8, 6, 0, 0, 0], 24)
  return bytes
}

/** A minimal JPEG (SOI + SOF0) of the given size. */
export const jpeg = (width: number, height: number): Uint8Array =>
  new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9])

export const dataUri = (mime: string, bytes: Uint8Array): string => `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`
