/**
 * Signing up a new account (rest.md §3.1): the wallet is derived from the chosen username and password
 * as for a login ({@link Wallet}), the server's nonce is fetched for its address, and the signup fields
 * are signed as the EIP-712 struct
 * `Signup(string appid,string username,string email,uint256 subscribe,address walletAddress,string nonce)`
 * over the same domain as logins. The password never leaves the process.
 *
 * The signing and recovery functions here are pure (the server side uses {@link verifySignup}); the
 * network steps are `SogniAccount.create`. A deep import only (not in the package index): the curve code
 * loads when a program signs up, not with every program that imports core.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Wallet } from "@effect-sogni/core"
 * import * as Signup from "@effect-sogni/core/Signup"
 *
 * const wallet = Wallet.deriveWallet("newcomer", Redacted.make("a long passphrase"))
 * const message = { appid: "my-app", username: "newcomer", email: "n@example.test", subscribe: 0, walletAddress: wallet.address, nonce: "n-1" } as const
 * const signature = Signup.signSignup(wallet.privateKey, message, false)
 * Signup.verifySignup(signature, message, false) // true
 * ```
 *
 * @since 0.1.0
 */
import { secp256k1 } from "@noble/curves/secp256k1.js"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Wallet from "./Wallet.js"

/**
 * The EIP-712 type of a signup signature, in field order.
 *
 * @since 0.1.0
 */
export const signupTypes = {
  Signup: [
    { name: "appid", type: "string" },
    { name: "username", type: "string" },
    { name: "email", type: "string" },
    { name: "subscribe", type: "uint256" },
    { name: "walletAddress", type: "address" },
    { name: "nonce", type: "string" }
  ]
} as const

/**
 * The signed fields of a signup: `appid` is the client's `appId`, `subscribe` 1 to receive the
 * newsletter.
 *
 * @since 0.1.0
 */
export interface SignupMessage {
  readonly appid: string
  readonly username: string
  readonly email: string
  readonly subscribe: 0 | 1
  readonly walletAddress: string
  readonly nonce: string
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/

const keccakText = (s: string): Uint8Array => keccak_256(utf8ToBytes(s))
const word = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, "0"))
const addressWord = (address: string): Uint8Array => concatBytes(new Uint8Array(12), hexToBytes(address.slice(2)))

// computed on first use
let typehash: Uint8Array | undefined

/**
 * The 32-byte EIP-712 digest of a signup. Throws a `TypeError` when `walletAddress` is not a 20-byte hex
 * address.
 *
 * @since 0.1.0
 */
export const hashSignup = (message: SignupMessage, testnet: boolean): Uint8Array => {
  if (!ADDRESS.test(message.walletAddress)) throw new TypeError("walletAddress is not a 20-byte hex address")
  typehash ??= keccakText(
    "Signup(string appid,string username,string email,uint256 subscribe,address walletAddress,string nonce)"
  )
  const struct = keccak_256(
    concatBytes(
      typehash,
      keccakText(message.appid),
      keccakText(message.username),
      keccakText(message.email),
      word(BigInt(message.subscribe)),
      addressWord(message.walletAddress),
      keccakText(message.nonce)
    )
  )
  return keccak_256(
    concatBytes(new Uint8Array([0x19, 0x01]), Wallet.domainSeparator(Wallet.signingDomain(testnet)), struct)
  )
}

/**
 * Signs a signup: the `0x` 65-byte signature `r ‖ s ‖ v` (v ∈ {27, 28}, low s), as `ethers`'
 * `signTypedData` produces it. Throws on an invalid key or address.
 *
 * @since 0.1.0
 */
export const signSignup = (
  privateKey: Redacted.Redacted<Uint8Array>,
  message: SignupMessage,
  testnet: boolean
): string => {
  const recovered = secp256k1.sign(hashSignup(message, testnet), Redacted.value(privateKey), {
    prehash: false,
    format: "recovered"
  })
  // noble's layout is recovery ‖ r ‖ s; Ethereum's is r ‖ s ‖ v
  return `0x${bytesToHex(recovered.subarray(1))}${(27 + recovered[0]!).toString(16)}`
}

/**
 * The checksummed address that signed a signup; `None` when the signature or address is malformed or no
 * key can be recovered.
 *
 * @since 0.1.0
 */
export const recoverSignupSigner = (signature: string, message: SignupMessage, testnet: boolean): Option.Option<string> => {
  if (!SIGNATURE.test(signature) || !ADDRESS.test(message.walletAddress)) return Option.none()
  const bytes = hexToBytes(signature.slice(2))
  const v = bytes[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return Option.none()
  try {
    const point = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), "compact")
      .addRecoveryBit(recovery)
      .recoverPublicKey(hashSignup(message, testnet))
    const address = `0x${bytesToHex(keccak_256(point.toBytes(false).subarray(1)).subarray(12))}`
    return Wallet.toChecksumAddress(address)
  } catch {
    return Option.none()
  }
}

/**
 * True when `signature` is a signup of `message.walletAddress` by its own key.
 *
 * @since 0.1.0
 */
export const verifySignup = (signature: string, message: SignupMessage, testnet: boolean): boolean =>
  Option.match(recoverSignupSigner(signature, message, testnet), {
    onNone: () => false,
    onSome: (signer) => signer.toLowerCase() === message.walletAddress.toLowerCase()
  })
