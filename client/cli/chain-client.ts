/**
 * What the CLI needs from the chain: the subset of `RpcClient` (client/rpc-client.ts) the
 * commands call. Commands depend on this interface, not on the transport, so they are tested
 * against an in-process fake and run against the real JSON-RPC client (main.ts checks that
 * `RpcClient` satisfies it).
 */
import type { CanonicalValue } from '../../core/encoding.ts'
import type { ChainStatusJson, TxGetJson } from '../../core/rpc-wire.ts'

/** A contract_call answer; `returnValue` may be in JSON form or already decoded. */
export interface ChainCallResult {
  readonly status: 'ok' | 'failed'
  readonly gasUsed: number
  readonly returnValue: unknown
  readonly errorCode: string
  readonly errorMessage: string
}

export interface ChainClient {
  status(): Promise<ChainStatusJson>
  sendTx(bytes: Uint8Array): Promise<string>
  /** The account's next nonce counting its pending txs (account_getNonce's pendingNonce). */
  getNonce(address: string): Promise<{ nonce: number; pendingNonce: number }>
  getTx(idHex: string): Promise<TxGetJson>
  getProof(idHex: string): Promise<unknown>
  call(address: string, method: string, args: CanonicalValue[], caller?: string): Promise<ChainCallResult>
  waitForFinal(idHex: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<TxGetJson>
  close(): void | Promise<void>
}

export type ChainClientFactory = (url: string) => ChainClient | Promise<ChainClient>
