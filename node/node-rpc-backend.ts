/**
 * The RPC server's door into a running node (node/rpc/backend.ts). Finality is immediate: a tx
 * is 'final' as soon as its block is in the store, because the store writes the tx index and
 * receipts in the block's own atomic batch.
 */
import { ReceiptStatus, addressFromPublicKey, type CanonicalValue } from '../core/index.ts'
import type { MedchainNode } from './node.ts'
import type { ChainStatus, RpcBackend, TxLookup } from './rpc/backend.ts'

/** Gas cap of a read-only call (no transaction pays for it). */
export const READ_ONLY_GAS_CAP = 10_000_000

export function createNodeRpcBackend(node: MedchainNode): RpcBackend {
  return {
    async status(): Promise<ChainStatus> {
      const chain = node.chain
      const head = chain.store.getHead()
      const header = await chain.latestHeader()
      const set = node.genesis.validatorSet
      const key = node.validatorKey
      return {
        chainId: node.genesis.chainId,
        height: head.height,
        latestBlockHash: head.height === 0 ? node.genesis.hash : head.hash,
        latestBlockTime: header?.time ?? node.genesis.genesisTime,
        validators: set.validators,
        quorumMode: set.quorumMode,
        quorum: set.quorum,
        peers: node.connectedPeers().map((publicKey) => ({ publicKey, address: addressFromPublicKey(publicKey) })),
        syncing: node.syncing(),
        ...(key ? { nodeAddress: addressFromPublicKey(key.publicKey) } : {}),
      }
    },
    getBlockByHeight: (height) => node.chain.store.getBlock(height),
    async getBlockByHash(hash) {
      const h = await node.chain.store.getHeightByHash(hash)
      return h === undefined ? undefined : node.chain.store.getBlock(h)
    },
    async submitTx(bytes) {
      return node.submitTx(bytes).id
    },
    async getTx(id): Promise<TxLookup | undefined> {
      const store = node.chain.store
      const loc = await store.getTxLocation(id)
      if (!loc) {
        const pending = node.chain.mempool.get(id)
        return pending ? { tx: pending, status: 'pending' } : undefined
      }
      const [found, receipt] = await Promise.all([store.getBlockTx(loc), store.getReceipt(id)])
      const { tx, blockHash } = found!
      return {
        tx, status: receipt?.status === ReceiptStatus.OK ? 'final' : 'failed',
        height: loc.height, index: loc.index, blockHash, ...(receipt ? { receipt } : {}),
      }
    },
    async getTxProof(id) {
      const loc = await node.chain.store.getTxLocation(id)
      if (!loc) return undefined
      const block = (await node.chain.store.getBlock(loc.height))!
      return { block, index: loc.index }
    },
    getEvidence: async () => node.evidence(),
    async getAccountNonce(address) {
      const nonce = node.chain.nonceOf(address)
      const pending = node.chain.mempool.pendingNonces(address)
      // Pending nonces are contiguous from `nonce` only up to the first gap.
      let pendingNonce = nonce
      for (const n of pending) if (n === pendingNonce) pendingNonce++
      return { nonce, pendingNonce }
    },
    callContract: (target, method, args: CanonicalValue[], caller) => node.chain.callReadOnly(target, method, args, caller, READ_ONLY_GAS_CAP),
    onFinalBlock: (listener) => node.chain.onFinalBlock(listener),
  }
}
