/**
 * Declaration parity: compares the public surface of the official `@sogni-ai/sogni-client` (its
 * published `.d.ts`, the pinned version) with the adapter's (`src/index.ts`), in one TypeScript program,
 * with the compiler's own assignability check.
 *
 * What is compared, each difference reported as one finding (a stable key):
 * - `export <name>`: a value (class, function, constant) the official package exports that the adapter
 *   does not (or only as a type); `export-type <name>`: a type-only export the adapter does not have;
 * - `member <path>`: a public property or method of an official class (walked from `SogniClient`,
 *   `Project`, `Job`, `ChatStream` through their API groups) that the adapter's lacks;
 * - `param <path>#<i>`: a method parameter whose official type is not assignable to the adapter's (code
 *   written for the official client would not compile: an option, a `null`, a type it does not accept);
 * - `return <path>`: a method whose adapter result is not assignable to the official result;
 * - `type <path>`: a data property whose adapter type is not assignable to the official one;
 * - `event <path>:<name>`: an event an official emitter has that the adapter's lacks;
 * - `payload <path>:<name>`: an event whose adapter payload is not assignable to the official payload.
 *
 * `readonly` is ignored on both sides (a listener or a caller reading a `ReadonlyArray` where the official
 * client gives a mutable array compiles the same unless it mutates it).
 */
import * as path from "node:path"
import ts from "typescript"

/** One difference, and a line saying what each side has. */
export interface Finding {
  readonly key: string
  readonly detail: string
}

const MAX_DEPTH = 3

