/**
 * Connection attribution (socket.md §2): the official client's normalisation (trim, drop what breaks a
 * rule) and where the fields land on the connection URL.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import { Attribution, SogniConfig, SogniSocket } from "../src/index.js"

describe("Attribution", () => {
  it("keeps valid fields trimmed and drops the ones that break a rule", () => {
    const input = {
      interactionKind: " external_agent ",
      agentFramework: "claude-code",
      agentFrameworkVersion: "v1",
      agentSurface: "cli",
      agentSurfaceVersion: "2.1.0+build_7",
      executionMode: "somewhere"
    }
    assert.deepStrictEqual(Attribution.normalizeConnection(input), {
      interactionKind: "external_agent",
      agentFramework: "claude-code",
      agentSurface: "cli",
      agentSurfaceVersion: "2.1.0+build_7"
    })
    assert.deepStrictEqual(
      Attribution.connectionProblems(input).map((p) => p.field),
      ["agentFrameworkVersion", "executionMode"]
    )
    assert.deepStrictEqual(Attribution.normalizeConnection({ agentFramework: "x".repeat(129) }), {})
    assert.deepStrictEqual(Attribution.normalizeConnection({ agentFramework: "bad\u0007name" }), {})
    assert.deepStrictEqual(Attribution.normalizeConnection(null), {})
  })

  it("goes on the connection URL after appSource, before the subscriptions", () => {
    const settings = SogniConfig.make({
      appId: "agent-1",
      appSource: "my-app",
      socketEndpoint: "ws://127.0.0.1:1",
      connectionAttribution: { interactionKind: "service", executionMode: "server" }
    })
    assert.isTrue(Option.isSome(settings.appSource))
    const url = new URL(SogniSocket.connectionUrl(settings, { appAlert: true }))
    assert.deepStrictEqual([...url.searchParams.keys()], [
      "appId",
      "appSource",
      "interactionKind",
      "executionMode",
      "socketEventSubscriptions",
      "clientName",
      "clientType",
      "forceWorkerId"
    ])
    assert.strictEqual(url.searchParams.get("interactionKind"), "service")
    const plain = new URL(SogniSocket.connectionUrl(SogniConfig.make({ appId: "a", socketEndpoint: "ws://127.0.0.1:1" }), {}))
    assert.isNull(plain.searchParams.get("interactionKind"))
  })
})
