/**
 * Replays a store's blocks from genesis in memory and checks that every block links to its
 * parent, carries a valid commit certificate, re-executes to its header's state root, and that
 * the replayed state equals the stored state entry for entry. Used by crash tests, and by
 * operators who suspect a damaged data directory.
 */
import {
  MapStateView, bytesEqual, toHex, verifyCommit, type BlockContext,
} from '../../core/index.ts'
import type { BlockExecutor } from '../execution/block-executor.ts'
import type { Genesis } from '../genesis.ts'
import type { ChainStore } from './chain-store.ts'

export interface ReplayReport {
  readonly height: number
  readonly stateEntries: number
}

/** @throws Error naming the first block or state entry that does not check out. */
export async function replayCheck(store: ChainStore, genesis: Genesis, executor: BlockExecutor): Promise<ReplayReport> {
  const head = store.getHead()
  const state = new MapStateView()
  let prevHash = genesis.hash
  let stateRoot = new Uint8Array(32)
  for (let h = 1; h <= head.height; h++) {
    const block = await store.getBlock(h)
    if (!block) throw new Error(`block ${h} missing below head ${head.height}`)
    if (!bytesEqual(block.header.prevHash, prevHash)) throw new Error(`block ${h} does not link to block ${h - 1}`)
    if (!block.commit) throw new Error(`block ${h} has no commit certificate`)
    verifyCommit(genesis.chainId, genesis.validatorSet, block.commit, h, block.hash)
    const ctx: BlockContext = { chainId: genesis.chainId, height: h, time: block.header.time, proposer: block.header.proposer }
    const body = executor.executeBlock(state, stateRoot, block.txs, ctx)
    if (!bytesEqual(body.stateRoot, block.header.stateRoot)) throw new Error(`block ${h}: replayed state root ${toHex(body.stateRoot)} differs from header ${toHex(block.header.stateRoot)}`)
    state.apply(body.stateWrites)
    for (let i = 0; i < block.txs.length; i++) {
      const loc = await store.getTxLocation(block.txs[i]!.id)
      if (!loc || loc.height !== h || loc.index !== i) throw new Error(`tx index wrong for block ${h} tx ${i}`)
      if (!(await store.getReceipt(block.txs[i]!.id))) throw new Error(`receipt missing for block ${h} tx ${i}`)
    }
    prevHash = block.hash
    stateRoot = new Uint8Array(block.header.stateRoot)
  }
  if (!bytesEqual(stateRoot, head.stateRoot) || (head.height > 0 && !bytesEqual(prevHash, head.hash))) throw new Error('head record does not match the last block')
  if (state.size !== store.state.size) throw new Error(`stored state has ${store.state.size} entries, replay gives ${state.size}`)
  for (const [k, v] of state.entries()) {
    const stored = store.state.get(k)
    if (!stored || !bytesEqual(stored, v)) throw new Error(`state entry ${toHex(k)} differs from the replay`)
  }
  return { height: head.height, stateEntries: state.size }
}
