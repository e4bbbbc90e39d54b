import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ethers } from "ethers"
import * as Signup from "../src/Signup.js"
import { Wallet } from "../src/index.js"

const typedDomain = (testnet: boolean) => {
  const d = Wallet.signingDomain(testnet)
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract }
}
const types = { Signup: Signup.signupTypes.Signup.map((f) => ({ ...f })) }

const messageOf = (wallet: Wallet.DerivedWallet, fields: Partial<Signup.SignupMessage> = {}): Signup.SignupMessage => ({
  appid: "app-1",
  username: "newcomer",
  email: "n@example.test",
  subscribe: 1,
  walletAddress: wallet.address,
  nonce: "a1b2c3",
  ...fields
})

describe("Signup", () => {
  it("hashes and signs as ethers' TypedDataEncoder and signTypedData", async () => {
    for (const [username, testnet, subscribe] of [["newcomer", false, 1], ["Mixed.Case_Name", true, 0]] as const) {
      const wallet = Wallet.deriveWallet(username, Redacted.make("pass word"))
      const message = messageOf(wallet, { username, subscribe })
      expect(ethers.hexlify(Signup.hashSignup(message, testnet))).toBe(
        ethers.TypedDataEncoder.hash(typedDomain(testnet), types, message)
      )
      const signer = new ethers.Wallet(ethers.hexlify(Redacted.value(wallet.privateKey)))
      expect(Signup.signSignup(wallet.privateKey, message, testnet)).toBe(
        await signer.signTypedData(typedDomain(testnet), types, message)
      )
    }
  })

  it("verifies a signature only for its own fields, domain and signer", () => {
    const wallet = Wallet.deriveWallet("newcomer", Redacted.make("pass word"))
    const other = Wallet.deriveWallet("someone", Redacted.make("else"))
    const message = messageOf(wallet)
    const signature = Signup.signSignup(wallet.privateKey, message, false)
    expect(Signup.verifySignup(signature, message, false)).toBe(true)
    expect(Signup.recoverSignupSigner(signature, message, false)).toEqual(Option.some(wallet.address))
    expect(Signup.verifySignup(signature, message, true)).toBe(false)
    expect(Signup.verifySignup(signature, { ...message, email: "m@example.test" }, false)).toBe(false)
    expect(Signup.verifySignup(signature, { ...message, subscribe: 0 }, false)).toBe(false)
    // another key signing the same fields does not pass for this wallet
    expect(Signup.verifySignup(Signup.signSignup(other.privateKey, message, false), message, false)).toBe(false)
    expect(Signup.recoverSignupSigner("0x1234", message, false)).toEqual(Option.none())
    expect(Signup.recoverSignupSigner(signature, { ...message, walletAddress: "0x12" }, false)).toEqual(Option.none())
    expect(() => Signup.hashSignup({ ...message, walletAddress: "nope" }, false)).toThrow(TypeError)
  })

  it("round-trips any fields (property)", () => {
    const wallet = Wallet.deriveWallet("prop", Redacted.make("erty"))
    FastCheck.assert(
      FastCheck.property(
        FastCheck.string(),
        FastCheck.string(),
        FastCheck.string(),
        FastCheck.constantFrom(0 as const, 1 as const),
        FastCheck.string(),
        (appid, username, email, subscribe, nonce) => {
          const message = messageOf(wallet, { appid, username, email, subscribe, nonce })
          return Signup.verifySignup(Signup.signSignup(wallet.privateKey, message, false), message, false)
        }
      ),
      { numRuns: 25 }
    )
  })
})
