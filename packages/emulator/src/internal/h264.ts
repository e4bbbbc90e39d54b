/**
 * A tiny H.264 (Baseline profile, CAVLC) encoder for the emulator's videos. It never transforms or
 * quantizes anything: intra pictures are made of I_PCM macroblocks (raw YUV 4:2:0 samples), and the
 * inter pictures of a horizontal pan are P_L0_16x16 macroblocks that copy the previous picture shifted by
 * an integer motion vector, with no residual, plus one column of I_PCM macroblocks for the strip of
 * scenery that enters at the right edge. Decoding is therefore exact: every decoded picture is the
 * window of the panorama it was cut from.
 *
 * Only what that needs is written: one SPS (with VUI timing and bitstream restrictions), one PPS, one
 * slice per picture, deblocking switched off, picture order type 2 (output order = decoding order).
 *
 * @internal
 */

/** A bit writer for RBSP data with Exp-Golomb codes. @internal */
export class BitWriter {
  private buf = new Uint8Array(1024)
  private length = 0
  private acc = 0
  private bits = 0

  private ensure(extra: number) {
    if (this.length + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  /** Writes the `n` (≤ 24) low bits of `value`, most significant first. */
  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1)
      this.bits++
      if (this.bits === 8) {
        this.ensure(1)
        this.buf[this.length++] = this.acc
        this.acc = 0
        this.bits = 0
      }
    }
    return this
  }

  /** A 32-bit unsigned value. */
  u32(value: number): this {
    return this.u(16, (value >>> 16) & 0xffff).u(16, value & 0xffff)
  }

  /** Unsigned Exp-Golomb `ue(v)`. */
  ue(value: number): this {
    const v = value + 1
    const width = 32 - Math.clz32(v)
    this.u(width - 1, 0)
    return this.u(width, v)
  }

  /** Signed Exp-Golomb `se(v)`. */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value)
  }

  get aligned(): boolean {
    return this.bits === 0
  }

  /** Zero bits up to the next byte boundary. */
  alignZero(): this {
    while (this.bits !== 0) this.u(1, 0)
    return this
  }

  /** Raw bytes (the writer must be byte-aligned). */
  bytes(data: Uint8Array): this {
    if (this.bits !== 0) throw new Error("BitWriter.bytes needs byte alignment")
    this.ensure(data.length)
    this.buf.set(data, this.length)
    this.length += data.length
    return this
  }

  /** `rbsp_trailing_bits()`: a one, then zeros to the byte boundary. */
  trailing(): this {
    this.u(1, 1)
    return this.alignZero()
  }

  finish(): Uint8Array {
    if (this.bits !== 0) throw new Error("BitWriter.finish needs byte alignment")
    return this.buf.slice(0, this.length)
  }
}

/** NAL unit types used here. @internal */
export const NalType = { slice: 1, idr: 5, sps: 7, pps: 8 } as const

/**
 * Wraps an RBSP in a NAL unit (header byte plus emulation-prevention bytes), without a start code.
 *
 * @internal
 */
export const nalUnit = (type: number, refIdc: number, rbsp: Uint8Array): Uint8Array => {
  const out = new Uint8Array(1 + rbsp.length + (rbsp.length >> 1) + 2)
  out[0] = ((refIdc & 3) << 5) | (type & 31)
  let n = 1
  let zeros = 0
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i]!
    if (zeros >= 2 && b <= 3) {
      out[n++] = 3
      zeros = 0
    }
    out[n++] = b
    zeros = b === 0 ? zeros + 1 : 0
  }
  return out.slice(0, n)
}

/** Planar YUV 4:2:0 picture (limited range, BT.601). @internal */
export interface YuvImage {
  readonly width: number
  readonly height: number
  readonly y: Uint8Array
  /** `width/2 × height/2` each. */
  readonly u: Uint8Array
  readonly v: Uint8Array
}

const clampByte = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : Math.round(v))

/**
 * Converts RGBA pixels (even width and height) to limited-range BT.601 YUV 4:2:0.
 *
 * @internal
 */
