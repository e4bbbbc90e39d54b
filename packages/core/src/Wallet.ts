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
 * Everything here is pure and synchronous, built on the audited `@noble/curves` and `@noble/hashes`
 * (in `internal/walletCrypto.ts`, which `SogniAuth` loads only on a credential login).
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
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Crypto from "./internal/walletCrypto.js"

/**
 * Key-derivation parameters, written once.
 *
 * @since 0.1.0
 */
export const derivation: typeof Crypto.derivation = Crypto.derivation

/**
 * The fixed `verifyingContract` of both signing domains.
 *
 * @since 0.1.0
 */
export const verifyingContract: typeof Crypto.verifyingContract = Crypto.verifyingContract

/**
 * An EIP-712 domain of the Sogni login signatures.
 *
 * @since 0.1.0
 */
export type SigningDomain = Crypto.SigningDomain

/**
 * The signing domain: mainnet (Base, chain 8453) or testnet (Base Sepolia, chain 84532).
 *
 * @since 0.1.0
 */
export const signingDomain: (testnet: boolean) => SigningDomain = Crypto.signingDomain

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
  const key = Crypto.derivePrivateKey(username, Redacted.value(password))
  return { address: Crypto.addressOfPrivateKey(key), privateKey: Redacted.make(key) }
}

/**
 * The checksummed address of a private key. Throws on an invalid key.
 *
 * @since 0.1.0
 */
export const addressOfPrivateKey = (privateKey: Redacted.Redacted<Uint8Array>): string =>
  Crypto.addressOfPrivateKey(Redacted.value(privateKey))

/**
 * The EIP-55 form of a 20-byte hex address, or `None` when it is not one. Mixed-case input must already
 * carry a correct checksum (as `ethers.getAddress` requires).
 *
 * @since 0.1.0
 */
export const toChecksumAddress = (address: string): Option.Option<string> =>
  Option.fromNullable(Crypto.toChecksumAddress(address))

/**
 * The EIP-712 domain separator of a signing domain.
 *
 * @since 0.1.0
 */
export const domainSeparator: (domain: SigningDomain) => Uint8Array = Crypto.domainSeparator

/**
 * The 32-byte EIP-712 digest of `Authentication {walletAddress, nonce}` (what `ethers`'
 * `TypedDataEncoder.hash` returns). Throws a `TypeError` when `walletAddress` is not a 20-byte hex address.
 *
 * @since 0.1.0
 */
export const hashAuthentication: (walletAddress: string, nonce: string, testnet: boolean) => Uint8Array =
  Crypto.hashAuthentication

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
): string => Crypto.signAuthentication(Redacted.value(privateKey), walletAddress, nonce, testnet)

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
): Option.Option<string> =>
  Option.fromNullable(Crypto.recoverAuthenticationSigner(signature, walletAddress, nonce, testnet))

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
