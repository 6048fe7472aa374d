/**
 * Test support: real blocks with real commits, and the tx_proof JSON of rpc.md, for tests of
 * proof verification and of the CLI.
 */
import { createBlock, encodeHeader, txRootOf, type Block } from '../../core/block.ts'
import { createCommit, signVote, VoteType, type CommitCertificate } from '../../core/commit.ts'
import { toHex } from '../../core/hex.ts'
import { formatAddress, type KeyPair } from '../../core/keys.ts'
import { merkleProof } from '../../core/merkle.ts'
import type { TxProofJson } from '../../core/rpc-wire.ts'
import type { SignedTx } from '../../core/tx.ts'
import type { ValidatorSet } from '../../core/validators.ts'

export const FAKE_CHAIN_ID = 'medchain-test'

/** The tx_proof answer of rpc.md for tx #index of a block. */
export function txProofJson(block: Block, index: number): TxProofJson {
  const proof = merkleProof(block.txs.map((t) => t.id), index)
  const h = block.header
  const c = block.commit as CommitCertificate
  return {
    txId: toHex(block.txs[index]!.id), index, leafCount: proof.leafCount, siblings: proof.siblings.map(toHex),
    header: {
      chainId: h.chainId, height: h.height, time: h.time, prevHash: toHex(h.prevHash), txRoot: toHex(h.txRoot),
      stateRoot: toHex(h.stateRoot), proposer: formatAddress(h.proposer), validatorsHash: toHex(h.validatorsHash),
    },
    headerRaw: toHex(encodeHeader(h)), blockHash: toHex(block.hash),
    commit: { height: c.height, round: c.round, blockHash: toHex(c.blockHash), signatures: c.signatures.map(([i, s]) => ({ index: i, signature: toHex(s) })) },
  }
}

/** Builds a block of `txs` at `height`, committed by the validators at `signers`. */
export function committedBlock(validators: readonly KeyPair[], set: ValidatorSet, height: number, prevHash: Uint8Array, txs: readonly SignedTx[], signers: readonly number[]): Block {
  const header = {
    chainId: FAKE_CHAIN_ID, height, time: 1_764_000_000_000 + height * 1000, prevHash, txRoot: txRootOf(txs),
    stateRoot: new Uint8Array(32), proposer: set.validators[height % validators.length]!.address, validatorsHash: set.hash,
  }
  const block = createBlock(header, txs, null)
  const votes = signers.map((i) => signVote(FAKE_CHAIN_ID, { type: VoteType.PRECOMMIT, height, round: 0, blockHash: block.hash, validatorIndex: i }, validators[i]!.secretKey))
  return { ...block, commit: createCommit(height, 0, block.hash, votes) }
}