/** Compiles the two declaration sets in one program and lists their differences. */
export const compareDeclarations = (clientRoot: string): ReadonlyArray<Finding> => {
  const entry = path.join(clientRoot, "declarations-check", "parity-entry.ts")
  const config = ts.readConfigFile(path.join(clientRoot, "../../tsconfig.base.json"), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, path.join(clientRoot, "../.."))
  const program = ts.createProgram([entry], { ...parsed.options, noEmit: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry)
  if (source === undefined) throw new Error(`cannot read ${entry}`)

  const moduleOf = (specifier: string): ts.Symbol => {
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && (statement.moduleSpecifier as ts.StringLiteral).text === specifier) {
        const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier)
        if (symbol !== undefined) return symbol
      }
    }
    throw new Error(`the entry does not import ${specifier}`)
  }
  const official = moduleOf("@sogni-ai/sogni-client")
  const ours = moduleOf("../src/index.js")
  const findings: Array<Finding> = []
  const add = (key: string, detail: string) => findings.push({ key, detail })
  const show = (t: ts.Type) => checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation).slice(0, 300)

  // The classes the walk below compares member by member: an official class with private members is
  // nominal (nothing declared elsewhere is assignable to it), so a result or payload of one of these
  // classes counts as matching when the adapter's has the class of the same name; its members are
  // compared where the walk reaches the class itself.
  const walked = new Set(["SogniClient", "Project", "Job", "ChatStream", "CurrentAccount"])
  const isArrayLike = (t: ts.Type) => checker.isArrayType(t) || checker.isTupleType(t)
  const promised = (t: ts.Type) =>
    t.getSymbol()?.name === "Promise" ? checker.getTypeArguments(t as ts.TypeReference)[0] : undefined

  // readonly-insensitive assignability: the checker's own answer first; failing that, a structural
  // comparison that reads a readonly array or property as its mutable counterpart (the checker has no
  // switch for it) and descends through unions, promises, arrays and object properties
  const assignable = (source: ts.Type, target: ts.Type, depth = 0): boolean => {
    if (checker.isTypeAssignableTo(source, target)) return true
    if (depth > 8) return false
    if (source.isUnion()) return source.types.every((s) => assignable(s, target, depth + 1))
    if (target.isUnion()) return target.types.some((t) => assignable(source, t, depth + 1))
    const sourcePromise = promised(source)
    const targetPromise = promised(target)
    if (sourcePromise !== undefined && targetPromise !== undefined) return assignable(sourcePromise, targetPromise, depth + 1)
    const name = target.getSymbol()?.name
    if (name !== undefined && walked.has(name) && source.getSymbol()?.name === name) return true
    if (isArrayLike(target) || isArrayLike(source)) {
      if (!isArrayLike(target) || !isArrayLike(source)) return false
      const element = (t: ts.Type) => checker.getIndexTypeOfType(t, ts.IndexKind.Number)
      const s = element(source)
      const t = element(target)
      return s !== undefined && t !== undefined && assignable(s, t, depth + 1)
    }
    const objectLike = (t: ts.Type) => (t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0
    const objects = objectLike(source) && objectLike(target)
    if (!objects || callable(source) || callable(target)) return false
    return checker.getPropertiesOfType(target).every((property) => {
      const counterpart = checker.getPropertyOfType(source, property.name)
      if (counterpart === undefined) return (property.flags & ts.SymbolFlags.Optional) !== 0
      return assignable(checker.getTypeOfSymbol(counterpart), checker.getTypeOfSymbol(property), depth + 1)
    })
  }

  /** Which properties of the official (target) type the adapter's (source) type lacks or types differently. */
  const explain = (source: ts.Type, target: ts.Type, depth = 0): string => {
    if (isArrayLike(source) && isArrayLike(target)) {
      const s = checker.getIndexTypeOfType(source, ts.IndexKind.Number)
      const t = checker.getIndexTypeOfType(target, ts.IndexKind.Number)
      return s !== undefined && t !== undefined ? explain(s, t, depth) : ""
    }
    if (depth > 2 || (target.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) === 0 || callable(target)) return ""
    const parts: Array<string> = []
    for (const property of checker.getPropertiesOfType(target)) {
      const counterpart = checker.getPropertyOfType(source, property.name)
      const theirType = checker.getTypeOfSymbol(property)
      if (counterpart === undefined) {
        if ((property.flags & ts.SymbolFlags.Optional) === 0) parts.push(`${property.name} missing`)
        continue
      }
      const myType = checker.getTypeOfSymbol(counterpart)
      if (!assignable(myType, theirType)) {
        const inner = explain(checker.getNonNullableType(myType), checker.getNonNullableType(theirType), depth + 1)
        parts.push(inner !== "" ? `${property.name}.{${inner}}` : `${property.name}: ${show(theirType)} vs ${show(myType)}`)
      }
    }
    return parts.slice(0, 6).join("; ")
  }
  const why = (source: ts.Type, target: ts.Type) => {
    const unwrap = (t: ts.Type) => {
      const args = checker.getTypeArguments(t as ts.TypeReference)
      return t.getSymbol()?.name === "Promise" && args.length === 1 ? args[0]! : t
    }
    const text = explain(unwrap(source), unwrap(target))
    return text === "" ? "" : ` [${text}]`
  }

  // --- exports -----------------------------------------------------------------------------------
  const ourExports = new Map(checker.getExportsOfModule(ours).map((s) => [s.name, s] as const))
  // `export type { X }` (or an `import type` re-exported) offers no value, whatever X is
  const typeOnly = (s: ts.Symbol) =>
    s.declarations?.some((d) =>
      (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ||
      (ts.isImportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ||
      (ts.isImportClause(d) && d.isTypeOnly)
    ) ?? false
  const isValue = (s: ts.Symbol) => {
    if (typeOnly(s)) return false
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s
    return (target.flags & ts.SymbolFlags.Value) !== 0
  }
  for (const symbol of checker.getExportsOfModule(official)) {
    const mine = ourExports.get(symbol.name)
    if (mine === undefined) {
      if (isValue(symbol)) add(`export ${symbol.name}`, "a value the adapter does not export")
      else add(`export-type ${symbol.name}`, "a type the adapter does not export")
    }
    else if (isValue(symbol) && !isValue(mine)) add(`export ${symbol.name}`, "a value in the official package, only a type in the adapter")
  }

  // --- classes, API groups, events ----------------------------------------------------------------
  const isPublic = (symbol: ts.Symbol) => {
    if (symbol.name.startsWith("_") || symbol.name.startsWith("#")) return false
    const flags = symbol.declarations?.reduce((f, d) => f | ts.getCombinedModifierFlags(d), 0) ?? 0
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0
  }
  const callable = (t: ts.Type) => t.getCallSignatures().length > 0
  const isApiObject = (t: ts.Type) =>
    !callable(t) && !checker.isArrayType(t) && !checker.isTupleType(t) && t.getProperties().some((p) => {
      const pt = checker.getTypeOfSymbol(p)
      return callable(pt)
    })

  /** The event map of an emitter (its `on(event, listener)`), as name → payload type. */
  const eventsOf = (t: ts.Type): Map<string, ts.Type> | undefined => {
    const on = t.getProperty("on")
    if (on === undefined) return undefined
    const signature = checker.getTypeOfSymbol(on).getCallSignatures()[0]
    const listener = signature?.getParameters()[1]
    if (listener === undefined) return undefined
    const data = checker.getTypeOfSymbol(listener).getCallSignatures()[0]?.getParameters()[0]
    if (data === undefined) return undefined
    const payload = checker.getTypeOfSymbol(data)
    const map = (payload.flags & ts.TypeFlags.IndexedAccess) !== 0 ? (payload as ts.IndexedAccessType).objectType : undefined
    if (map === undefined) return undefined
    return new Map(checker.getPropertiesOfType(map).map((p) => [p.name, checker.getTypeOfSymbol(p)] as const))
  }

  const seen = new Set<string>()
  const compareObjects = (where: string, theirs: ts.Type, mine: ts.Type, depth: number) => {
    if (seen.has(where)) return
    seen.add(where)
    const officialEvents = eventsOf(theirs)
    if (officialEvents !== undefined && officialEvents.size > 0) {
      const ourEvents = eventsOf(mine) ?? new Map<string, ts.Type>()
      for (const [name, payload] of officialEvents) {
        const mineType = ourEvents.get(name)
        if (mineType === undefined) add(`event ${where}:${name}`, "the adapter's emitter has no such event")
        else if (!assignable(mineType, payload)) {
          add(`payload ${where}:${name}`, `official ${show(payload)}; adapter ${show(mineType)}${why(mineType, payload)}`)
        }
      }
    }
    for (const property of theirs.getProperties()) {
      if (!isPublic(property)) continue
      const name = property.name
      const at = `${where}.${name}`
      const counterpart = mine.getProperty(name)
      if (counterpart === undefined) {
        add(`member ${at}`, "missing in the adapter")
        continue
      }
      const theirType = checker.getTypeOfSymbol(property)
      const myType = checker.getTypeOfSymbol(counterpart)
      if (name === "on" || name === "once" || name === "off" || name === "removeAllListeners") continue
      if (callable(theirType)) {
        compareSignatures(at, theirType, myType)
      } else if (isApiObject(theirType) && depth < MAX_DEPTH) {
        compareObjects(at, theirType, myType, depth + 1)
      } else if (!assignable(myType, theirType)) {
        add(`type ${at}`, `official ${show(theirType)}; adapter ${show(myType)}${why(myType, theirType)}`)
      }
    }
  }

  const compareSignatures = (at: string, theirs: ts.Type, mine: ts.Type) => {
    const mySignatures = mine.getCallSignatures()
    if (mySignatures.length === 0) {
      add(`member ${at}`, "a method in the official client, not callable in the adapter")
      return
    }
    for (const signature of theirs.getCallSignatures()) {
      const params = signature.getParameters()
      // some overload of ours must take every parameter the official one takes, at its type
      // a parameter of ours that is optional (`?` or a default) takes `undefined` as well
      const optional = (s: ts.Symbol) =>
        s.declarations?.some((d) => ts.isParameter(d) && (d.questionToken !== undefined || d.initializer !== undefined)) ?? false
      const fits = (candidate: ts.Signature) =>
        params.every((p, i) => {
          const mineParam = candidate.getParameters()[i]
          if (mineParam === undefined) return false
          const theirType = checker.getTypeOfSymbol(p)
          return assignable(optional(mineParam) ? checker.getNonNullableType(theirType) : theirType, checker.getTypeOfSymbol(mineParam))
        })
      if (!mySignatures.some(fits)) {
        const first = mySignatures[0]!
        const bad = params.findIndex((p, i) => {
          const mineParam = first.getParameters()[i]
          return mineParam === undefined || !assignable(checker.getTypeOfSymbol(p), checker.getTypeOfSymbol(mineParam))
        })
        const theirParam = params[bad]
        const myParam = first.getParameters()[bad]
        add(
          `param ${at}#${bad}`,
          `official ${theirParam ? show(checker.getTypeOfSymbol(theirParam)) : "?"}; adapter ${myParam ? show(checker.getTypeOfSymbol(myParam)) : "none"}${
            theirParam && myParam ? why(checker.getTypeOfSymbol(theirParam), checker.getTypeOfSymbol(myParam)) : ""
          }`
        )
        continue
      }
      const theirReturn = signature.getReturnType()
      const best = mySignatures.find(fits)!
      const myReturn = best.getReturnType()
      // a `void` result promises nothing a caller can use
      if ((theirReturn.flags & ts.TypeFlags.Void) === 0 && !assignable(myReturn, theirReturn)) {
        add(`return ${at}`, `official ${show(theirReturn)}; adapter ${show(myReturn)}${why(myReturn, theirReturn)}`)
      }
    }
  }

  const instanceOf = (module: ts.Symbol, name: string): ts.Type | undefined => {
    const symbol = checker.getExportsOfModule(module).find((s) => s.name === name)
    if (symbol === undefined) return undefined
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    return checker.getDeclaredTypeOfSymbol(target)
  }
  for (const name of ["SogniClient", "Project", "Job", "ChatStream", "CurrentAccount", "ApiError"]) {
    const theirs = instanceOf(official, name)
    const mine = instanceOf(ours, name)
    if (theirs === undefined) continue
    if (mine === undefined) continue // reported as a missing export
    compareObjects(name, theirs, mine, 0)
  }
  // the static factory
  const staticOf = (module: ts.Symbol, name: string) => {
    const symbol = checker.getExportsOfModule(module).find((s) => s.name === name)!
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    return checker.getTypeOfSymbol(target)
  }
  const theirStatic = staticOf(official, "SogniClient").getProperty("createInstance")
  const myStatic = staticOf(ours, "SogniClient").getProperty("createInstance")
  if (theirStatic !== undefined && myStatic !== undefined) {
    compareSignatures("SogniClient.createInstance", checker.getTypeOfSymbol(theirStatic), checker.getTypeOfSymbol(myStatic))
  }
  return findings
}
