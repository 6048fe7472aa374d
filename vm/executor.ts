/**
 * The VM's `TxExecutor` (core/execution.ts): deploys contracts and runs their methods, by
 * transaction (`execute`) or read-only without one (`call`).
 *
 * A failed transaction is a receipt, never an exception: every write the VM made for it is
 * reverted (the overlay's checkpoint), its gas is still charged, and the receipt carries a
 * stable code plus, for `require`, the contract's message verbatim. The node owns nonces.
 *
 * Code record, stored at stateKey.code(address): encode([codeHash, ir, abi, source]).
 * Linked code is cached by code hash; the cache never changes a result or a gas figure (code
 * loading costs the same fixed gas on a hit and a miss).
 */
import { assertCanonicalValue, asArray, asBytes, asString, decode, encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { isCoreError } from '../core/errors.ts'
import { ReceiptStatus, failedReceipt, okReceipt, type BlockContext, type CallResult, type ContractEvent, type Receipt, type TxExecutor } from '../core/execution.ts'
import { domainTag, sha256 } from '../core/hash.ts'
import { bytesEqual, toHex } from '../core/hex.ts'
import { ADDRESS_LENGTH } from '../core/keys.ts'
import { StateOverlay, stateKey, type StateView } from '../core/state.ts'
import { TxKind, type SignedTx } from '../core/tx.ts'
import { abiFromIr, decodeAbi, encodeAbi, type ContractAbi } from './abi.ts'
import { VmError, VmErrorCode } from './errors.ts'
import { DEFAULT_GAS, DEFAULT_LIMITS, type GasSchedule, type VmLimits } from './gas.ts'
import { codeHashOf, decodeIr, FnFlag } from './ir.ts'
import { Machine, invokeFunction, linkContract, type LinkedContract, type LinkedFunction } from './interpreter.ts'
import { fromCanonical, toCanonical } from './values.ts'

export interface VmExecutorOptions {
  /** Consensus rule: override only in tests. */
  readonly gasSchedule?: Partial<GasSchedule>
  /** Consensus rule: override only in tests. */
  readonly limits?: Partial<VmLimits>
  /** Linked contracts kept in memory (by code hash). */
  readonly codeCacheSize?: number
}

/** A contract's address: the first 20 bytes of SHA-256(domainTag('contract') ‖ sender ‖ encode(nonce)). */
export function contractAddress(sender: Uint8Array, nonce: number): Uint8Array {
  return sha256(domainTag('contract'), sender, encodeTrusted(nonce)).slice(0, ADDRESS_LENGTH)
}

export interface CodeRecord {
  readonly codeHash: Uint8Array
  readonly ir: Uint8Array
  readonly abiBytes: Uint8Array
  readonly source: string
}

export function encodeCodeRecord(r: CodeRecord): Uint8Array {
  return encodeTrusted([r.codeHash, r.ir, r.abiBytes, r.source])
}

export function decodeCodeRecord(bytes: Uint8Array): CodeRecord {
  const r = asArray(decode(bytes), 4, 'code record')
  return { codeHash: asBytes(r[0], 'codeHash', 32), ir: asBytes(r[1], 'ir'), abiBytes: asBytes(r[2], 'abi'), source: asString(r[3], 'source', 1 << 20) }
}

/** The code record of the contract at `address`, for explorers, auditors and clients. */
export function readCodeRecord(state: StateView, address: Uint8Array): CodeRecord | undefined {
  const raw = state.get(stateKey.code(address))
  return raw ? decodeCodeRecord(raw) : undefined
}

/** The ABI of the contract at `address`, or undefined. */
export function readContractAbi(state: StateView, address: Uint8Array): ContractAbi | undefined {
  const r = readCodeRecord(state, address)
  return r ? decodeAbi(r.abiBytes) : undefined
}

interface Outcome {
  readonly ok: boolean
  readonly gasUsed: number
  readonly events: readonly ContractEvent[]
  readonly returnValue: CanonicalValue
  readonly errorCode: string
  readonly errorMessage: string
}

/** Tracks gas before a Machine exists (intrinsic costs) and after (the machine's own counter). */
class GasMeter {
  remaining: number
  machine: Machine | null = null
  constructor(readonly limit: number) {
    this.remaining = limit
  }
  charge(n: number): void {
    if ((this.remaining -= n) < 0) throw new VmError(VmErrorCode.OUT_OF_GAS, 'out of gas')
  }
  used(outOfGas: boolean): number {
    if (outOfGas) return this.limit
    const left = this.machine ? this.machine.gas : this.remaining
    return Math.min(this.limit, this.limit - Math.max(0, left))
  }
}

function errorParts(e: unknown): [code: string, message: string] {
  if (e instanceof VmError) return [e.code, e.message]
  if (isCoreError(e)) return [VmErrorCode.INTERNAL_ERROR, e.message]
  return [VmErrorCode.INTERNAL_ERROR, e instanceof Error ? `${e.name}: ${e.message}` : 'unknown failure']
}

function failedOutcome(e: unknown, meter: GasMeter): Outcome {
  const [code, message] = errorParts(e)
  return { ok: false, gasUsed: meter.used(code === VmErrorCode.OUT_OF_GAS), events: [], returnValue: null, errorCode: code, errorMessage: message }
}

export function createVmExecutor(options: VmExecutorOptions = {}): TxExecutor {
  const g: GasSchedule = { ...DEFAULT_GAS, ...options.gasSchedule }
  const limits: VmLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const cacheSize = options.codeCacheSize ?? 256
  const cache = new Map<string, LinkedContract>()

  function remember(hashHex: string, c: LinkedContract): LinkedContract {
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
    cache.set(hashHex, c)
    return c
  }

  function loadContract(state: StateView, address: Uint8Array): LinkedContract {
    const raw = state.get(stateKey.code(address))
    if (raw === undefined) throw new VmError(VmErrorCode.NO_CONTRACT, `no contract at ${toHex(address)}`)
    // Fast path: the record is [bin8(32) codeHash, …], so the hash sits at bytes 3..35.
    if (raw.length > 35 && raw[0] === 0x94 && raw[1] === 0xc4 && raw[2] === 0x20) {
      const hit = cache.get(Buffer.from(raw.buffer, raw.byteOffset + 3, 32).toString('hex'))
      if (hit) return hit
    }
    let record: CodeRecord
    try {
      record = decodeCodeRecord(raw)
    } catch {
      throw new VmError(VmErrorCode.NO_CONTRACT, `the code record at ${toHex(address)} does not decode`)
    }
    if (!bytesEqual(codeHashOf(record.ir), record.codeHash)) throw new VmError(VmErrorCode.BAD_CODE, 'stored code does not match its hash')
    return remember(Buffer.from(record.codeHash).toString('hex'), linkContract(decodeIr(record.ir, limits)))
  }

  function convertArgs(fn: LinkedFunction, args: readonly CanonicalValue[], what: string): unknown[] {
    if (!Array.isArray(args) || args.length !== fn.paramTypes.length) {
      throw new VmError(VmErrorCode.BAD_ARGS, `${what} takes ${fn.paramTypes.length} arguments, got ${Array.isArray(args) ? args.length : 'none'}`)
    }
    return fn.paramTypes.map((t, i) => {
      try {
        return fromCanonical(t, args[i], limits, `argument ${i + 1} (${fn.ir.paramNames[i]})`)
      } catch (e) {
        if (e instanceof VmError) throw new VmError(VmErrorCode.BAD_ARGS, `${what}: ${e.message}`)
        throw e
      }
    })
  }

  function newMachine(meter: GasMeter, contract: LinkedContract, state: StateOverlay, address: Uint8Array, caller: Uint8Array, ctx: BlockContext, readOnly: boolean): Machine {
    const m = new Machine({ contract, state, address, caller, height: ctx.height, time: ctx.time, gas: meter.remaining, readOnly, schedule: g, limits })
    meter.machine = m
    return m
  }

  function finishReturn(m: Machine, fn: LinkedFunction, value: unknown): CanonicalValue {
    const out = toCanonical(fn.returnType, value, limits, `return value of ${fn.ir.name}`)
    if (out === null) return null
    const size = encodeTrusted(out).length
    if (size > limits.maxReturnBytes) throw new VmError(VmErrorCode.RETURN_TOO_LARGE, `return value is ${size} bytes, limit ${limits.maxReturnBytes}`)
    m.charge(g.returnPerByte * size)
    return out
  }

  /** Runs a method against `state` (the caller checkpoints / reverts around it). */
  function runMethod(state: StateOverlay, target: Uint8Array, method: string, args: readonly CanonicalValue[], caller: Uint8Array, ctx: BlockContext, gasLimit: number): Outcome {
    const meter = new GasMeter(gasLimit)
    try {
      let argBytes: number
      try {
        assertCanonicalValue(args as CanonicalValue)
        argBytes = encodeTrusted(args as CanonicalValue[]).length
      } catch (e) {
        throw new VmError(VmErrorCode.BAD_ARGS, `arguments are not canonical values: ${errorParts(e)[1]}`)
      }
      meter.charge(g.callBase + g.callPerArgByte * argBytes + g.codeLoad)
      if (argBytes > limits.maxArgBytes) throw new VmError(VmErrorCode.BAD_ARGS, `arguments are ${argBytes} bytes, limit ${limits.maxArgBytes}`)
      if (!(target instanceof Uint8Array) || target.length !== ADDRESS_LENGTH) throw new VmError(VmErrorCode.NO_CONTRACT, 'the target must be a 20-byte contract address')
      const contract = loadContract(state, target)
      const fn = contract.methods.get(method)
      if (!fn) throw new VmError(VmErrorCode.NO_METHOD, `the contract has no method '${method}'`)
      const values = convertArgs(fn, args, method)
      const m = newMachine(meter, contract, state, target, caller, ctx, (fn.ir.flags & FnFlag.READ_ONLY) !== 0)
      const ret = invokeFunction(m, fn, values)
      const returnValue = finishReturn(m, fn, ret)
      return { ok: true, gasUsed: meter.used(false), events: m.events, returnValue, errorCode: '', errorMessage: '' }
    } catch (e) {
      return failedOutcome(e, meter)
    }
  }

  function deploy(tx: SignedTx, state: StateOverlay, ctx: BlockContext): Receipt {
    const meter = new GasMeter(tx.gasLimit)
    state.checkpoint()
    try {
      meter.charge(g.deployBase + g.deployPerByte * encodeTrusted(tx.args as CanonicalValue[]).length)
      if (tx.target.length !== 0 || tx.method !== '') throw new VmError(VmErrorCode.BAD_DEPLOY, 'a deploy has an empty target and method')
      const [ir, abiBytes, source, ctorArgs] = tx.args
      if (tx.args.length !== 4 || !(ir instanceof Uint8Array) || !(abiBytes instanceof Uint8Array) || typeof source !== 'string' || !Array.isArray(ctorArgs)) {
        throw new VmError(VmErrorCode.BAD_DEPLOY, 'deploy args must be [ir: bytes, abi: bytes, source: string, constructorArgs: list]')
      }
      const module = decodeIr(ir, limits)
      let expected: Uint8Array
      try {
        expected = encodeAbi(abiFromIr(module))
      } catch (e) {
        throw new VmError(VmErrorCode.BAD_CODE, `the IR's ABI does not encode: ${errorParts(e)[1]}`)
      }
      if (!bytesEqual(abiBytes, expected)) throw new VmError(VmErrorCode.BAD_ABI, 'the ABI is not the one the IR implies (recompile)')
      const address = contractAddress(tx.sender, tx.nonce)
      const codeKey = stateKey.code(address)
      if (state.get(codeKey) !== undefined) throw new VmError(VmErrorCode.CONTRACT_EXISTS, `a contract already exists at ${toHex(address)}`)
      const codeHash = codeHashOf(ir)
      state.set(codeKey, encodeCodeRecord({ codeHash, ir, abiBytes, source }))
      const contract = cache.get(Buffer.from(codeHash).toString('hex')) ?? remember(Buffer.from(codeHash).toString('hex'), linkContract(module))
      let events: readonly ContractEvent[] = []
      if (contract.init) {
        const values = convertArgs(contract.init, ctorArgs as CanonicalValue[], 'the constructor')
        const m = newMachine(meter, contract, state, address, tx.sender, ctx, false)
        invokeFunction(m, contract.init, values)
        events = m.events
      } else if ((ctorArgs as CanonicalValue[]).length !== 0) {
        throw new VmError(VmErrorCode.BAD_ARGS, 'the contract has no constructor; pass no constructor arguments')
      }
      state.commit()
      return okReceipt(meter.used(false), { events, contractAddress: address })
    } catch (e) {
      state.revert()
      const o = failedOutcome(e, meter)
      return failedReceipt(o.gasUsed, o.errorCode, o.errorMessage)
    }
  }

  return {
    kinds: [TxKind.DEPLOY, TxKind.CALL],

    execute(tx: SignedTx, state: StateOverlay, ctx: BlockContext): Receipt {
      if (tx.kind === TxKind.DEPLOY) return deploy(tx, state, ctx)
      if (tx.kind !== TxKind.CALL) return failedReceipt(0, VmErrorCode.UNSUPPORTED_KIND, `the VM does not execute tx kind ${tx.kind}`)
      state.checkpoint()
      const o = runMethod(state, tx.target, tx.method, tx.args, tx.sender, ctx, tx.gasLimit)
      if (o.ok) {
        state.commit()
        return okReceipt(o.gasUsed, { events: o.events, returnValue: o.returnValue })
      }
      state.revert()
      return failedReceipt(o.gasUsed, o.errorCode, o.errorMessage)
    },

    call(target: Uint8Array, method: string, args: readonly CanonicalValue[], caller: Uint8Array, view: StateView, ctx: BlockContext, gasCap: number): CallResult {
      // A throwaway overlay: whatever the method does, `view` is never written.
      const scratch = new StateOverlay(view)
      const who = caller instanceof Uint8Array && caller.length === ADDRESS_LENGTH ? caller : new Uint8Array(ADDRESS_LENGTH)
      const cap = Number.isSafeInteger(gasCap) && gasCap > 0 ? gasCap : 0
      const o = runMethod(scratch, target, method, args, who, ctx, cap)
      return { status: o.ok ? ReceiptStatus.OK : ReceiptStatus.FAILED, gasUsed: o.gasUsed, returnValue: o.returnValue, errorCode: o.errorCode, errorMessage: o.errorMessage }
    },
  }
}
