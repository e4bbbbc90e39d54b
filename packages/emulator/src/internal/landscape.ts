/**
 * Procedural landscapes: the emulator's "renders". Each picture is a pure function of (prompt, seed,
 * width, height): a sky gradient whose palette comes from a hash of the prompt, a sun or moon, a few soft
 * cloud bands, four layers of mountains that fade into the haze, and a lake that mirrors the sky on some
 * seeds. PNG through `pngjs`, JPEG through `jpeg-js` here; WebP in `webp.ts` (asynchronous wasm codec).
 *
 * @internal
 */
import jpeg from "jpeg-js"
import { PNG } from "pngjs"

/** The largest edge the emulator renders; bigger requests are scaled down proportionally. @internal */
export const MAX_EDGE = 1024

/** 32-bit FNV-1a hash of a string. @internal */
export const hashString = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: a small deterministic PRNG in [0, 1). @internal */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type RGB = readonly [number, number, number]

const hsl = (h: number, s: number, l: number): RGB => {
  const hue = ((h % 360) + 360) % 360
  const c = (1 - Math.abs(2 * l - 1)) * s
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1))
  const m = l - c / 2
  const [r, g, b] = hue < 60
    ? [c, x, 0]
    : hue < 120
    ? [x, c, 0]
    : hue < 180
    ? [0, c, x]
    : hue < 240
    ? [0, x, c]
    : hue < 300
    ? [x, 0, c]
    : [c, 0, x]
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255]
}

const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v)

/** Output size after applying {@link MAX_EDGE}. @internal */
export const renderSize = (
  width: number,
  height: number,
  maxEdge: number = MAX_EDGE
): { readonly width: number; readonly height: number } => {
  const w = Math.max(16, Math.round(width))
  const h = Math.max(16, Math.round(height))
  const scale = Math.min(1, maxEdge / Math.max(w, h))
  return { width: Math.max(16, Math.round(w * scale)), height: Math.max(16, Math.round(h * scale)) }
}

/** What a picture depends on. @internal */
export interface SceneSpec {
  readonly prompt: string
  readonly seed: number
  readonly width: number
  readonly height: number
  /** A colour (e.g. the mean colour of an uploaded starting image) blended over the whole scene. */
  readonly tint?: { readonly rgb: readonly [number, number, number]; readonly amount: number } | undefined
}

/**
 * Renders the RGBA pixels of a scene at its {@link renderSize} (`maxEdge` caps the longest edge; video
 * panoramas pass a larger cap).
 *
 * @internal
 */
