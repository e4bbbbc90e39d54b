// A program that logs out without disposing the client and must then exit on its own: nothing the client
// started may keep the process alive (no `dispose`, as in the official client's examples). Run by
// test/LogoutExit.test.ts in one of three cases (`SOGNI_CASE`):
// - "project": an image project runs to its end, then the logout;
// - "refused": the key is refused (the project fails at once), then the logout;
// - "silent": the REST host never answers; the account read the API key starts is in flight at the logout.
import { SogniClient } from "../../dist/index.js"

const which = process.env.SOGNI_CASE
const sogni = await SogniClient.createInstance({
  appId: process.env.SOGNI_APP_ID,
  network: "fast",
  apiKey: process.env.SOGNI_API_KEY,
  restEndpoint: process.env.SOGNI_REST_ENDPOINT,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT,
  logLevel: "error"
})
let project = "none"
if (which !== "silent") {
  if (which === "project") await sogni.projects.waitForModels()
  try {
    const p = await sogni.projects.create({ type: "image", modelId: "flux1-schnell-fp8", steps: 4, positivePrompt: "x", numberOfMedia: 1, tokenType: "spark" })
    const urls = await p.waitForCompletion()
    project = `completed ${urls.length}`
  } catch (e) {
    project = e.name
  }
}
await sogni.account.logout()
console.log(`RESULT ${JSON.stringify({ project, authenticated: sogni.account.currentAccount.isAuthenticated, disposed: sogni.disposed })}`)
