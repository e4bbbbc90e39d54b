/**
 * WebP encoding for image results asked for as `webp` (media.md §3.2, §8.1): libwebp compiled to
 * WebAssembly (`@jsquash/webp`, the Squoosh codec). Its own loader fetches the `.wasm` by URL, which Node
 * cannot do for `file:` URLs, so the module is compiled here from the bytes shipped in the package —
 * no network, no native build. The codec is loaded once per process, on the first WebP request.
 *
 * @internal
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

interface WebpEncoder {
  readonly encode: (
    image: { readonly data: Uint8ClampedArray; readonly width: number; readonly height: number; readonly colorSpace: "srgb" },
    options: { readonly quality: number; readonly lossless?: number }
  ) => Promise<ArrayBuffer>
}

/**
 * The one part of the `WebAssembly` global used here, typed locally so the module compiles under a
 * tsconfig whose `lib` has no `WebAssembly` declarations (ES2022 without DOM, no @types/node).
 */
interface WasmModuleConstructor {
  new(bytes: Uint8Array): object
}
const WasmModule = (globalThis as unknown as { readonly WebAssembly: { readonly Module: WasmModuleConstructor } })
  .WebAssembly.Module

const codecDir = () => {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve("@jsquash/webp/package.json")), "codec")
}

/**
 * Compiles the encoder. The package picks its SIMD or plain glue by feature detection; the matching
 * `.wasm` is tried first and the other one if instantiation fails.
 */
const loadEncoder = async (): Promise<WebpEncoder> => {
  const dir = codecDir()
  const { default: encode, init } = await import("@jsquash/webp/encode.js")
  let lastError: unknown
  for (const file of ["webp_enc_simd.wasm", "webp_enc.wasm"]) {
    try {
      const module = new WasmModule(await readFile(join(dir, "enc", file)))
      // `init` accepts a precompiled module at run time; its declaration only names the options form.
      await (init as unknown as (module: object) => Promise<unknown>)(module)
      return {
        encode: (image, options) => encode(image as unknown as Parameters<typeof encode>[0], options)
      }
    } catch (error) {
      lastError = error
    }
  }
  throw new Error(`The WebP codec could not be loaded: ${String(lastError)}`)
}

let encoder: Promise<WebpEncoder> | undefined

const getEncoder = () => {
  if (encoder === undefined) {
    encoder = loadEncoder()
    // A failed load is retried on the next request instead of being remembered.
    encoder.catch(() => {
      encoder = undefined
    })
  }
  return encoder
}

/** Encodes RGBA pixels as a lossy WebP (quality 85, like a typical hosted render). @internal */
export const encodeWebp = async (pixels: {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
}): Promise<Uint8Array> => {
  const codec = await getEncoder()
  const data = new Uint8ClampedArray(pixels.data.buffer, pixels.data.byteOffset, pixels.width * pixels.height * 4)
  return new Uint8Array(await codec.encode({ data, width: pixels.width, height: pixels.height, colorSpace: "srgb" }, { quality: 85 }))
}
