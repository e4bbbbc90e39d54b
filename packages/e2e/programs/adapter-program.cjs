// The promise adapter from CommonJS: require() works and one image completes.
const { SogniClient } = require("@effect-sogni/client")

const main = async () => {
  const sogni = await SogniClient.createInstance({
    appId: "e2e-adapter-cjs",
    apiKey: process.env.SOGNI_API_KEY,
    restEndpoint: process.env.SOGNI_REST_ENDPOINT,
    socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT,
    network: "fast",
    logLevel: "silent"
  })
  await sogni.projects.waitForModels()
  const project = await sogni.projects.create({
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a lantern in the snow",
    numberOfMedia: 1,
    steps: 4,
    tokenType: "spark"
  })
  const urls = await project.waitForCompletion()
  console.log(`RESULT ${JSON.stringify({ urls: urls.length })}`)
  await sogni.dispose()
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
