/**
 * Core objects → their JSON wire form (core/rpc-wire.ts). Pure functions, no I/O.
 */
import { encodeHeader, type Block, type BlockHeader } from '../../core/block.ts'
import type { CommitCertificate } from '../../core/commit.ts'
import type { CallResult, ContractEvent, Receipt } from '../../core/execution.ts'
import { toHex } from '../../core/hex.ts'
import { toJsonValue } from '../../core/json-value.ts'
import { formatAddress } from '../../core/keys.ts'
import { merkleProof } from '../../core/merkle.ts'
import type {
  BlockJson, BlockNotificationJson, BlockTxJson, CallResultJson, ChainStatusJson, CommitJson, EventJson, EventNotificationJson,
  HeaderJson, ReceiptJson, TxGetJson, TxJson, TxProofJson,
} from '../../core/rpc-wire.ts'
import type { SignedTx } from '../../core/tx.ts'
import type { ChainStatus, TxLookup } from './backend.ts'

/** An empty address field (a deploy's target, a call's contractAddress) is null on the wire. */
const addressOrNull = (address: Uint8Array): string | null => (address.length === 0 ? null : formatAddress(address))

export function formatStatus(s: ChainStatus): ChainStatusJson {
  return {
    chainId: s.chainId,
    height: s.height,
    latestBlockHash: toHex(s.latestBlockHash),
    latestBlockTime: s.latestBlockTime,
    validators: s.validators.map((v, index) => ({ index, address: formatAddress(v.address), publicKey: toHex(v.publicKey) })),
    quorumMode: s.quorumMode,
    quorum: s.quorum,
    peers: s.peers.map((p) => ({ publicKey: toHex(p.publicKey), address: formatAddress(p.address) })),
    syncing: s.syncing,
    ...(s.nodeAddress ? { nodeAddress: formatAddress(s.nodeAddress) } : {}),
  }
}

export function formatHeader(h: BlockHeader): HeaderJson {
  return {
    chainId: h.chainId,
    height: h.height,
    time: h.time,
    prevHash: toHex(h.prevHash),
    txRoot: toHex(h.txRoot),
    stateRoot: toHex(h.stateRoot),
    proposer: formatAddress(h.proposer),
    validatorsHash: toHex(h.validatorsHash),
  }
}

export function formatCommit(c: CommitCertificate | null): CommitJson | null {
  if (c === null) return null
  return {
    height: c.height,
    round: c.round,
    blockHash: toHex(c.blockHash),
    signatures: c.signatures.map(([index, signature]) => ({ index, signature: toHex(signature) })),
  }
}

export function formatTx(tx: SignedTx): TxJson {
  return {
    id: toHex(tx.id),
    chainId: tx.chainId,
    kind: tx.kind,
    sender: formatAddress(tx.sender),
    senderPublicKey: toHex(tx.senderPublicKey),
    nonce: tx.nonce,
    target: addressOrNull(tx.target),
    method: tx.method,
    args: tx.args.map((a, i) => toJsonValue(a, `args[${i}]`)),
    gasLimit: tx.gasLimit,
    signature: toHex(tx.signature),
    raw: toHex(tx.bytes),
  }
}

export function formatBlock(block: Block, fullTxs: boolean): BlockJson {
  return {
    hash: toHex(block.hash),
    header: formatHeader(block.header),
    txs: fullTxs ? block.txs.map(formatTx) : block.txs.map((t) => toHex(t.id)),
    commit: formatCommit(block.commit),
  }
}

export function formatEvent(e: ContractEvent): EventJson {
  return { contract: formatAddress(e.contract), name: e.name, data: e.data.map((d) => toJsonValue(d)) }
}

export function formatReceipt(r: Receipt): ReceiptJson {
  return {
    status: r.status === 0 ? 'ok' : 'failed',
    gasUsed: r.gasUsed,
    events: r.events.map(formatEvent),
    returnValue: toJsonValue(r.returnValue),
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    contractAddress: addressOrNull(r.contractAddress),
  }
}

export function formatTxLookup(found: TxLookup): TxGetJson {
  return {
    tx: formatTx(found.tx),
    status: found.status,
    ...(found.height !== undefined ? { height: found.height } : {}),
    ...(found.index !== undefined ? { index: found.index } : {}),
    ...(found.blockHash !== undefined ? { blockHash: toHex(found.blockHash) } : {}),
    ...(found.receipt !== undefined ? { receipt: formatReceipt(found.receipt) } : {}),
  }
}

/** Builds the inclusion proof of tx #index of a block (RFC 9162 audit path over tx ids). */
export function formatTxProof(block: Block, index: number): TxProofJson {
  const tx = block.txs[index]
  if (!tx) throw new RangeError(`block ${block.header.height} has no tx #${index}`)
  const proof = merkleProof(block.txs.map((t) => t.id), index)
  return {
    txId: toHex(tx.id),
    index: proof.index,
    leafCount: proof.leafCount,
    siblings: proof.siblings.map(toHex),
    header: formatHeader(block.header),
    headerRaw: toHex(encodeHeader(block.header)),
    blockHash: toHex(block.hash),
    commit: formatCommit(block.commit),
  }
}

export function formatCallResult(r: CallResult): CallResultJson {
  return {
    status: r.status === 0 ? 'ok' : 'failed',
    gasUsed: r.gasUsed,
    returnValue: toJsonValue(r.returnValue),
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
  }
}

export function formatBlockNotification(block: Block, receipts?: readonly Receipt[]): BlockNotificationJson {
  const head = { height: block.header.height, hash: toHex(block.hash), time: block.header.time, txCount: block.txs.length }
  if (!receipts) return head
  return { ...head, txs: block.txs.map((tx, i) => blockTx(tx, receipts[i])) }
}

function blockTx(tx: SignedTx, receipt: Receipt | undefined): BlockTxJson {
  const id = toHex(tx.id)
  if (receipt === undefined) return { id, status: 'failed' }
  if (receipt.status === 0) {
    const contractAddress = addressOrNull(receipt.contractAddress)
    return contractAddress === null ? { id, status: 'ok' } : { id, status: 'ok', contractAddress }
  }
  return { id, status: 'failed', errorCode: receipt.errorCode, errorMessage: receipt.errorMessage }
}

export function formatEventNotification(block: Block, txIndex: number, event: ContractEvent): EventNotificationJson {
  const tx = block.txs[txIndex]
  return {
    height: block.header.height,
    txId: tx ? toHex(tx.id) : '0x',
    contract: formatAddress(event.contract),
    name: event.name,
    data: event.data.map((d) => toJsonValue(d)),
  }
}
