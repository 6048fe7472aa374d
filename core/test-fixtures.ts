/**
 * Deterministic sample data for core's tests, its vector generator and the core benchmark:
 * seeded keys, a validator set, signed txs and a committed block. Not part of core's public
 * surface (`index.ts` does not export it); nothing here is random.
 */
import assert from 'node:assert/strict'
import { createBlock, txRootOf, type Block, type BlockHeader } from './block.ts'
import { CoreError, type CoreErrorCode } from './errors.ts'
import { createCommit, signVote, VoteType, type CommitCertificate } from './commit.ts'
import { sha256 } from './hash.ts'
import { utf8 } from './hex.ts'
import { keyPairFromSecretKey, type KeyPair } from './keys.ts'
import { createSignedTx, TxKind, type SignedTx } from './tx.ts'
import { createValidatorSet, type QuorumMode, type ValidatorSet } from './validators.ts'

export const TEST_CHAIN_ID = 'medchain-test'

/** The key pair whose seed is SHA-256('medchain-test-key-<i>'). */
export function testKeyPair(i: number): KeyPair {
  return keyPairFromSecretKey(sha256(utf8.encode(`medchain-test-key-${i}`)))
}

export function testValidators(n: number, mode: QuorumMode = 'bft'): { keys: KeyPair[]; set: ValidatorSet } {
  const keys = Array.from({ length: n }, (_, i) => testKeyPair(1000 + i))
  return { keys, set: createValidatorSet(keys.map((k) => k.publicKey), mode) }
}

/** A KV_PUT tx: method = key, args = [value]. */
export function kvPutTx(sender: KeyPair, nonce: number, key: string, value: Uint8Array, chainId = TEST_CHAIN_ID): SignedTx {
  return createSignedTx(
    { chainId, kind: TxKind.KV_PUT, nonce, target: new Uint8Array(0), method: key, args: [value], gasLimit: 10_000 },
    sender.secretKey, sender.publicKey,
  )
}

/** Precommits of the validators at `signerIndexes` for `blockHash`, as a certificate. */
export function signedCommit(
  chainId: string, keys: readonly KeyPair[], signerIndexes: readonly number[], height: number, round: number, blockHash: Uint8Array,
): CommitCertificate {
  const votes = signerIndexes.map((i) => signVote(chainId, { type: VoteType.PRECOMMIT, height, round, blockHash, validatorIndex: i }, keys[i]!.secretKey))
  return createCommit(height, round, blockHash, votes)
}

export interface SampleBlockOptions {
  readonly height: number
  readonly prevHash: Uint8Array
  readonly txs: readonly SignedTx[]
  readonly keys: readonly KeyPair[]
  readonly set: ValidatorSet
  readonly stateRoot?: Uint8Array
  readonly time?: number
  readonly chainId?: string
}

/** A block proposed by validator 0 and committed by every validator of the set at round 0. */
export function committedBlock(o: SampleBlockOptions): Block {
  const chainId = o.chainId ?? TEST_CHAIN_ID
  const header: BlockHeader = {
    chainId,
    height: o.height,
    time: o.time ?? 1_700_000_000_000 + o.height * 1000,
    prevHash: o.prevHash,
    txRoot: txRootOf(o.txs),
    stateRoot: o.stateRoot ?? new Uint8Array(32),
    proposer: o.set.validators[0]!.address,
    validatorsHash: o.set.hash,
  }
  const proposal = createBlock(header, o.txs, null)
  const commit = signedCommit(chainId, o.keys, o.keys.map((_, i) => i), o.height, 0, proposal.hash)
  return createBlock(header, o.txs, commit)
}

/** The CoreError code `f` throws, or 'no error'; fails the test on any other exception. */
export function codeOf(f: () => unknown): CoreErrorCode | 'no error' {
  try {
    f()
    return 'no error'
  } catch (e) {
    assert.ok(e instanceof CoreError, `expected a CoreError, got ${String(e)}`)
    return e.code
  }
}
