/**
 * The account wallet behind username/password logins (rest.md §3.1, socket.md §3.2).
 *
 * Sogni derives an Ethereum key pair from the credentials instead of sending the password:
 *
 * - private key = PBKDF2-SHA256(UTF-8 of `lowercase(username) + password`, salt `"sogni-salt-value"`,
 *   10 000 iterations, 32 bytes);
 * - address = the EIP-55 checksummed Ethereum address of that key;
 * - a login proves ownership with an EIP-712 signature of `Authentication {walletAddress, nonce}` over the
 *   domain `{name: "Sogni AI", version: "1", chainId: 8453, verifyingContract: 0xCcCC…cccC}` (testnet:
 *   `Sogni-testnet`, `84532`).
 *
 * Everything here is pure and synchronous, built on the audited `@noble/curves` and `@noble/hashes`.
 * Private keys only travel as `Redacted<Uint8Array>`, so they never show up in logs or errors.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Wallet } from "@effect-sogni/core"
 *
 * const wallet = Wallet.deriveWallet("pixelfox", Redacted.make("correct horse"))
 * const signature = Wallet.signAuthentication(wallet.privateKey, wallet.address, "nonce-123", false)
 * // the server side:
 * const signer = Wallet.recoverAuthenticationSigner(signature, wallet.address, "nonce-123", false)
 * // Option.some(wallet.address)
 * ```
 *
 * @since 0.1.0
 */
import { secp256k1 } from "@noble/curves/secp256k1.js"
import { pbkdf2 } from "@noble/hashes/pbkdf2.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/**
 * Key-derivation parameters, written once.
 *
 * @since 0.1.0
 */
export const derivation = {
  salt: "sogni-salt-value",
  iterations: 10_000,
  keyLength: 32
} as const

/**
 * The fixed `verifyingContract` of both signing domains.
 *
 * @since 0.1.0
 */
export const verifyingContract = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"

/**
 * An EIP-712 domain of the Sogni login signatures.
 *
 * @since 0.1.0
 */
export interface SigningDomain {
  readonly name: string
  readonly version: string
  readonly chainId: number
  readonly verifyingContract: string
}

/**
 * The signing domain: mainnet (Base, chain 8453) or testnet (Base Sepolia, chain 84532).
 *
 * @since 0.1.0
 */
export const signingDomain = (testnet: boolean): SigningDomain =>
  testnet
    ? { name: "Sogni-testnet", version: "1", chainId: 84532, verifyingContract }
    : { name: "Sogni AI", version: "1", chainId: 8453, verifyingContract }

/**
 * The EIP-712 type of a login signature.
 *
 * @since 0.1.0
 */
export const authenticationTypes = {
  Authentication: [
    { name: "walletAddress", type: "address" },
    { name: "nonce", type: "string" }
  ]
} as const

/**
 * A wallet derived from account credentials.
 *
 * @since 0.1.0
 */
export interface DerivedWallet {
  /** EIP-55 checksummed address. */
  readonly address: string
  /** The 32-byte secp256k1 private key. */
  readonly privateKey: Redacted.Redacted<Uint8Array>
}

/**
 * Derives the account wallet from a username and password (case of the username is ignored).
 *
 * Costs 10 000 PBKDF2 rounds (a few milliseconds). Throws a `RangeError` only if the derived bytes are not
 * a valid secp256k1 key, which happens with probability below 2⁻¹²⁷.
 *
 * @since 0.1.0
 */
export const deriveWallet = (username: string, password: Redacted.Redacted<string>): DerivedWallet => {
  const secret = utf8ToBytes(username.toLowerCase() + Redacted.value(password))
  const key = pbkdf2(sha256, secret, utf8ToBytes(derivation.salt), {
    c: derivation.iterations,
    dkLen: derivation.keyLength
  })
  secret.fill(0)
  if (!secp256k1.utils.isValidSecretKey(key)) {
    throw new RangeError("derived bytes are not a valid secp256k1 private key")
  }
  return { address: addressOfPrivateKey(Redacted.make(key)), privateKey: Redacted.make(key) }
}

/**
 * The checksummed address of a private key. Throws on an invalid key.
 *
 * @since 0.1.0
 */
export const addressOfPrivateKey = (privateKey: Redacted.Redacted<Uint8Array>): string =>
  addressOfPublicKey(secp256k1.getPublicKey(Redacted.value(privateKey), false))

const addressOfPublicKey = (publicKey: Uint8Array): string => {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false)
  return checksumHex(bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12)))
}

