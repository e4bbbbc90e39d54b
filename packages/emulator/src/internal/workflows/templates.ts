/**
 * Durable workflows: saved templates (`/templates`): list (own, public, all), get, create, update and
 * delete one's own, fork any visible one. `$inputs.<name>` placeholders are filled at start.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { errorResponse, type Handler, ok, urlOf } from "../http/response.js"
import type { AccountState, World } from "../state.js"
import { randomHex } from "../tokens.js"
import { intParam, withAccount, withBody } from "./http.js"
import { iso } from "./records.js"
import type { Template } from "./state.js"
import { isRecord } from "./vocabulary.js"

/** Whether the caller may see a template (its own, or public). @internal */
export const visibleTemplate = (template: Template, account: AccountState) =>
  template.owner === account.username || template.body["visibility"] === "public"

const renderTemplate = (template: Template) => ({
  ...template.body,
  id: template.id,
  createdAt: template.body["createdAt"] ?? iso(template.createdAt),
  updatedAt: iso(template.updatedAt)
})

const templateProblem = (body: Record<string, unknown>, partial: boolean): string | undefined => {
  const name = body["name"]
  if ((!partial || name !== undefined) && (typeof name !== "string" || name.trim().length === 0)) {
    return "name must be a non-empty string"
  }
  const visibility = body["visibility"]
  if (visibility !== undefined && visibility !== "private" && visibility !== "public" && visibility !== "team") {
    return "visibility must be private, public or team"
  }
  const inputs = body["inputs"]
  if (inputs !== undefined) {
    if (!Array.isArray(inputs)) return "inputs must be an array"
    for (const [i, input] of inputs.entries()) {
      if (!isRecord(input) || typeof input["name"] !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(input["name"])) {
        return `inputs[${i}].name must be 1-64 letters, digits, _ or -`
      }
      const types = ["image", "audio", "video", "text", "number", "select", "boolean"]
      if (!types.includes(String(input["type"]))) return `inputs[${i}].type must be one of ${types.join(", ")}`
    }
  }
  if (body["stages"] !== undefined && !Array.isArray(body["stages"])) return "stages must be an array"
  return undefined
}

/** @internal */
export const listTemplates = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const url = urlOf(request)
      const visibility = url.searchParams.get("visibility") ?? "all"
      if (!["own", "public", "all"].includes(visibility)) {
        return errorResponse(400, "visibility must be own, public or all")
      }
      const limit = Math.max(1, Math.min(200, intParam(url.searchParams.get("limit")) ?? 50))
      const offset = Math.max(0, intParam(url.searchParams.get("offset")) ?? 0)
      const all = [...world.workflows.templates.values()]
        .filter((t) =>
          visibility === "own"
            ? t.owner === account.username
            : visibility === "public"
            ? t.body["visibility"] === "public"
            : visibleTemplate(t, account)
        )
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      return ok({
        templates: all.slice(offset, offset + limit).map(renderTemplate),
        next: offset + limit < all.length ? offset + limit : null
      })
    }))

/** @internal */
export const getTemplate = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const template = world.workflows.templates.get(params["templateId"] ?? "")
      return template === undefined || !visibleTemplate(template, account)
        ? errorResponse(404, `Workflow template ${params["templateId"]} not found`, { errorCode: 4004 })
        : ok({ template: renderTemplate(template) })
    }))

/** Saves a new private template of the caller (its id, author and creation time win over `fields`); 201. */
const saveNew = (world: World, account: AccountState, fields: Record<string, unknown>) => {
  const now = Date.now()
  const id = `tpl_${randomHex(6)}`
  const template: Template = {
    id,
    owner: account.username,
    createdAt: now,
    updatedAt: now,
    body: { ...fields, id, author: { userId: account.username, displayName: account.username }, createdAt: iso(now) }
  }
  world.workflows.templates.set(id, template)
  return ok({ template: renderTemplate(template) }, 201)
}

/** @internal */
export const createTemplate = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const invalid = templateProblem(body, false)
        if (invalid !== undefined) return errorResponse(400, invalid, { errorCode: 4000 })
        return saveNew(world, account, { version: "1.0.0", description: "", visibility: "private", ...body })
      })))