export const renderPixels = (
  spec: SceneSpec,
  maxEdge: number = MAX_EDGE
): { readonly width: number; readonly height: number; readonly data: Buffer } => {
  const { height, width } = renderSize(spec.width, spec.height, maxEdge)
  const promptHash = hashString(spec.prompt.trim().toLowerCase())
  const rand = prng(promptHash ^ Math.imul(spec.seed >>> 0, 0x9e3779b1))
  const palette = prng(promptHash)

  // Palette from the prompt: a base hue and a time of day.
  const baseHue = palette() * 360
  const timeOfDay = Math.floor(palette() * 4) // 0 dawn, 1 day, 2 dusk, 3 night
  const skyTop: RGB = timeOfDay === 3
    ? hsl(baseHue + 200, 0.55, 0.08)
    : timeOfDay === 1
    ? hsl(200 + (baseHue % 30), 0.65, 0.45)
    : hsl(baseHue + 230, 0.5, 0.3)
  const skyHorizon: RGB = timeOfDay === 3
    ? hsl(baseHue + 230, 0.45, 0.25)
    : timeOfDay === 1
    ? hsl(190 + (baseHue % 20), 0.55, 0.82)
    : hsl(baseHue + 20, 0.85, 0.66)
  const sunColor: RGB = timeOfDay === 3 ? [235, 235, 220] : timeOfDay === 1 ? [255, 250, 225] : hsl(baseHue + 35, 1, 0.72)
  const mountainBase: RGB = hsl(baseHue + 180 + palette() * 60, 0.35, timeOfDay === 3 ? 0.1 : 0.22)

  // Layout from the seed.
  const horizon = 0.55 + rand() * 0.15
  const sunX = 0.15 + rand() * 0.7
  const sunY = horizon * (0.25 + rand() * 0.45)
  const sunR = 0.035 + rand() * 0.03
  const hasLake = rand() < 0.45
  const lakeLevel = hasLake ? horizon + 0.12 + rand() * 0.06 : 2

  const layers = 4
  const ridges: Float32Array[] = []
  for (let l = 0; l < layers; l++) {
    const ridge = new Float32Array(width)
    const depth = l / (layers - 1) // 0 far, 1 near
    const base = horizon - 0.22 + depth * 0.2 + rand() * 0.05
    const amp = 0.05 + (1 - depth) * 0.12 + rand() * 0.05
    const waves = [0, 1, 2, 3].map((k) => ({
      freq: (0.8 + rand() * 1.4) * (k + 1) * (1 + depth * 0.6),
      phase: rand() * Math.PI * 2,
      weight: 1 / (k + 1.3)
    }))
    for (let x = 0; x < width; x++) {
      const u = x / width
      let v = 0
      for (const w of waves) v += Math.sin(u * w.freq * Math.PI * 2 + w.phase) * w.weight
      // Sharper peaks: fold the sum.
      ridge[x] = (base - amp * v * 0.8) * height
    }
    ridges.push(ridge)
  }
  const layerColors: RGB[] = []
  for (let l = 0; l < layers; l++) {
    const haze = 1 - l / (layers - 1)
    layerColors.push(mix(mountainBase, skyHorizon, haze * 0.75))
  }
  const clouds = Array.from({ length: 3 + Math.floor(rand() * 3) }, () => ({
    y: (0.08 + rand() * (horizon - 0.2)) * height,
    thickness: (0.01 + rand() * 0.025) * height,
    phase: rand() * 10,
    freq: 2 + rand() * 4,
    alpha: timeOfDay === 3 ? 0.12 : 0.35 + rand() * 0.3
  }))
  const cloudColor: RGB = timeOfDay === 3 ? [90, 90, 120] : mix([255, 255, 255], sunColor, 0.3)
  const stars = timeOfDay === 3
    ? Array.from({ length: Math.floor((width * height) / 2500) }, () => ({
      x: Math.floor(rand() * width),
      y: Math.floor(rand() * height * horizon),
      b: 120 + rand() * 135
    }))
    : []

  const data = Buffer.alloc(width * height * 4)
  const sunPx = sunX * width
  const sunPy = sunY * height
  const sunRadius = sunR * Math.min(width, height) * 1.6
  const skyColor = (y: number, x: number): RGB => {
    const t = clamp01(y / (horizon * height))
    let c = mix(skyTop, skyHorizon, Math.pow(t, 1.4))
    const dx = x - sunPx
    const dy = y - sunPy
    const d = Math.sqrt(dx * dx + dy * dy)
    const glow = Math.exp(-d / (sunRadius * 4)) * (timeOfDay === 3 ? 0.25 : 0.6)
    c = mix(c, sunColor, glow)
    if (d < sunRadius) c = mix(sunColor, [255, 255, 255], 0.2 * (1 - d / sunRadius))
    for (const cl of clouds) {
      const edge = cl.y + Math.sin((x / width) * cl.freq * Math.PI + cl.phase) * cl.thickness * 0.5
      const dist = Math.abs(y - edge) / cl.thickness
      if (dist < 1) c = mix(c, cloudColor, cl.alpha * (1 - dist * dist))
    }
    return c
  }

  const lakeTop = lakeLevel * height
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c: RGB
      if (y >= lakeTop) {
        // Reflection of the scene above the waterline, darkened and rippled.
        const mirrorY = Math.max(0, 2 * lakeTop - y)
        const ripple = Math.sin(y * 0.9 + x * 0.05) * 2
        const mx = Math.min(width - 1, Math.max(0, Math.round(x + ripple)))
        c = sceneAt(mirrorY, mx)
        c = mix(c, skyTop, 0.35)
      } else {
        c = sceneAt(y, x)
      }
      if (spec.tint !== undefined) c = mix(c, spec.tint.rgb, spec.tint.amount)
      const i = (y * width + x) * 4
      data[i] = c[0]
      data[i + 1] = c[1]
      data[i + 2] = c[2]
      data[i + 3] = 255
    }
  }
  for (const s of stars) {
    const i = (s.y * width + s.x) * 4
    if (s.y < ridges[0]![s.x]!) {
      data[i] = data[i + 1] = data[i + 2] = Math.max(data[i]!, s.b)
    }
  }
  return { width, height, data }

  function sceneAt(y: number, x: number): RGB {
    for (let l = layers - 1; l >= 0; l--) {
      const top = ridges[l]![x]!
      if (y >= top) {
        const shade = clamp01((y / height - horizon + 0.25) * 1.2)
        return mix(layerColors[l]!, [0, 0, 0], shade * 0.45 * (l / layers))
      }
    }
    return skyColor(y, x)
  }
}

/** Encoded image bytes and their content type. @internal */
export interface EncodedImage {
  readonly bytes: Buffer
  readonly contentType: string
  readonly width: number
  readonly height: number
}

/**
 * Encodes a scene as `png` (default) or `jpg`/`jpeg`. WebP goes through `encodeSceneWebp` (webp.ts),
 * which is asynchronous.
 *
 * @internal
 */
export const encodeScene = (spec: SceneSpec, format: string): EncodedImage => encodePixels(renderPixels(spec), format)

/** Encodes RGBA pixels as `png` (default) or `jpg`/`jpeg`. @internal */
export const encodePixels = (
  pixels: { readonly width: number; readonly height: number; readonly data: Buffer },
  format: string
): EncodedImage => {
  if (format === "jpg" || format === "jpeg") {
    const out = jpeg.encode({ data: pixels.data, width: pixels.width, height: pixels.height }, 90)
    return { bytes: Buffer.from(out.data), contentType: "image/jpeg", width: pixels.width, height: pixels.height }
  }
  const png = new PNG({ width: pixels.width, height: pixels.height })
  pixels.data.copy(png.data)
  return {
    bytes: PNG.sync.write(png, { colorType: 2 }),
    contentType: "image/png",
    width: pixels.width,
    height: pixels.height
  }
}
