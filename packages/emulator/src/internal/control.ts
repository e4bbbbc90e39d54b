/**
 * The in-process implementation of `EmulatorControl` over the emulator's {@link World}.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type EmulatorControl, EmulatorControlError } from "../EmulatorControl.js"
import { projectInfo } from "./records.js"
import { malformedFrame, sendRaw } from "./socket.js"
import { balancesOf, type Connection, detach, pushBalance, type World } from "./state.js"
import { setEntitlement } from "./subscriptions.js"
import { clearEventStreamDrops, dropEventStreams } from "./http/eventLog.js"

const matching = (world: World, appId: string | undefined): Connection[] => {
  if (appId !== undefined) {
    const conn = world.connections.get(appId)
    return conn === undefined ? [] : [conn]
  }
  return [...world.connections.values()]
}

/** The account a control operation names (the first account when it names none), or UnknownAccount. */
const accountNamed = (world: World, username: string | undefined) =>
  Effect.suspend(() => {
    const account = username === undefined ? world.accounts[0] : world.accountsByUsername.get(username)
    return account === undefined
      ? Effect.fail(new EmulatorControlError({ reason: "UnknownAccount", message: `No emulator account named ${username}` }))
      : Effect.succeed(account)
  })

const infoBalances = (world: World, username: string) => {
  const account = world.accountsByUsername.get(username)!
  const { sogni, spark } = balancesOf(account)
  const pick = (b: typeof spark) => ({ settled: b.settled, credit: b.credit, debit: b.debit, net: b.net })
  return { spark: pick(spark), sogni: pick(sogni) }
}

/** @internal */
export const makeControl = (world: World): EmulatorControl => ({
  dropConnection: ({ abnormal, appId, code, reason, withoutCode }) =>
    Effect.sync(() => {
      const conns = matching(world, appId)
      for (const conn of conns) {
        detach(world, conn)
        if (abnormal === true) conn.ws.terminate()
        else if (withoutCode === true) conn.ws.close()
        else conn.ws.close(code ?? 1001, reason ?? "Closed by the emulator control API")
      }
      return { dropped: conns.length }
    }),
  delayFrames: (millis) =>
    Effect.sync(() => {
      world.faults.delayMillis = Math.max(0, millis)
    }),
  duplicateFrames: (count) =>
    Effect.sync(() => {
      world.faults.duplicate = Math.max(0, count)
    }),
  sendMalformedFrame: (kind, appId) =>
    Effect.sync(() => {
      const text = malformedFrame(kind)
      let sent = 0
      for (const conn of matching(world, appId)) if (sendRaw(conn, text)) sent++
      return { sent }
    }),
  failRest: (options) =>
    Effect.sync(() => {
      world.faults.rest.push({
        remaining: options.count,
        status: options.status,
        pathPrefix: options.pathPrefix,
        retryAfterSeconds: options.retryAfterSeconds,
        errorCode: options.errorCode,
        message: options.message
      })
    }),
  setBalance: ({ amount, tokenType, username }) =>
    Effect.map(accountNamed(world, username), (account) => {
      const balance = account.balances[tokenType]
      // Keep reservations of running projects: the net becomes `amount` minus what is in flight.
      balance.settled = amount
      balance.credit = 0
      pushBalance(world, account)
      return infoBalances(world, account.username)
    }),
  listConnections: Effect.sync(() =>
    [...world.connections.values()].map((c) => ({
      connectionId: c.id,
      appId: c.appId,
      username: c.account.username,
      network: c.network,
      subscriptions: Object.fromEntries(c.subscriptions),
      connectedAt: c.connectedAt,
      attribution: c.attribution ?? {}
    }))
  ),
  listProjects: (appId) =>
    Effect.sync(() => {
      if (appId === undefined) return [...world.projects.values()].map(projectInfo)
      const out = []
      for (const id of world.projectsByApp.get(appId) ?? []) {
        const p = world.projects.get(id)
        if (p !== undefined) out.push(projectInfo(p))
      }
      return out
    }),
  getProject: (id) =>
    Effect.suspend(() => {
      const project = world.projects.get(id.toUpperCase())
      return project === undefined
        ? Effect.fail(new EmulatorControlError({ reason: "UnknownProject", message: `No project ${id}` }))
        : Effect.succeed(projectInfo(project))
    }),
  clearFaults: Effect.sync(() => {
    world.faults.delayMillis = 0
    world.faults.duplicate = 0
    world.faults.rest.length = 0
    clearEventStreamDrops(world)
  }),
  dropEventStreams: ({ afterBytes, pathPrefix }) => Effect.sync(() => dropEventStreams(world, afterBytes, pathPrefix)),
  setEntitlement: ({ entitlement, push, username }) =>
    Effect.map(accountNamed(world, username), (account) => ({ pushed: setEntitlement(world, account, entitlement, push ?? true) })),
  requestCount: (path) => Effect.sync(() => ({ count: world.requestCounts.get(path) ?? 0 }))
})
