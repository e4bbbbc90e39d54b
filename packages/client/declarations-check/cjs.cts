// The CommonJS view of the same declarations (dist/index.d.cts).
import client = require("../dist/index.cjs")

export async function main(apiKey: string): Promise<number> {
  const sogni = await client.SogniClient.createInstance({ apiKey, disableSocket: true })
  const balance = await sogni.account.refreshBalance()
  const estimate = await sogni.projects.estimateVideoCost({
    tokenType: "spark",
    model: "wan_v2.2-14b-fp8_t2v_lightx2v",
    width: 512,
    height: 512,
    duration: 5,
    fps: 16,
    numberOfMedia: 1
  })
  await sogni.dispose()
  return Number(balance.spark.net) - Number(estimate.token)
}
