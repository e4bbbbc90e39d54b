/**
 * Rewards and transaction history (rest.md §3.3). Every account has a one-time welcome reward and a
 * daily reward; claiming one credits its Spark and pushes a `balanceUpdate`. The transaction list is the
 * account's finished projects (debits) and claims (credits), newest first.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { withAccount } from "./http/guard.js"
import { errorResponse, ok, schemaBody, urlOf } from "./http/response.js"
import { type AccountState, entryOf, isTerminal, pushBalance, type World } from "./state.js"

const REWARDS = [
  { id: "welcome", title: "Welcome bonus", description: "Once per account", amount: 50, every: -1 },
  { id: "daily", title: "Daily boost", description: "Once a day", amount: 5, every: 86_400 }
] as const

/** One claimed reward. @internal */
export interface RewardClaim {
  readonly id: string
  readonly amount: number
  readonly at: number
}

const claimsOf = (world: World, username: string): Array<RewardClaim> =>
  entryOf(world.rewardClaims, username, () => [])

const rewardsOf = (world: World, account: AccountState) => {
  const now = Date.now()
  return REWARDS.map((r) => {
    const last = claimsOf(world, account.username).filter((c) => c.id === r.id).at(-1)
    const canClaim = last === undefined || (r.every > 0 && now - last.at >= r.every * 1000)
    return {
      id: r.id,
      type: "instant",
      title: r.title,
      description: r.description,
      amount: String(r.amount),
      tokenType: "spark",
      claimed: last === undefined ? 0 : 1,
      canClaim: canClaim ? 1 : 0,
      cantClaimReason: canClaim ? null : "already_claimed",
      lastClaimTimestamp: last === undefined ? 0 : Math.floor(last.at / 1000),
      claimResetFrequencySec: r.every
    }
  })
}

const ClaimBody = Schema.Struct({ claims: Schema.Array(Schema.String), provider: Schema.optional(Schema.String) })

/** The reward and transaction routes. @internal */
export const rewardsRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v4/account/rewards",
      withAccount(world, (account) => Effect.succeed(ok({ rewards: rewardsOf(world, account) })))
    ),
    HttpRouter.post(
      "/v3/account/reward/claim",
      withAccount(world, (account) =>
        schemaBody(ClaimBody).pipe(
            Effect.match({
              onFailure: (response) => response,
              onSuccess: (body) => {
                const current = rewardsOf(world, account)
                for (const id of body.claims) {
                  const r = current.find((x) => x.id === id)
                  if (r === undefined) return errorResponse(404, `No reward ${id}`)
                  if (r.canClaim === 0) return errorResponse(400, `Reward ${id} cannot be claimed now (already_claimed)`)
                }
                for (const id of new Set(body.claims)) {
                  const amount = REWARDS.find((x) => x.id === id)!.amount
                  claimsOf(world, account.username).push({ id, amount, at: Date.now() })
                  account.balances.spark.credit += amount
                }
                pushBalance(world, account)
                return ok({ claimed: [...new Set(body.claims)] })
              }
            })
          ))
    ),
    HttpRouter.get(
      "/v1/transactions/list",
      withAccount(world, (account, request) =>
        Effect.sync(() => {
          const url = urlOf(request)
          const address = url.searchParams.get("address")
          if (address !== null && address.toLowerCase() !== account.walletAddress.toLowerCase()) {
            return errorResponse(403, "address is not this account's wallet")
          }
          const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get("limit") ?? 50) || 50))
          const offset = Math.max(0, Number(url.searchParams.get("offset") ?? 0) || 0)
          const base = { role: "artist", status: "completed", address: account.walletAddress, addressSID: account.addressSID }
          const all = [
            ...[...world.projects.values()]
              .filter((p) => p.account === account && isTerminal(p.status) && p.costActual > 0)
              .map((p) => ({
                ...base,
                id: `tx-${p.id}`,
                _id: `tx-${p.id}`,
                SID: p.SID,
                amount: p.costActual,
                description: `Project ${p.id} (${p.model.id})`,
                source: "project",
                sourceSID: p.SID,
                type: "debit",
                tokenType: p.tokenType,
                createTime: p.createTime,
                updateTime: p.updateTime,
                endTime: p.endTime,
                paymentModel: p.tokenType === "spark" ? "paid_spark" : "sogni"
              })),
            ...claimsOf(world, account.username).map((c, i) => ({
              ...base,
              id: `tx-claim-${i}`,
              _id: `tx-claim-${i}`,
              SID: i,
              amount: c.amount,
              description: `Reward ${c.id}`,
              source: "reward",
              sourceSID: i,
              type: "credit",
              tokenType: "spark",
              createTime: c.at,
              updateTime: c.at,
              endTime: c.at
            }))
          ].sort((a, b) => b.createTime - a.createTime)
          const page = all.slice(offset, offset + limit)
          return ok({ transactions: page, next: offset + page.length })
        }))
    )
  )
