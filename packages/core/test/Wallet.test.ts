import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ethers } from "ethers"
import { Wallet } from "../src/index.js"

const toHex = (bytes: Uint8Array) => ethers.hexlify(bytes)

const typedDomain = (testnet: boolean) => {
  const d = Wallet.signingDomain(testnet)
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract }
}
const types = { Authentication: [{ name: "walletAddress", type: "address" }, { name: "nonce", type: "string" }] }

// ethers' own derivation of the same key, independent of our PBKDF2 call
const ethersKey = (username: string, password: string) =>
  ethers.pbkdf2(ethers.toUtf8Bytes(username.toLowerCase() + password), ethers.toUtf8Bytes("sogni-salt-value"), 10_000, 32, "sha256")

describe("Wallet", () => {
  it("derives the same key and address as ethers", () => {
    const w = Wallet.deriveWallet("PixelFox", Redacted.make("correct horse battery"))
    const expected = ethersKey("PixelFox", "correct horse battery")
    expect(toHex(Redacted.value(w.privateKey))).toBe(expected)
    expect(w.address).toBe(new ethers.Wallet(expected).address)
    // username case is ignored
    expect(Wallet.deriveWallet("pixelfox", Redacted.make("correct horse battery")).address).toBe(w.address)
  })

  it("never shows the private key when printed", () => {
    const w = Wallet.deriveWallet("pixelfox", Redacted.make("pw"))
    const hex = toHex(Redacted.value(w.privateKey)).slice(2)
    expect(String(w.privateKey)).not.toContain(hex)
    expect(JSON.stringify(w)).not.toContain(hex)
    expect(JSON.stringify(w)).toContain("<redacted>")
  })

  it("computes the same domain separator and typed-data hash as ethers", () => {
    for (const testnet of [false, true]) {
      expect(toHex(Wallet.domainSeparator(Wallet.signingDomain(testnet)))).toBe(
        ethers.TypedDataEncoder.hashDomain(typedDomain(testnet))
      )
      const address = "0x8fa3a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3"
      const value = { walletAddress: address, nonce: "abc-123" }
      expect(toHex(Wallet.hashAuthentication(address, "abc-123", testnet))).toBe(
        ethers.TypedDataEncoder.hash(typedDomain(testnet), types, value)
      )
    }
  })

  it("signs byte-identically to ethers Wallet.signTypedData and recovers the signer", async () => {
    const w = Wallet.deriveWallet("pixelfox", Redacted.make("hunter2"))
    const ew = new ethers.Wallet(toHex(Redacted.value(w.privateKey)))
    for (const testnet of [false, true]) {
      const sig = Wallet.signAuthentication(w.privateKey, w.address, "nonce-1", testnet)
      expect(sig).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/)
      const expected = await ew.signTypedData(typedDomain(testnet), types, { walletAddress: w.address, nonce: "nonce-1" })
      expect(sig).toBe(expected)
      expect(Wallet.recoverAuthenticationSigner(sig, w.address, "nonce-1", testnet)).toEqual(Option.some(w.address))
      expect(Wallet.verifyAuthentication(sig, w.address, "nonce-1", testnet)).toBe(true)
      // wrong nonce or wrong domain → another signer
      expect(Wallet.verifyAuthentication(sig, w.address, "nonce-2", testnet)).toBe(false)
      expect(Wallet.verifyAuthentication(sig, w.address, "nonce-1", !testnet)).toBe(false)
    }
  })

  it("recovers signatures made by ethers, including v = 0/1", async () => {
    const ew = ethers.Wallet.createRandom()
    const sig = await ew.signTypedData(typedDomain(false), types, { walletAddress: ew.address, nonce: "n" })
    expect(Wallet.recoverAuthenticationSigner(sig, ew.address, "n", false)).toEqual(Option.some(ew.address))
    const v = parseInt(sig.slice(130), 16) - 27
    const sig01 = sig.slice(0, 130) + v.toString(16).padStart(2, "0")
    expect(Wallet.recoverAuthenticationSigner(sig01, ew.address, "n", false)).toEqual(Option.some(ew.address))
  })

  it("returns None for malformed input instead of throwing", () => {
    const w = Wallet.deriveWallet("a", Redacted.make("b"))
    const sig = Wallet.signAuthentication(w.privateKey, w.address, "n", false)
    expect(Option.isNone(Wallet.recoverAuthenticationSigner("0x1234", w.address, "n", false))).toBe(true)
    expect(Option.isNone(Wallet.recoverAuthenticationSigner(sig, "not-an-address", "n", false))).toBe(true)
    expect(Option.isNone(Wallet.recoverAuthenticationSigner(sig.slice(0, 130) + "05", w.address, "n", false))).toBe(true)
    // r = 0 is not a valid signature
    expect(Option.isNone(Wallet.recoverAuthenticationSigner("0x" + "00".repeat(64) + "1b", w.address, "n", false))).toBe(true)
  })

  it("checksums addresses like ethers.getAddress", () => {
    const a = ethers.Wallet.createRandom().address
    expect(Wallet.toChecksumAddress(a.toLowerCase())).toEqual(Option.some(a))
    expect(Wallet.toChecksumAddress("0x" + a.slice(2).toUpperCase())).toEqual(Option.some(a))
    expect(Wallet.toChecksumAddress(Wallet.verifyingContract)).toEqual(Option.some(Wallet.verifyingContract))
    // a wrong mixed-case checksum is refused
    const broken = a.slice(0, 2) + (a[2] === a[2]!.toLowerCase() ? a[2]!.toUpperCase() : a[2]!.toLowerCase()) + a.slice(3)
    if (/[a-fA-F]/.test(a[2]!)) expect(Option.isNone(Wallet.toChecksumAddress(broken))).toBe(true)
    expect(Option.isNone(Wallet.toChecksumAddress("0x123"))).toBe(true)
  })

  it.prop(
    "sign/recover agree with ethers for arbitrary keys and nonces",
    [FastCheck.uint8Array({ minLength: 32, maxLength: 32 }), FastCheck.string(), FastCheck.boolean()],
    ([seed, nonce, testnet]) => {
      // map arbitrary bytes to a valid key: keccak keeps it uniform, 0 and ≥ n are practically impossible
      const key = ethers.getBytes(ethers.keccak256(seed))
      const pk = Redacted.make(key)
      const address = Wallet.addressOfPrivateKey(pk)
      const ew = new ethers.SigningKey(ethers.hexlify(key))
      expect(address).toBe(ethers.computeAddress(ew.publicKey))
      const sig = Wallet.signAuthentication(pk, address, nonce, testnet)
      const digest = ethers.TypedDataEncoder.hash(typedDomain(testnet), types, { walletAddress: address, nonce })
      expect(toHex(Wallet.hashAuthentication(address, nonce, testnet))).toBe(digest)
      expect(sig).toBe(ew.sign(digest).serialized)
      expect(Wallet.recoverAuthenticationSigner(sig, address, nonce, testnet)).toEqual(Option.some(address))
      expect(ethers.verifyTypedData(typedDomain(testnet), types, { walletAddress: address, nonce }, sig)).toBe(address)
    },
    { fastCheck: { numRuns: 50 } }
  )

  it.prop(
    "derivation matches ethers for arbitrary credentials",
    [FastCheck.string({ minLength: 1, maxLength: 24 }), FastCheck.string({ maxLength: 24 })],
    ([username, password]) => {
      const w = Wallet.deriveWallet(username, Redacted.make(password))
      const expected = ethersKey(username, password)
      expect(toHex(Redacted.value(w.privateKey))).toBe(expected)
      expect(w.address).toBe(ethers.computeAddress(expected))
    },
    { fastCheck: { numRuns: 15 } }
  )
})
