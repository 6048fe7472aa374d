/**
 * Votes and commit certificates.
 *
 * A validator signs   encode(['vote', chainId, type, height, round, blockHash])
 * (blockHash empty = a vote for nil). A commit certificate for a block is the precommits of a
 * quorum of distinct validators for that block hash at one round; anyone holding the validator
 * set checks finality offline with `verifyCommit`.
 */
import {
  asArray, asBytes, asList, asUint, decode, encodeTrusted, type CanonicalValue,
} from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { toHex, bytesEqual } from './hex.ts'
import { SIGNATURE_LENGTH, sign, verify, type SignatureVerifier } from './keys.ts'
import type { ValidatorSet } from './validators.ts'

export const VoteType = { PREVOTE: 1, PRECOMMIT: 2 } as const
export type VoteType = (typeof VoteType)[keyof typeof VoteType]

export interface Vote {
  readonly type: VoteType
  readonly height: number
  readonly round: number
  /** 32-byte block hash, or empty for nil. */
  readonly blockHash: Uint8Array
  readonly validatorIndex: number
  readonly signature: Uint8Array
}

export function voteSignBytes(chainId: string, type: VoteType, height: number, round: number, blockHash: Uint8Array): Uint8Array {
  return encodeTrusted(['vote', chainId, type, height, round, blockHash])
}

export function signVote(
  chainId: string, fields: Omit<Vote, 'signature'>, secretKey: Uint8Array,
): Vote {
  const signature = sign(voteSignBytes(chainId, fields.type, fields.height, fields.round, fields.blockHash), secretKey)
  return Object.freeze({ ...fields, signature })
}

export function verifyVote(chainId: string, set: ValidatorSet, vote: Vote): boolean {
  const v = set.validators[vote.validatorIndex]
  if (!v) return false
  return verify(vote.signature, voteSignBytes(chainId, vote.type, vote.height, vote.round, vote.blockHash), v.publicKey)
}

export function voteRaw(v: Vote): CanonicalValue[] {
  return [v.type, v.height, v.round, v.blockHash, v.validatorIndex, v.signature]
}

/** @throws CoreError DECODE_* / BAD_SHAPE */
export function voteFromRaw(raw: CanonicalValue): Vote {
  const r = asArray(raw, 6, 'vote')
  const type = asUint(r[0], 'vote.type')
  if (type !== VoteType.PREVOTE && type !== VoteType.PRECOMMIT) throw new CoreError(CoreErrorCode.BAD_SHAPE, `vote.type ${type} unknown`)
  const blockHash = asBytes(r[3], 'vote.blockHash')
  if (blockHash.length !== 0 && blockHash.length !== 32) throw new CoreError(CoreErrorCode.BAD_SHAPE, 'vote.blockHash must be empty or 32 bytes')
  return Object.freeze({
    type, height: asUint(r[1], 'vote.height'), round: asUint(r[2], 'vote.round'), blockHash,
    validatorIndex: asUint(r[4], 'vote.validatorIndex'), signature: asBytes(r[5], 'vote.signature', SIGNATURE_LENGTH),
  })
}

export interface CommitCertificate {
  readonly height: number
  readonly round: number
  readonly blockHash: Uint8Array
  /** [validatorIndex, precommit signature], ascending by index. */
  readonly signatures: readonly (readonly [number, Uint8Array])[]
}

export function commitRaw(c: CommitCertificate): CanonicalValue[] {
  return [c.height, c.round, c.blockHash, c.signatures.map(([i, s]) => [i, s])]
}

/** @throws CoreError BAD_SHAPE */
export function commitFromRaw(raw: CanonicalValue, maxValidators = 1024): CommitCertificate {
  const r = asArray(raw, 4, 'commit')
  const sigs = asList(r[3], 'commit.signatures', maxValidators).map((e) => {
    const p = asArray(e, 2, 'commit.signature')
    return [asUint(p[0], 'commit.signature.index'), asBytes(p[1], 'commit.signature.sig', SIGNATURE_LENGTH)] as const
  })
  return Object.freeze({ height: asUint(r[0], 'commit.height'), round: asUint(r[1], 'commit.round'), blockHash: asBytes(r[2], 'commit.blockHash', 32), signatures: sigs })
}

export function encodeCommit(c: CommitCertificate): Uint8Array {
  return encodeTrusted(commitRaw(c))
}
export function decodeCommit(bytes: Uint8Array): CommitCertificate {
  return commitFromRaw(decode(bytes))
}

/** Builds a certificate from precommits (already verified) for one block at one round. */
export function createCommit(height: number, round: number, blockHash: Uint8Array, precommits: readonly Vote[]): CommitCertificate {
  const byIndex = new Map<number, Uint8Array>()
  for (const v of precommits) {
    if (v.type === VoteType.PRECOMMIT && v.height === height && v.round === round && bytesEqual(v.blockHash, blockHash)) {
      byIndex.set(v.validatorIndex, v.signature)
    }
  }
  const signatures = [...byIndex.entries()].sort((a, b) => a[0] - b[0])
  return Object.freeze({ height, round, blockHash: new Uint8Array(blockHash), signatures })
}

/**
 * Checks that a quorum of distinct validators precommitted `blockHash` at `height`.
 * `verifySignature` defaults to `verify`; callers that see the same signatures many times (the
 * consensus engine, its simulator) may pass a memoising wrapper with the same rule.
 * @throws CoreError BAD_COMMIT saying what is wrong.
 */
export function verifyCommit(
  chainId: string, set: ValidatorSet, commit: CommitCertificate, height: number, blockHash: Uint8Array,
  verifySignature: SignatureVerifier = verify,
): void {
  const fail = (m: string): never => { throw new CoreError(CoreErrorCode.BAD_COMMIT, m, { height }) }
  if (commit.height !== height) fail(`commit is for height ${commit.height}, expected ${height}`)
  if (!bytesEqual(commit.blockHash, blockHash)) fail(`commit is for block ${toHex(commit.blockHash)}, expected ${toHex(blockHash)}`)
  let last = -1
  // Every precommit of the certificate signed the same bytes (they leave out the validator).
  const signBytes = voteSignBytes(chainId, VoteType.PRECOMMIT, height, commit.round, blockHash)
  for (const [index, sig] of commit.signatures) {
    if (index <= last) fail('commit signatures are not in strictly ascending validator order')
    last = index
    const v = set.validators[index]
    if (!v) fail(`commit names validator #${index}, the set has ${set.validators.length}`)
    if (!verifySignature(sig, signBytes, v!.publicKey)) {
      fail(`precommit signature of validator #${index} does not verify`)
    }
  }
  if (commit.signatures.length < set.quorum) fail(`${commit.signatures.length} precommits, quorum is ${set.quorum}`)
}