export const rgbaToYuv = (width: number, height: number, rgba: Uint8Array): YuvImage => {
  if (width % 2 !== 0 || height % 2 !== 0) throw new Error(`rgbaToYuv needs even sizes (got ${width}x${height})`)
  const y = new Uint8Array(width * height)
  const cw = width / 2
  const ch = height / 2
  const u = new Uint8Array(cw * ch)
  const v = new Uint8Array(cw * ch)
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = (row * width + col) * 4
      const r = rgba[i]!
      const g = rgba[i + 1]!
      const b = rgba[i + 2]!
      y[row * width + col] = clampByte(16 + 0.257 * r + 0.504 * g + 0.098 * b, 16, 235)
    }
  }
  for (let row = 0; row < ch; row++) {
    for (let col = 0; col < cw; col++) {
      let r = 0
      let g = 0
      let b = 0
      const top = (row * 2 * width + col * 2) * 4
      for (const i of [top, top + 4, top + width * 4, top + width * 4 + 4]) {
        r += rgba[i]!
        g += rgba[i + 1]!
        b += rgba[i + 2]!
      }
      r /= 4
      g /= 4
      b /= 4
      u[row * cw + col] = clampByte(128 - 0.148 * r - 0.291 * g + 0.439 * b, 16, 240)
      v[row * cw + col] = clampByte(128 + 0.439 * r - 0.368 * g - 0.071 * b, 16, 240)
    }
  }
  return { width, height, y, u, v }
}

/** What the panning encoder produces. @internal */
export interface EncodedStream {
  /** SPS and PPS NAL units (no start codes), for `avcC`. */
  readonly sps: Uint8Array
  readonly pps: Uint8Array
  /** One access unit per picture: NAL units, each prefixed with its 4-byte big-endian length. */
  readonly samples: ReadonlyArray<Uint8Array>
  /** Whether each sample is an IDR picture (a sync sample). */
  readonly sync: ReadonlyArray<boolean>
  /** Coded size (multiples of 16) and displayed size (after cropping). */
  readonly codedWidth: number
  readonly codedHeight: number
  readonly width: number
  readonly height: number
}

/** Options of {@link encodePan}. @internal */
export interface PanOptions {
  /** The scenery, at least `width + pan × (frames − 1)` wide and `codedHeight` tall (even sizes). */
  readonly panorama: YuvImage
  /** Displayed size: width a multiple of 16, height even. */
  readonly width: number
  readonly height: number
  readonly frames: number
  /** Frames per second (VUI timing). */
  readonly fps: number
  /** Pixels the camera moves right per frame: an even number in 0..16. */
  readonly pan: number
  /** An IDR picture every `gop` frames. */
  readonly gop: number
}

const LOG2_MAX_FRAME_NUM = 16
const PROFILE_BASELINE = 66
const CONSTRAINT_FLAGS = 0xc0 // constraint_set0 and constraint_set1: Constrained Baseline
const LEVEL = 30

const writeSps = (o: {
  readonly mbWidth: number
  readonly mbHeight: number
  readonly cropBottom: number
  readonly fps: number
}): Uint8Array => {
  const w = new BitWriter()
  w.u(8, PROFILE_BASELINE).u(8, CONSTRAINT_FLAGS).u(8, LEVEL)
  w.ue(0) // seq_parameter_set_id
  w.ue(LOG2_MAX_FRAME_NUM - 4)
  w.ue(2) // pic_order_cnt_type: output order follows decoding order
  w.ue(1) // max_num_ref_frames
  w.u(1, 0) // gaps_in_frame_num_value_allowed_flag
  w.ue(o.mbWidth - 1)
  w.ue(o.mbHeight - 1)
  w.u(1, 1) // frame_mbs_only_flag
  w.u(1, 1) // direct_8x8_inference_flag
  if (o.cropBottom > 0) {
    w.u(1, 1).ue(0).ue(0).ue(0).ue(o.cropBottom / 2) // crop units are 2 luma rows in 4:2:0
  } else {
    w.u(1, 0)
  }
  w.u(1, 1) // vui_parameters_present_flag
  w.u(1, 0) // aspect_ratio_info_present_flag
  w.u(1, 0) // overscan_info_present_flag
  w.u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(8, 6).u(8, 6).u(8, 6) // video signal: unspecified format, limited range, BT.601
  w.u(1, 0) // chroma_loc_info_present_flag
  w.u(1, 1).u32(1).u32(o.fps * 2).u(1, 1) // timing: fps = time_scale / (2 · num_units_in_tick), fixed
  w.u(1, 0).u(1, 0) // no NAL / VCL HRD parameters
  w.u(1, 0) // pic_struct_present_flag
  w.u(1, 1) // bitstream_restriction_flag
  w.u(1, 1).ue(0).ue(0).ue(16).ue(16) // mvs over boundaries, no byte/bit caps, mv lengths
  w.ue(0) // max_num_reorder_frames: output at once
  w.ue(1) // max_dec_frame_buffering
  return nalUnit(NalType.sps, 3, w.trailing().finish())
}

