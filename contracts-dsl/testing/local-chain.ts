/**
 * An in-memory chain for contract tests: signed transactions executed by the VM's TxExecutor
 * over a StateOverlay / MapStateView, with nonces handled as the node handles them. Not a node:
 * no consensus, no networking; one overlay per "block", sealed by `seal()`.
 */
import type { CanonicalValue } from '../../core/encoding.ts'
import type { BlockContext, CallResult, Receipt } from '../../core/execution.ts'
import { addressFromPublicKey, keyPairFromSecretKey, type KeyPair } from '../../core/keys.ts'
import { MapStateView, StateOverlay, readNonce, writeNonce } from '../../core/state.ts'
import { TxKind, createSignedTx } from '../../core/tx.ts'
import { createVmExecutor, type VmExecutorOptions } from '../../vm/index.ts'
import { compileContract } from '../compiler.ts'
import { deployTxArgs } from '../index.ts'

export interface TestAccount extends KeyPair {
  readonly address: Uint8Array
}

export function testAccount(seed: number): TestAccount {
  const kp = keyPairFromSecretKey(new Uint8Array(32).fill(seed))
  return { ...kp, address: addressFromPublicKey(kp.publicKey) }
}

export const TEST_CHAIN_ID = 'medchain-test'

export class LocalChain {
  readonly base = new MapStateView()
  readonly executor
  overlay: StateOverlay
  height = 1
  gasLimit = 5_000_000

  constructor(options: VmExecutorOptions = {}) {
    this.executor = createVmExecutor(options)
    this.overlay = new StateOverlay(this.base)
  }

  ctx(): BlockContext {
    return { chainId: TEST_CHAIN_ID, height: this.height, time: 1_700_000_000_000 + this.height * 1000, proposer: new Uint8Array(20) }
  }

  send(from: TestAccount, kind: TxKind, target: Uint8Array, method: string, args: CanonicalValue[], gasLimit = this.gasLimit): Receipt {
    const nonce = readNonce(this.overlay, from.address)
    const tx = createSignedTx({ chainId: TEST_CHAIN_ID, kind, nonce, target, method, args, gasLimit }, from.secretKey, from.publicKey)
    writeNonce(this.overlay, from.address, nonce + 1)
    return this.executor.execute(tx, this.overlay, this.ctx())
  }

  /** Compiles and deploys; throws if the deploy fails. Returns the contract address. */
  deploy(from: TestAccount, source: string, constructorArgs: CanonicalValue[] = []): Uint8Array {
    const r = this.send(from, TxKind.DEPLOY, new Uint8Array(0), '', deployTxArgs(compileContract(source), source, constructorArgs))
    if (r.status !== 0) throw new Error(`deploy failed: ${r.errorCode} ${r.errorMessage}`)
    return r.contractAddress
  }

  callTx(from: TestAccount, target: Uint8Array, method: string, args: CanonicalValue[] = [], gasLimit?: number): Receipt {
    return this.send(from, TxKind.CALL, target, method, args, gasLimit)
  }

  /** A read-only call against the overlay's current state (never writes). */
  view(target: Uint8Array, method: string, args: CanonicalValue[] = [], gasCap = 1_000_000): CallResult {
    return this.executor.call(target, method, args, new Uint8Array(20), this.overlay, this.ctx(), gasCap)
  }

  seal(): void {
    this.base.apply(this.overlay.writeSet())
    this.overlay = new StateOverlay(this.base)
    this.height++
  }
}
