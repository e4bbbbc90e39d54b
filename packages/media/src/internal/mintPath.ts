/**
 * The path and query of a result or preview URL mint (`GET /v1/image/downloadUrl`,
 * `/v1/media/downloadUrl`), written as one string in the order and encoding `URLSearchParams` gives a
 * query object: a query object went through a `URLSearchParams` per mint (about 1.6 KB of allocation
 * each, 800 of them in a burst when 200 projects end together).
 *
 * @internal
 */

/** Characters `URLSearchParams` writes as they are (application/x-www-form-urlencoded). */
const plainQueryValue = /^[A-Za-z0-9*._-]*$/

/** Encoded values other than plain ones, by value (content types, the odd id): a few, bounded. */
const encodedQueryValues = new Map<string, string>()
const encodedQueryValuesLimit = 64

/**
 * A query value as `URLSearchParams` writes it: plain values (ids, `complete`) as they are, others
 * through `URLSearchParams` itself (the same encoding), remembered for the next time while few.
 */
export const queryValue = (value: string): string => {
  if (plainQueryValue.test(value)) return value
  const known = encodedQueryValues.get(value)
  if (known !== undefined) return known
  const encoded = new URLSearchParams([["v", value]]).toString().slice(2)
  if (encodedQueryValues.size < encodedQueryValuesLimit) encodedQueryValues.set(value, encoded)
  return encoded
}

/**
 * `/v1/image/downloadUrl?jobId=…&imageId=…&type=…[&contentType=…]` for an image (or any preview),
 * `/v1/media/downloadUrl?jobId=…&id=…&type=…[&contentType=…]` otherwise.
 */
export const mintPath = (
  imagePath: boolean,
  projectId: string,
  imgID: string,
  type: "complete" | "preview",
  contentType: string | undefined
): string =>
  (imagePath ? "/v1/image/downloadUrl?jobId=" : "/v1/media/downloadUrl?jobId=") + queryValue(projectId) +
  (imagePath ? "&imageId=" : "&id=") + queryValue(imgID) + "&type=" + type +
  (contentType ? "&contentType=" + queryValue(contentType) : "")
