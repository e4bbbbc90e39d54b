/**
 * The wallet cryptography behind {@link ../Wallet.ts}, free of Effect imports: `SogniAuth` loads it with a
 * dynamic `import()` on the first credential login, so programs that authenticate with an API key or a
 * token never evaluate the curve and hash tables at start-up, and bundlers can defer it without pulling
 * Effect's own modules into lazy wrappers.
 *
 * Plain values only (no `Redacted`): the public `Wallet` module wraps keys and passwords.
 *
 * @internal
 */
import { secp256k1 } from "@noble/curves/secp256k1.js"
import { pbkdf2 } from "@noble/hashes/pbkdf2.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js"

/** Key-derivation parameters, written once. */
export const derivation = {
  salt: "sogni-salt-value",
  iterations: 10_000,
  keyLength: 32
} as const

/** The fixed `verifyingContract` of both signing domains. */
export const verifyingContract = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"

/** An EIP-712 domain of the Sogni login signatures. */
export interface SigningDomain {
  readonly name: string
  readonly version: string
  readonly chainId: number
  readonly verifyingContract: string
}

/** The signing domain: mainnet (Base, chain 8453) or testnet (Base Sepolia, chain 84532). */
export const signingDomain = (testnet: boolean): SigningDomain =>
  testnet
    ? { name: "Sogni-testnet", version: "1", chainId: 84532, verifyingContract }
    : { name: "Sogni AI", version: "1", chainId: 8453, verifyingContract }

/** PBKDF2-SHA256 of `lowercase(username) + password`; throws a `RangeError` on an invalid secp256k1 key. */
export const derivePrivateKey = (username: string, password: string): Uint8Array => {
  const secret = utf8ToBytes(username.toLowerCase() + password)
  const key = pbkdf2(sha256, secret, utf8ToBytes(derivation.salt), {
    c: derivation.iterations,
    dkLen: derivation.keyLength
  })
  secret.fill(0)
  if (!secp256k1.utils.isValidSecretKey(key)) {
    throw new RangeError("derived bytes are not a valid secp256k1 private key")
  }
  return key
}

/** The checksummed address of a private key. Throws on an invalid key. */
export const addressOfPrivateKey = (privateKey: Uint8Array): string =>
  addressOfPublicKey(secp256k1.getPublicKey(privateKey, false))

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

/** The EIP-55 form of a 20-byte hex address, or `undefined` (mixed case must carry a correct checksum). */
export const toChecksumAddress = (address: string): string | undefined => {
  if (!ADDRESS.test(address)) return undefined
  const body = address.slice(2)
  const checksummed = checksumHex(body.toLowerCase())
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase()
  if (mixed && checksummed.slice(2) !== body) return undefined
  return checksummed
}

const word = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, "0"))
const addressWord = (address: string): Uint8Array => concatBytes(new Uint8Array(12), hexToBytes(address.slice(2)))
const keccakText = (s: string): Uint8Array => keccak_256(utf8ToBytes(s))

/** The EIP-712 domain separator of a signing domain. */
export const domainSeparator = (domain: SigningDomain): Uint8Array =>
  keccak_256(
    concatBytes(
      keccakText("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
      keccakText(domain.name),
      keccakText(domain.version),
      word(BigInt(domain.chainId)),
      addressWord(domain.verifyingContract)
    )
  )

// computed on first use
let separators: { readonly mainnet: Uint8Array; readonly testnet: Uint8Array } | undefined
let authenticationTypehash: Uint8Array | undefined

/** The 32-byte EIP-712 digest of `Authentication {walletAddress, nonce}`; throws a `TypeError` on a bad address. */
export const hashAuthentication = (walletAddress: string, nonce: string, testnet: boolean): Uint8Array => {
  if (!ADDRESS.test(walletAddress)) throw new TypeError("walletAddress is not a 20-byte hex address")
  separators ??= { mainnet: domainSeparator(signingDomain(false)), testnet: domainSeparator(signingDomain(true)) }
  authenticationTypehash ??= keccakText("Authentication(address walletAddress,string nonce)")
  const structHash = keccak_256(concatBytes(authenticationTypehash, addressWord(walletAddress), keccakText(nonce)))
  return keccak_256(
    concatBytes(new Uint8Array([0x19, 0x01]), testnet ? separators.testnet : separators.mainnet, structHash)
  )
}

/** The `0x` 65-byte signature `r ‖ s ‖ v` (v ∈ {27, 28}, low s) of a login nonce. Throws on a bad key or address. */
export const signAuthentication = (privateKey: Uint8Array, walletAddress: string, nonce: string, testnet: boolean): string => {
  const digest = hashAuthentication(walletAddress, nonce, testnet)
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: "recovered" })
  // noble's "recovered" layout is recovery ‖ r ‖ s; Ethereum's is r ‖ s ‖ v.
  return `0x${bytesToHex(recovered.subarray(1))}${(27 + recovered[0]!).toString(16)}`
}

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/

/** The checksummed signer of a login signature, or `undefined` when malformed or unrecoverable. */
export const recoverAuthenticationSigner = (
  signature: string,
  walletAddress: string,
  nonce: string,
  testnet: boolean
): string | undefined => {
  if (!SIGNATURE.test(signature) || !ADDRESS.test(walletAddress)) return undefined
  const bytes = hexToBytes(signature.slice(2))
  const v = bytes[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return undefined
  const digest = hashAuthentication(walletAddress, nonce, testnet)
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), "compact").addRecoveryBit(recovery)
    const point = sig.recoverPublicKey(digest)
    return addressOfPublicKey(point.toBytes(false))
  } catch {
    return undefined
  }
}