const checksumHex = (lowerHex: string): string => {
  const hash = bytesToHex(keccak_256(utf8ToBytes(lowerHex)))
  let out = "0x"
  for (let i = 0; i < 40; i++) {
    const c = lowerHex[i]!
    out += parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c
  }
  return out
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/**
 * The EIP-55 form of a 20-byte hex address, or `None` when it is not one. Mixed-case input must already
 * carry a correct checksum (as `ethers.getAddress` requires).
 *
 * @since 0.1.0
 */
export const toChecksumAddress = (address: string): Option.Option<string> => {
  if (!ADDRESS.test(address)) return Option.none()
  const body = address.slice(2)
  const checksummed = checksumHex(body.toLowerCase())
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase()
  if (mixed && checksummed.slice(2) !== body) return Option.none()
  return Option.some(checksummed)
}

const word = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, "0"))
const addressWord = (address: string): Uint8Array => concatBytes(new Uint8Array(12), hexToBytes(address.slice(2)))
const keccakText = (s: string): Uint8Array => keccak_256(utf8ToBytes(s))

const DOMAIN_TYPEHASH = keccakText(
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
const AUTHENTICATION_TYPEHASH = keccakText("Authentication(address walletAddress,string nonce)")

/**
 * The EIP-712 domain separator of a signing domain.
 *
 * @since 0.1.0
 */
export const domainSeparator = (domain: SigningDomain): Uint8Array =>
  keccak_256(
    concatBytes(
      DOMAIN_TYPEHASH,
      keccakText(domain.name),
      keccakText(domain.version),
      word(BigInt(domain.chainId)),
      addressWord(domain.verifyingContract)
    )
  )

const domainSeparators = {
  mainnet: domainSeparator(signingDomain(false)),
  testnet: domainSeparator(signingDomain(true))
}

/**
 * The 32-byte EIP-712 digest of `Authentication {walletAddress, nonce}` (what `ethers`'
 * `TypedDataEncoder.hash` returns). Throws a `TypeError` when `walletAddress` is not a 20-byte hex address.
 *
 * @since 0.1.0
 */
export const hashAuthentication = (walletAddress: string, nonce: string, testnet: boolean): Uint8Array => {
  if (!ADDRESS.test(walletAddress)) throw new TypeError("walletAddress is not a 20-byte hex address")
  const structHash = keccak_256(
    concatBytes(AUTHENTICATION_TYPEHASH, addressWord(walletAddress), keccakText(nonce))
  )
  return keccak_256(
    concatBytes(
      new Uint8Array([0x19, 0x01]),
      testnet ? domainSeparators.testnet : domainSeparators.mainnet,
      structHash
    )
  )
}

/**
 * Signs a login nonce: returns the `0x`-prefixed 65-byte signature `r ‖ s ‖ v` with `v ∈ {27, 28}` and a
 * low `s`, byte-identical to `ethers`' `Wallet.signTypedData`. Throws on an invalid key or address.
 *
 * @since 0.1.0
 */
export const signAuthentication = (
  privateKey: Redacted.Redacted<Uint8Array>,
  walletAddress: string,
  nonce: string,
  testnet: boolean
): string => {
  const digest = hashAuthentication(walletAddress, nonce, testnet)
  const recovered = secp256k1.sign(digest, Redacted.value(privateKey), { prehash: false, format: "recovered" })
  // noble's "recovered" layout is recovery ‖ r ‖ s; Ethereum's is r ‖ s ‖ v.
  return `0x${bytesToHex(recovered.subarray(1))}${(27 + recovered[0]!).toString(16)}`
}

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/

/**
 * Recovers the checksummed address that signed `Authentication {walletAddress, nonce}`. `None` when the
 * signature or the address is malformed or no key can be recovered. A login is valid when the result equals
 * the claimed `walletAddress` (compare checksummed forms).
 *
 * Accepts `v` as 27/28 or 0/1, and high-`s` signatures as the EVM `ecrecover` does.
 *
 * @since 0.1.0
 */
export const recoverAuthenticationSigner = (
  signature: string,
  walletAddress: string,
  nonce: string,
  testnet: boolean
): Option.Option<string> => {
  if (!SIGNATURE.test(signature) || !ADDRESS.test(walletAddress)) return Option.none()
  const bytes = hexToBytes(signature.slice(2))
  const v = bytes[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return Option.none()
  const digest = hashAuthentication(walletAddress, nonce, testnet)
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), "compact").addRecoveryBit(recovery)
    const point = sig.recoverPublicKey(digest)
    return Option.some(addressOfPublicKey(point.toBytes(false)))
  } catch {
    return Option.none()
  }
}

/**
 * True when `signature` is a login signature of `walletAddress` (by its own key) over `nonce`.
 *
 * @since 0.1.0
 */
export const verifyAuthentication = (
  signature: string,
  walletAddress: string,
  nonce: string,
  testnet: boolean
): boolean =>
  Option.match(recoverAuthenticationSigner(signature, walletAddress, nonce, testnet), {
    onNone: () => false,
    onSome: (signer) => signer.toLowerCase() === walletAddress.toLowerCase()
  })
