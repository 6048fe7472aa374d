/**
 * vm/: the contract VM. Public surface for the node (`createVmExecutor`, `contractAddress`),
 * for the compiler (IR and ABI formats) and for clients (ABI types, code records).
 * Imports only core/: no libp2p, LevelDB, fastify, clock or randomness.
 */
export { createVmExecutor, contractAddress, readCodeRecord, readContractAbi, encodeCodeRecord, decodeCodeRecord } from './executor.ts'
export type { VmExecutorOptions, CodeRecord } from './executor.ts'
export { abiFromIr, encodeAbi, decodeAbi } from './abi.ts'
export type { ContractAbi, AbiMethod, AbiEvent, AbiField, AbiType, AbiEnumMember, AbiScalarKind } from './abi.ts'
export {
  IR_MAGIC, IR_VERSION, TypeTag, SlotKind, FnFlag, Op, BinOp, SlotOp, SLOT_OP_SHAPE, Builtin, BUILTIN_ARITY,
  encodeIr, decodeIr, codeHashOf, irNodeChildren, isExprOp, isStmtOp,
} from './ir.ts'
export type { IrModule, IrType, IrSlot, IrEvent, IrFunction, IrNode, BuiltinName } from './ir.ts'
export { DEFAULT_GAS, DEFAULT_LIMITS } from './gas.ts'
export type { GasSchedule, VmLimits } from './gas.ts'
export { VmError, VmErrorCode, isVmError } from './errors.ts'
