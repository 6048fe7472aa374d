/**
 * Offline verification of a `tx_proof` answer (rpc.md): with nothing but the validator set from
 * genesis, anyone can check that a tx is in a block that a quorum of validators finalised — the
 * node that served the proof is not trusted.
 *
 * Checks, in order (each failure is BAD_PROOF with the reason):
 *  1. shape: every field present and well-formed (hex lengths, integers);
 *  2. the header rebuilt from its JSON fields encodes to exactly `headerRaw`;
 *  3. SHA-256d(header) = `blockHash` (core blockHash);
 *  4. the Merkle audit path takes the tx id to `header.txRoot` (core verifyMerkleProof);
 *  5. `header.chainId` is the trusted chain's, `header.validatorsHash` the trusted set's hash;
 *  6. the commit certificate carries a quorum of valid precommits for this height and block
 *     (core verifyCommit).
 */
import { blockHash as computeBlockHash, encodeHeader, type BlockHeader } from '../core/block.ts'
import { verifyCommit, type CommitCertificate } from '../core/commit.ts'
import { isCoreError } from '../core/errors.ts'
import { bytesEqual, fromHex, toHex } from '../core/hex.ts'
import { parseAddress } from '../core/keys.ts'
import { verifyMerkleProof } from '../core/merkle.ts'
import { createValidatorSet, type QuorumMode, type ValidatorSet } from '../core/validators.ts'
import { ClientError, ClientErrorCode } from './errors.ts'

/** The trust anchor of a verification: the chain id and validator set fixed at genesis. */
export interface TrustedValidators {
  readonly chainId: string
  readonly validatorSet: ValidatorSet
}

export interface VerifiedTxProof {
  readonly ok: true
  readonly txId: string
  readonly height: number
  readonly blockHash: string
  readonly index: number
  readonly time: number
  /** Validator indexes whose precommits were verified. */
  readonly signers: readonly number[]
}

