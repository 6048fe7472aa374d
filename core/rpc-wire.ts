/**
 * The JSON-RPC wire contract as types (see /work/brief/rpc.md and node/rpc/README.md): the
 * result shapes and error codes shared by the server (node/rpc) and the client
 * (client/rpc-client.ts), so that both compile against one definition and drift is a type error.
 * Types and constants only; the JSON schemas served as OpenRPC live in node/rpc/schemas.ts.
 *
 * Text forms: hashes, ids, keys, signatures and raw bytes are "0x" + lowercase hex; addresses
 * are "mc" + 40 hex; canonical values use core/json-value.ts.
 */
import type { JsonValue } from './json-value.ts'

/** JSON-RPC error codes: the standard ones and medchain's application range. */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  TX_REJECTED: -32000,
  NOT_FOUND: -32001,
  RATE_LIMITED: -32002,
  SUBSCRIPTION_DROPPED: -32003,
  CALL_FAILED: -32004,
  REQUEST_TOO_LARGE: -32005,
  TIMEOUT: -32006,
} as const
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

/** `error.data` of every error response: `code` is a stable string (e.g. BAD_SIGNATURE). */
export interface RpcErrorData {
  readonly code: string
  readonly [key: string]: unknown
}

export interface RpcErrorObject {
  readonly code: number
  readonly message: string
  readonly data: RpcErrorData
}

export type RpcId = string | number | null

export interface RpcResponse {
  readonly jsonrpc: '2.0'
  readonly id: RpcId
  readonly result?: unknown
  readonly error?: RpcErrorObject
}

export interface ValidatorJson { readonly index: number; readonly address: string; readonly publicKey: string }
export interface PeerJson { readonly publicKey: string; readonly address: string }

export interface ChainStatusJson {
  readonly chainId: string
  readonly height: number
  readonly latestBlockHash: string
  readonly latestBlockTime: number
  readonly validators: readonly ValidatorJson[]
  readonly quorumMode: 'bft' | 'majority'
  readonly quorum: number
  readonly peers: readonly PeerJson[]
  readonly syncing: boolean
  readonly nodeAddress?: string
}

export interface HeaderJson {
  readonly chainId: string
  readonly height: number
  readonly time: number
  readonly prevHash: string
  readonly txRoot: string
  readonly stateRoot: string
  readonly proposer: string
  readonly validatorsHash: string
}

export interface CommitJson {
  readonly height: number
  readonly round: number
  readonly blockHash: string
  readonly signatures: readonly { readonly index: number; readonly signature: string }[]
}

export interface TxJson {
  readonly id: string
  readonly chainId: string
  readonly kind: number
  readonly sender: string
  readonly senderPublicKey: string
  readonly nonce: number
  /** Contract address, or null for a deploy. */
  readonly target: string | null
  readonly method: string
  readonly args: readonly JsonValue[]
  readonly gasLimit: number
  readonly signature: string
  /** Hex of the canonical signed bytes. */
  readonly raw: string
}

export interface BlockJson {
  readonly hash: string
  readonly header: HeaderJson
  /** Tx ids, or full txs with `fullTxs: true`. */
  readonly txs: readonly string[] | readonly TxJson[]
  readonly commit: CommitJson | null
}

export interface EventJson { readonly contract: string; readonly name: string; readonly data: readonly JsonValue[] }

export interface ReceiptJson {
  readonly status: 'ok' | 'failed'
  readonly gasUsed: number
  readonly events: readonly EventJson[]
  readonly returnValue: JsonValue
  readonly errorCode: string
  readonly errorMessage: string
  readonly contractAddress: string | null
}

export type TxStatus = 'pending' | 'final' | 'failed'

export interface TxGetJson {
  readonly tx: TxJson
  readonly status: TxStatus
  readonly height?: number
  readonly index?: number
  readonly blockHash?: string
  readonly receipt?: ReceiptJson
}

export interface TxProofJson {
  readonly txId: string
  readonly index: number
  readonly leafCount: number
  readonly siblings: readonly string[]
  readonly header: HeaderJson
  /** Hex of the canonical header bytes: SHA-256d of them is `blockHash`. */
  readonly headerRaw: string
  readonly blockHash: string
  readonly commit: CommitJson | null
}

export interface AccountNonceJson {
  readonly address: string
  readonly nonce: number
  readonly pendingNonce: number
}

export interface CallResultJson {
  readonly status: 'ok' | 'failed'
  readonly gasUsed: number
  readonly returnValue: JsonValue
  readonly errorCode: string
  readonly errorMessage: string
}

export type SubscribeParams =
  | { readonly kind: 'blocks'; readonly txs?: boolean }
  | { readonly kind: 'events'; readonly contract?: string; readonly name?: string }

/**
 * A final tx as listed in a block notification subscribed with `txs: true`. A failed one also
 * says why (its receipt's errorCode and errorMessage) and a deploy where its contract lives, so
 * the sender needs no `tx_get` to learn either.
 */
export interface BlockTxJson {
  readonly id: string
  readonly status: 'ok' | 'failed'
  /** Only when failed. */
  readonly errorCode?: string
  /** Only when failed. */
  readonly errorMessage?: string
  /** Only for a deploy that succeeded: the new contract's address. */
  readonly contractAddress?: string
}
export interface BlockNotificationJson {
  readonly height: number
  readonly hash: string
  readonly time: number
  readonly txCount: number
  /** Only with `{kind: 'blocks', txs: true}`: every tx of the block in order, with its receipt's status (and error when failed, contract address when deployed). */
  readonly txs?: readonly BlockTxJson[]
}
export interface EventNotificationJson {
  readonly height: number
  readonly txId: string
  readonly contract: string
  readonly name: string
  readonly data: readonly JsonValue[]
}

/**
 * `{"jsonrpc":"2.0","method":"subscription","params": SubscriptionNotificationParams}`: either a
 * result or, once, an error (SUBSCRIPTION_DROPPED) after which the server closes the socket.
 */
export interface SubscriptionNotificationParams {
  readonly subscription: string
  readonly result?: BlockNotificationJson | EventNotificationJson
  readonly error?: RpcErrorObject
}

export const SUBSCRIPTION_NOTIFICATION_METHOD = 'subscription'
