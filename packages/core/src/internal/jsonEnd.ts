/**
 * Where one JSON value ends in a body read part by part: a byte scanner that tracks nesting depth and knows
 * strings and their escapes, so that a JSON answer can be decided as soon as its value is whole, without
 * waiting for the end of a response that a server (or a proxy holding keep-alive) never ends.
 *
 * It does not validate: it only says when no byte that may still come can change what the body is. Past
 * that point a valid value can only be followed by white space, so the text read so far parses exactly as
 * the whole body would if the rest were white space, and fails to parse if it is anything else; the caller
 * parses the text so far (the parser is the judge of validity). The one difference from reading the whole
 * body: anything after the value that comes in a later read is never seen (`{"a":1}` then, later, `x` is
 * taken as the value; in one read it is refused). A body that is not JSON may be declared whole early
 * (`{]`) or never (`{`, until it ends or passes the caller's bound): either way the parser refuses it, as
 * it would have refused the whole.
 *
 * - before the value: white space and the bytes of a UTF-8 byte order mark are passed over;
 * - an object or array is whole at the bracket that closes its first one (depth back to 0), brackets
 *   inside strings not counted;
 * - a string is whole at its closing quote (a quote after an odd run of backslashes is escaped);
 * - any other value (a number, `true`, `false`, `null`, or garbage) is whole at the first byte that cannot
 *   continue it: white space or one of `{ } [ ] " , :`. A number at the very end of the body is not whole
 *   until the body ends (`4` may yet be `42`).
 *
 * Bytes are scanned as bytes: every byte the scanner looks at is ASCII, and no byte of a multi-byte UTF-8
 * sequence is below 0x80, so a part may split a character anywhere.
 *
 * @internal
 */

/** Where the scanner is. */
const Phase = {
  /** Before the value: white space, a byte order mark. */
  Lead: 0,
  /** Inside an object, an array or a string (`depth` open brackets, `inString`). */
  Nested: 1,
  /** A number or literal (or garbage) that is the whole value. */
  Scalar: 2,
  /** The value is whole. */
  Whole: 3
} as const
type Phase = (typeof Phase)[keyof typeof Phase]

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d

/** The bytes of a UTF-8 byte order mark, which a body may open with. */
const isMarkByte = (byte: number) => byte === 0xef || byte === 0xbb || byte === 0xbf

/** A byte that cannot continue a number or literal. */
const endsScalar = (byte: number) =>
  isSpace(byte) || byte === OPEN_BRACE || byte === CLOSE_BRACE || byte === OPEN_BRACKET || byte === CLOSE_BRACKET ||
  byte === QUOTE || byte === COMMA || byte === COLON

/**
 * A scanner over one body: feed it the parts in order; {@link JsonEnd.push} answers whether the value is
 * whole with the bytes fed so far (and stays so: later parts are not looked at).
 *
 * @internal
 */
export class JsonEnd {
  private phase: Phase = Phase.Lead
  /** Open brackets (a string that is the whole value: 0). */
  private depth = 0
  private inString = false
  /** Inside a string, after a backslash: the next byte is escaped. */
  private escaped = false

  /** Whether the value was whole in the bytes fed so far. */
  get whole(): boolean {
    return this.phase === Phase.Whole
  }

  /** Feeds the next part of the body; answers whether the value is whole with it. */
  push(part: Uint8Array): boolean {
    let { depth, escaped, inString, phase } = this
    const n = part.length
    let i = 0
    while (i < n && phase !== Phase.Whole) {
      if (phase === Phase.Lead) {
        const byte = part[i++]!
        if (isSpace(byte) || isMarkByte(byte)) continue
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          phase = Phase.Nested
          depth = 1
        } else if (byte === QUOTE) {
          phase = Phase.Nested
          depth = 0
          inString = true
        } else {
          phase = Phase.Scalar
        }
      } else if (phase === Phase.Scalar) {
        if (endsScalar(part[i++]!)) phase = Phase.Whole
      } else if (inString) {
        // to the closing quote in one loop: strings are most of a body's bytes
        for (; i < n; i++) {
          const byte = part[i]!
          if (escaped) {
            escaped = false
          } else if (byte === BACKSLASH) {
            escaped = true
          } else if (byte === QUOTE) {
            i++
            inString = false
            if (depth === 0) phase = Phase.Whole
            break
          }
        }
      } else {
        const byte = part[i++]!
        if (byte === QUOTE) inString = true
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++
        else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) phase = Phase.Whole
      }
    }
    this.depth = depth
    this.escaped = escaped
    this.inString = inString
    this.phase = phase
    return phase === Phase.Whole
  }
}