function fail(reason: string, detail?: Record<string, unknown>): never {
  throw new ClientError(ClientErrorCode.BAD_PROOF, reason, detail)
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function field(o: Obj, name: string, what: string): unknown {
  if (!(name in o)) fail(`${what}.${name} is missing`)
  return o[name]
}
function uint(o: Obj, name: string, what: string): number {
  const v = field(o, name, what)
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what}.${name} must be a non-negative integer`)
  return v as number
}
function hex(v: unknown, length: number | undefined, what: string): Uint8Array {
  if (typeof v !== 'string' || !v.startsWith('0x')) fail(`${what} must be 0x-prefixed hex`)
  try {
    return fromHex(v as string, length, what)
  } catch (e) {
    return fail(`${what}: ${(e as Error).message}`)
  }
}
function address(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string') fail(`${what} must be an address`)
  try {
    return (v as string).startsWith('0x') ? fromHex(v as string, 20, what) : parseAddress(v as string)
  } catch {
    return fail(`${what} is not an address`)
  }
}

/** Rebuilds a block header from its JSON form. @throws ClientError BAD_PROOF */
export function headerFromJson(json: unknown): BlockHeader {
  if (!isObj(json)) fail('header must be an object')
  const h = json as Obj
  const chainId = field(h, 'chainId', 'header')
  if (typeof chainId !== 'string' || chainId.length === 0 || chainId.length > 64) fail('header.chainId must be a 1-64 character string')
  return {
    chainId: chainId as string,
    height: uint(h, 'height', 'header'),
    time: uint(h, 'time', 'header'),
    prevHash: hex(field(h, 'prevHash', 'header'), 32, 'header.prevHash'),
    txRoot: hex(field(h, 'txRoot', 'header'), 32, 'header.txRoot'),
    stateRoot: hex(field(h, 'stateRoot', 'header'), 32, 'header.stateRoot'),
    proposer: address(field(h, 'proposer', 'header'), 'header.proposer'),
    validatorsHash: hex(field(h, 'validatorsHash', 'header'), 32, 'header.validatorsHash'),
  }
}

/** Rebuilds a commit certificate from its JSON form. @throws ClientError BAD_PROOF */
export function commitFromJson(json: unknown, maxSignatures = 1024): CommitCertificate {
  if (!isObj(json)) fail('the proof has no commit certificate: the block is not final')
  const c = json as Obj
  const sigs = field(c, 'signatures', 'commit')
  if (!Array.isArray(sigs) || sigs.length > maxSignatures) fail(`commit.signatures must be a list of at most ${maxSignatures}`)
  return {
    height: uint(c, 'height', 'commit'),
    round: uint(c, 'round', 'commit'),
    blockHash: hex(field(c, 'blockHash', 'commit'), 32, 'commit.blockHash'),
    signatures: (sigs as unknown[]).map((s, i) => {
      if (!isObj(s)) fail(`commit.signatures[${i}] must be {index, signature}`)
      return [uint(s as Obj, 'index', `commit.signatures[${i}]`), hex((s as Obj).signature, 64, `commit.signatures[${i}].signature`)] as const
    }),
  }
}

/**
 * Verifies a tx_proof result against a trusted validator set.
 * @param expectedTxId when given, the proof must be for this tx (0x hex).
 * @throws ClientError BAD_PROOF with the reason.
 */
export function verifyTxProof(proof: unknown, trust: TrustedValidators, expectedTxId?: string): VerifiedTxProof {
  if (!isObj(proof)) fail('the proof must be a JSON object')
  const p = proof as Obj
  const txId = hex(field(p, 'txId', 'proof'), 32, 'proof.txId')
  if (expectedTxId !== undefined && toHex(txId) !== expectedTxId.toLowerCase()) {
    fail(`the proof is for tx ${toHex(txId)}, not ${expectedTxId}`)
  }
  const index = uint(p, 'index', 'proof')
  const leafCount = uint(p, 'leafCount', 'proof')
  const siblingsJson = field(p, 'siblings', 'proof')
  if (!Array.isArray(siblingsJson) || siblingsJson.length > 64) fail('proof.siblings must be a list of at most 64 hashes')
  const siblings = (siblingsJson as unknown[]).map((s, i) => hex(s, 32, `proof.siblings[${i}]`))
  const header = headerFromJson(field(p, 'header', 'proof'))
  const headerRaw = hex(field(p, 'headerRaw', 'proof'), undefined, 'proof.headerRaw')
  const claimedHash = hex(field(p, 'blockHash', 'proof'), 32, 'proof.blockHash')

  if (!bytesEqual(encodeHeader(header), headerRaw)) fail('headerRaw is not the encoding of the header fields')
  const hash = computeBlockHash(header)
  if (!bytesEqual(hash, claimedHash)) fail(`the header hashes to ${toHex(hash)}, not the claimed block hash ${toHex(claimedHash)}`)
  if (!verifyMerkleProof(txId, { index, leafCount, siblings }, header.txRoot)) {
    fail(`the Merkle path does not lead from tx ${toHex(txId)} to the block's tx root`)
  }
  if (header.chainId !== trust.chainId) fail(`the block is on chain '${header.chainId}', expected '${trust.chainId}'`)
  if (!bytesEqual(header.validatorsHash, trust.validatorSet.hash)) {
    fail('the block names a different validator set than the trusted one')
  }
  const commit = commitFromJson(field(p, 'commit', 'proof'))
  try {
    verifyCommit(header.chainId, trust.validatorSet, commit, header.height, hash)
  } catch (e) {
    if (isCoreError(e)) fail(`commit: ${e.message}`)
    throw e
  }
  return {
    ok: true, txId: toHex(txId), height: header.height, blockHash: toHex(hash), index, time: header.time,
    signers: commit.signatures.map(([i]) => i),
  }
}

/**
 * The trust anchor from a genesis file's JSON (node/genesis.ts format:
 * `{chainId, quorumMode, validators: [{publicKey, …}]}`; validators may also be bare hex keys).
 * @throws ClientError BAD_GENESIS
 */
export function trustFromGenesis(json: unknown): TrustedValidators {
  const bad = (m: string): never => { throw new ClientError(ClientErrorCode.BAD_GENESIS, m) }
  if (!isObj(json)) bad('genesis must be a JSON object')
  const g = json as Obj
  if (typeof g.chainId !== 'string' || g.chainId.length === 0) bad('genesis.chainId must be a string')
  const validators = g.validators
  if (!Array.isArray(validators) || validators.length === 0) bad('genesis.validators must be a non-empty list')
  const keys = (validators as unknown[]).map((v, i) => {
    const text = typeof v === 'string' ? v : isObj(v) ? v.publicKey : undefined
    try {
      return fromHex(text as string, 32, `validators[${i}].publicKey`)
    } catch {
      return bad(`genesis.validators[${i}].publicKey must be 32 bytes of hex`)
    }
  })
  return trustFromKeys(g.chainId as string, keys, (g.quorumMode ?? 'bft') as QuorumMode)
}

/** The trust anchor from a list of validator public keys. @throws ClientError BAD_GENESIS */
export function trustFromKeys(chainId: string, publicKeys: readonly Uint8Array[], quorumMode: QuorumMode = 'bft'): TrustedValidators {
  try {
    return { chainId, validatorSet: createValidatorSet(publicKeys, quorumMode) }
  } catch (e) {
    throw new ClientError(ClientErrorCode.BAD_GENESIS, `invalid validator set: ${(e as Error).message}`)
  }
}
