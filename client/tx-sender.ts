/**
 * Sends built transactions and recovers the sender's nonce from the node's answers.
 *
 * The RPC contract (rpc.md) has no "account nonce" query, but a refused tx says what the chain
 * expects: TX_REJECTED with data {code: NONCE_TOO_LOW | NONCE_GAP, expected} (core
 * validateTxNonce). So the first send runs alone: on a nonce refusal it resyncs the builder to
 * `expected` and rebuilds; on DUPLICATE_TX (another tx of ours already holds that nonce in the
 * mempool) it moves one nonce up. Once one tx is accepted the nonce is known and later sends run
 * concurrently (pipelining), counted locally by the TxBuilder.
 */
import { toHex } from '../core/hex.ts'
import type { SignedTx } from '../core/tx.ts'
import { ClientError, ClientErrorCode } from './errors.ts'
import type { TxBuilder } from './tx-builder.ts'

export interface TxSubmitter {
  /** Resolves with the tx id (0x hex) once the node accepted the tx into its mempool. */
  sendTx(bytes: Uint8Array): Promise<string>
}

/** The stable string code and data of an RPC error (RpcError has `dataCode` and `data`). */
export function rpcDataCode(e: unknown): string | undefined {
  const err = e as { dataCode?: unknown; data?: { code?: unknown } } | null
  if (typeof err?.dataCode === 'string') return err.dataCode
  if (typeof err?.data?.code === 'string') return err.data.code
  return undefined
}

function expectedNonce(e: unknown): number | undefined {
  const n = (e as { data?: { expected?: unknown } } | null)?.data?.expected
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

export interface TxSenderOptions {
  /** Nonce refusals and duplicate nonces tolerated while learning the nonce (default 64). */
  readonly maxNonceRetries?: number
}

export class TxSender {
  private calibrated = false
  private calibrating: Promise<unknown> | null = null
  private readonly maxRetries: number

  constructor(private readonly builder: TxBuilder, private readonly submitter: TxSubmitter, options: TxSenderOptions = {}) {
    this.maxRetries = options.maxNonceRetries ?? 64
  }

  /**
   * Builds (with `build`) and sends a tx; returns the accepted tx.
   * @throws the node's refusal (an RpcError) when it is not about the nonce, ClientError
   *   BAD_NONCE_SOURCE when the nonce cannot be learned, and any build error.
   */
  async send(build: (builder: TxBuilder) => Promise<SignedTx>): Promise<SignedTx> {
    while (!this.calibrated) {
      if (this.calibrating) {
        await this.calibrating.catch(() => undefined)
        continue
      }
      const attempt = this.sendLearningNonce(build)
      this.calibrating = attempt
      try {
        const tx = await attempt
        this.calibrated = true
        return tx
      } finally {
        this.calibrating = null
      }
    }
    const tx = await build(this.builder)
    try {
      await this.submitter.sendTx(tx.bytes)
    } catch (e) {
      // The counter is now unreliable: the next send learns the nonce again.
      const code = rpcDataCode(e)
      if (code === 'NONCE_TOO_LOW' || code === 'NONCE_GAP') {
        this.calibrated = false
        this.builder.resync(expectedNonce(e))
      }
      throw e
    }
    return tx
  }

  private async sendLearningNonce(build: (builder: TxBuilder) => Promise<SignedTx>): Promise<SignedTx> {
    for (let attempt = 0; ; attempt++) {
      const tx = await build(this.builder)
      try {
        await this.submitter.sendTx(tx.bytes)
        return tx
      } catch (e) {
        const code = rpcDataCode(e)
        if (attempt >= this.maxRetries || (code !== 'NONCE_TOO_LOW' && code !== 'NONCE_GAP' && code !== 'DUPLICATE_TX')) {
          if (attempt >= this.maxRetries && code !== undefined) {
            throw new ClientError(ClientErrorCode.BAD_NONCE_SOURCE, `could not find a free nonce for ${this.builder.address} after ${attempt + 1} tries (last: ${code} for tx ${toHex(tx.id)})`)
          }
          throw e
        }
        if (code === 'DUPLICATE_TX') {
          this.builder.resync(tx.nonce + 1)
        } else {
          const expected = expectedNonce(e)
          if (expected === undefined || expected === tx.nonce) throw e
          this.builder.resync(expected)
        }
      }
    }
  }
}