const ownTemplate = (world: World, account: AccountState, id: string | undefined) => {
  const template = id === undefined ? undefined : world.workflows.templates.get(id)
  if (template === undefined || !visibleTemplate(template, account)) {
    return errorResponse(404, `Workflow template ${id} not found`, { errorCode: 4004 })
  }
  if (template.owner !== account.username) {
    return errorResponse(403, `Workflow template ${id} belongs to someone else; fork it to change it`, { errorCode: 4003 })
  }
  return template
}

/** @internal */
export const updateTemplate = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const template = ownTemplate(world, account, params["templateId"])
        if (!("id" in template && "owner" in template)) return template
        const invalid = templateProblem(body, true)
        if (invalid !== undefined) return errorResponse(400, invalid, { errorCode: 4000 })
        const { author: _author, createdAt: _createdAt, id: _id, ...changes } = body
        template.body = { ...template.body, ...changes }
        template.updatedAt = Date.now()
        return ok({ template: renderTemplate(template) })
      })))

/** @internal */
export const deleteTemplate = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const template = ownTemplate(world, account, params["templateId"])
      if (!("id" in template && "owner" in template)) return template
      world.workflows.templates.delete(template.id)
      return ok({ deleted: true, id: template.id })
    }))

/** @internal */
export const forkTemplate = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const source = world.workflows.templates.get(params["templateId"] ?? "")
        if (source === undefined || !visibleTemplate(source, account)) {
          return errorResponse(404, `Workflow template ${params["templateId"]} not found`, { errorCode: 4004 })
        }
        const newName = body["newName"]
        if (newName !== undefined && (typeof newName !== "string" || newName.trim().length === 0)) {
          return errorResponse(400, "newName must be a non-empty string", { errorCode: 4000 })
        }
        return saveNew(world, account, {
          ...structuredClone(source.body),
          name: typeof newName === "string" ? newName : `${String(source.body["name"])} (fork)`,
          visibility: "private",
          forkedFrom: source.id
        })
      })))

const TEMPLATE_INPUT = /^\$inputs\.([A-Za-z0-9_-]{1,64})$/

/** Substitutes `$inputs.<name>` placeholders (whole-string values) with the resolved inputs. */
const substitute = (value: unknown, inputs: Readonly<Record<string, unknown>>): unknown => {
  if (typeof value === "string") {
    const m = TEMPLATE_INPUT.exec(value)
    return m === null ? value : inputs[m[1]!]
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, inputs))
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, inputs)]))
  return value
}

/** Turns a template and its inputs into an inline plan, or a 400 message. @internal */
export const planOfTemplate = (template: Template, rawInputs: unknown): { readonly title: string; readonly steps: unknown[] } | string => {
  const inputs = isRecord(rawInputs) ? rawInputs : {}
  const declared = Array.isArray(template.body["inputs"]) ? template.body["inputs"] as unknown[] : []
  const resolved: Record<string, unknown> = {}
  for (const d of declared) {
    if (!isRecord(d) || typeof d["name"] !== "string") continue
    const name = d["name"]
    const value = inputs[name] ?? d["default"]
    if (value === undefined && d["required"] === true) return `Missing required template input "${name}"`
    if (value !== undefined) resolved[name] = value
  }
  for (const name of Object.keys(inputs)) {
    if (!declared.some((d) => isRecord(d) && d["name"] === name)) return `Unknown template input "${name}"`
  }
  const stages = Array.isArray(template.body["stages"]) ? template.body["stages"] as unknown[] : []
  const steps: unknown[] = []
  for (const stage of stages) {
    if (!isRecord(stage)) continue
    if (stage["type"] !== undefined && stage["type"] !== "fixed") {
      return `Template stage ${String(stage["id"])} of type ${String(stage["type"])} cannot run as a durable step in the emulator`
    }
    steps.push({
      id: stage["id"],
      toolName: stage["tool"],
      arguments: substitute(stage["args"] ?? {}, resolved),
      ...(Array.isArray(stage["dependsOn"]) ? { dependsOn: stage["dependsOn"] } : {})
    })
  }
  if (steps.length === 0) return `Template ${template.id} has no runnable stages`
  return { title: String(template.body["name"] ?? template.id), steps }
}