const writePps = (): Uint8Array => {
  const w = new BitWriter()
  w.ue(0) // pic_parameter_set_id
  w.ue(0) // seq_parameter_set_id
  w.u(1, 0) // entropy_coding_mode_flag: CAVLC
  w.u(1, 0) // bottom_field_pic_order_in_frame_present_flag
  w.ue(0) // num_slice_groups_minus1
  w.ue(0) // num_ref_idx_l0_default_active_minus1
  w.ue(0) // num_ref_idx_l1_default_active_minus1
  w.u(1, 0) // weighted_pred_flag
  w.u(2, 0) // weighted_bipred_idc
  w.se(0) // pic_init_qp_minus26
  w.se(0) // pic_init_qs_minus26
  w.se(0) // chroma_qp_index_offset
  w.u(1, 1) // deblocking_filter_control_present_flag
  w.u(1, 0) // constrained_intra_pred_flag
  w.u(1, 0) // redundant_pic_cnt_present_flag
  return nalUnit(NalType.pps, 3, w.trailing().finish())
}

/** mb_type of I_PCM: 25 in an I slice, 5 + 25 in a P slice. */
const I_PCM_IN_I = 25
const I_PCM_IN_P = 30

/** Neighbour states for motion-vector prediction. */
const OUTSIDE = 0
const INTRA = 1
const INTER = 2

/**
 * One component of the motion-vector predictor of a 16×16 partition with reference index 0 (H.264
 * §8.4.1.3), from the neighbours A (left), B (above) and C (above-right, or above-left when C lies
 * outside the picture): their states and that component of their vectors.
 */
const predictMv = (sa: number, a: number, sb: number, b: number, sc: number, c: number): number => {
  if (sb === OUTSIDE && sc === OUTSIDE && sa !== OUTSIDE) {
    sb = sa
    sc = sa
    b = a
    c = a
  }
  // Outside or intra neighbours count as reference index −1 with a zero vector.
  const va = sa === INTER ? a : 0
  const vb = sb === INTER ? b : 0
  const vc = sc === INTER ? c : 0
  const matches = (sa === INTER ? 1 : 0) + (sb === INTER ? 1 : 0) + (sc === INTER ? 1 : 0)
  if (matches === 1) return sa === INTER ? va : sb === INTER ? vb : vc
  return Math.max(Math.min(va, vb), Math.min(Math.max(va, vb), vc))
}

const withLength = (nals: ReadonlyArray<Uint8Array>): Uint8Array => {
  const size = nals.reduce((n, nal) => n + 4 + nal.length, 0)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  for (const nal of nals) {
    view.setUint32(at, nal.length)
    out.set(nal, at + 4)
    at += 4 + nal.length
  }
  return out
}

/**
 * Encodes a camera pan over a panorama: picture `t` is the window starting `pan × t` pixels from the
 * panorama's left edge.
 *
 * @internal
 */
export const encodePan = (options: PanOptions): EncodedStream => {
  const { fps, frames, gop, height, pan, panorama, width } = options
  if (width % 16 !== 0 || height % 2 !== 0 || width < 32 || height < 32) {
    throw new Error(`encodePan: width must be a multiple of 16 and height even, both ≥ 32 (got ${width}x${height})`)
  }
  if (pan % 2 !== 0 || pan < 0 || pan > 16) throw new Error(`encodePan: pan must be even and in 0..16 (got ${pan})`)
  const mbWidth = width / 16
  const mbHeight = Math.ceil(height / 16)
  const codedHeight = mbHeight * 16
  if (panorama.height < codedHeight || panorama.width < width + pan * (frames - 1)) {
    throw new Error("encodePan: the panorama is too small for the requested pan")
  }
  const sps = writeSps({ mbWidth, mbHeight, cropBottom: codedHeight - height, fps })
  const pps = writePps()
  const pw = panorama.width
  const cpw = pw / 2
  const pcm = new Uint8Array(384)
  const fillPcm = (x0: number, mbx: number, mby: number) => {
    const px = x0 + mbx * 16
    const py = mby * 16
    let n = 0
    for (let y = 0; y < 16; y++) {
      const row = (py + y) * pw + px
      for (let x = 0; x < 16; x++) pcm[n++] = panorama.y[row + x]!
    }
    for (const plane of [panorama.u, panorama.v]) {
      for (let y = 0; y < 8; y++) {
        const row = (py / 2 + y) * cpw + px / 2
        for (let x = 0; x < 8; x++) pcm[n++] = plane[row + x]!
      }
    }
  }
  // In a P picture every inter macroblock carries the same vector and the last column is intra, so a
  // neighbour's state follows from its position alone.
  const state = (x: number, y: number) => x < 0 || y < 0 || x >= mbWidth ? OUTSIDE : x === mbWidth - 1 ? INTRA : INTER
  const samples: Uint8Array[] = []
  const sync: boolean[] = []
  let idrCount = 0
  let frameNum = 0
  const mv: readonly [number, number] = [pan * 4, 0] // quarter-sample units
  for (let t = 0; t < frames; t++) {
    const x0 = pan * t
    const idr = t % gop === 0
    const w = new BitWriter()
    w.ue(0) // first_mb_in_slice
    w.ue(idr ? 7 : 5) // slice_type: I or P (all slices of the picture have this type)
    w.ue(0) // pic_parameter_set_id
    if (idr) frameNum = 0
    w.u(LOG2_MAX_FRAME_NUM, frameNum)
    if (idr) {
      w.ue(idrCount++ & 0xffff) // idr_pic_id
      w.u(1, 0).u(1, 0) // no_output_of_prior_pics_flag, long_term_reference_flag
    } else {
      w.u(1, 0) // num_ref_idx_active_override_flag
      w.u(1, 0) // ref_pic_list_modification_flag_l0
      w.u(1, 0) // adaptive_ref_pic_marking_mode_flag
    }
    w.se(0) // slice_qp_delta
    w.ue(1) // disable_deblocking_filter_idc
    for (let mby = 0; mby < mbHeight; mby++) {
      for (let mbx = 0; mbx < mbWidth; mbx++) {
        const intra = idr || mbx === mbWidth - 1
        if (!idr) w.ue(0) // mb_skip_run
        if (intra) {
          w.ue(idr ? I_PCM_IN_I : I_PCM_IN_P)
          w.alignZero()
          fillPcm(x0, mbx, mby)
          w.bytes(pcm)
        } else {
          const sa = state(mbx - 1, mby)
          const sb = state(mbx, mby - 1)
          // C is the above-right neighbour, or the above-left one when C lies outside the picture.
          const sc = mby > 0 && mbx + 1 < mbWidth ? state(mbx + 1, mby - 1) : state(mbx - 1, mby - 1)
          w.ue(0) // mb_type P_L0_16x16 (one reference: no ref_idx)
          w.se(mv[0] - predictMv(sa, mv[0], sb, mv[0], sc, mv[0]))
          w.se(mv[1] - predictMv(sa, mv[1], sb, mv[1], sc, mv[1]))
          w.ue(0) // coded_block_pattern 0 (inter mapping): no residual, no mb_qp_delta
        }
      }
    }
    w.trailing()
    samples.push(withLength([nalUnit(idr ? NalType.idr : NalType.slice, idr ? 3 : 2, w.finish())]))
    sync.push(idr)
    frameNum = (frameNum + 1) % (1 << LOG2_MAX_FRAME_NUM)
  }
  return { sps, pps, samples, sync, codedWidth: width, codedHeight, width, height }
}
