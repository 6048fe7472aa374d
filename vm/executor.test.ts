/**
 * The VM against hand-written IR: malicious or malformed code is refused at deploy or fails
 * safely at run time; failures revert; read-only calls never write; the executor never throws.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { ReceiptStatus, type BlockContext, type Receipt } from '../core/execution.ts'
import { addressFromPublicKey, keyPairFromSecretKey } from '../core/keys.ts'
import { MapStateView, StateOverlay, stateKey } from '../core/state.ts'
import { TxKind, createSignedTx } from '../core/tx.ts'
import { abiFromIr, encodeAbi } from './abi.ts'
import { contractAddress, createVmExecutor } from './executor.ts'
import { BinOp, Builtin, FnFlag, IR_MAGIC, IR_VERSION, Op, SlotKind, SlotOp, TypeTag, encodeIr, type IrModule, type IrNode } from './ir.ts'

const kp = keyPairFromSecretKey(new Uint8Array(32).fill(5))
const sender = addressFromPublicKey(kp.publicKey)
const ctx: BlockContext = { chainId: 'vm-test', height: 7, time: 1_700_000_000_000, proposer: new Uint8Array(20) }
const INT = 0
const STR = 1
const VOID = 2
const TYPES = [{ tag: TypeTag.INT }, { tag: TypeTag.STRING }, { tag: TypeTag.VOID }] as const

function fn(name: string, body: number, opts: { params?: number[]; ret?: number; locals?: number; flags?: number } = {}) {
  const params = opts.params ?? []
  return { name, paramNames: params.map((_, i) => `p${i}`), paramTypes: params, returnType: opts.ret ?? VOID, nLocals: opts.locals ?? params.length, body, flags: opts.flags ?? FnFlag.EXPORTED }
}

function module(nodes: IrNode[], functions: IrModule['functions'], slots: IrModule['slots'] = []): IrModule {
  return { types: [...TYPES], slots, events: [], functions, nodes }
}

function deployTx(ir: Uint8Array, abi: Uint8Array, nonce = 0, ctorArgs: CanonicalValue[] = []) {
  return createSignedTx({ chainId: 'vm-test', kind: TxKind.DEPLOY, nonce, target: new Uint8Array(0), method: '', args: [ir, abi, 'source', ctorArgs], gasLimit: 2_000_000 }, kp.secretKey, kp.publicKey)
}

function setup(m: IrModule) {
  const base = new MapStateView()
  const overlay = new StateOverlay(base)
  const executor = createVmExecutor()
  const ir = encodeIr(m)
  const r = executor.execute(deployTx(ir, encodeAbi(abiFromIr(m))), overlay, ctx)
  assert.equal(r.status, ReceiptStatus.OK, `${r.errorCode} ${r.errorMessage}`)
  base.apply(overlay.writeSet())
  let nonce = 1
  const call = (method: string, args: CanonicalValue[] = [], gasLimit = 1_000_000): Receipt => {
    const tx = createSignedTx({ chainId: 'vm-test', kind: TxKind.CALL, nonce: nonce++, target: r.contractAddress, method, args, gasLimit }, kp.secretKey, kp.publicKey)
    const o = new StateOverlay(base)
    const out = executor.execute(tx, o, ctx)
    base.apply(o.writeSet())
    return out
  }
  return { base, executor, address: r.contractAddress, call }
}

function deployRaw(ir: Uint8Array, abi: Uint8Array = new Uint8Array([0x90])): Receipt {
  const overlay = new StateOverlay(new MapStateView())
  const r = createVmExecutor().execute(deployTx(ir, abi), overlay, ctx)
  if (r.status === ReceiptStatus.FAILED) assert.equal(overlay.writeSet().length, 0, 'a refused deploy writes nothing')
  return r
}

const raw = (nodes: CanonicalValue[], functions: CanonicalValue[] = [['f', [], [], 2, 0, 0, 1]], types: CanonicalValue[] = [[0], [2], [8]]): Uint8Array =>
  encodeTrusted([IR_MAGIC, IR_VERSION, types, [], [], functions, nodes])

test('malformed and malicious IR is refused at deploy with BAD_CODE', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['garbage', new Uint8Array([1, 2, 3, 4])],
    ['not canonical', new Uint8Array([0xd3, 0, 0, 0, 0, 0, 0, 0, 5])],
    ['bad magic', encodeTrusted(['evm', 1, [], [], [], [], []])],
    ['unknown opcode', raw([[99]])],
    ['forward reference', raw([[Op.BLOCK, [1]], [Op.RETURN, -1]])],
    ['self reference', raw([[Op.BLOCK, [0]]])],
    ['expression where a statement belongs', raw([[Op.INT, 1], [Op.BLOCK, [0]]], [['f', [], [], 2, 0, 1, 1]])],
    ['local outside the frame', raw([[Op.LOCAL, 3], [Op.RETURN, 0], [Op.BLOCK, [1]]], [['f', [], [], 0, 1, 2, 1]])],
    ['call with the wrong arity', raw([[Op.CALL, 0, []], [Op.EXPR, 0], [Op.BLOCK, [1]]], [['f', ['a'], [0], 2, 1, 2, 1]])],
    ['call to a missing function', raw([[Op.CALL, 5, []], [Op.EXPR, 0], [Op.BLOCK, [1]]])],
    ['builtin with the wrong arity', raw([[Op.BUILTIN, Builtin.sha256, []], [Op.EXPR, 0], [Op.BLOCK, [1]]])],
    ['storage slot that does not exist', raw([[Op.SLOT, 0, SlotOp.VALUE_GET, []], [Op.EXPR, 0], [Op.BLOCK, [1]]])],
    ['non-integer constant', raw([[Op.INT, 1.5], [Op.EXPR, 0], [Op.BLOCK, [1]]])],
    ['type referring forward', raw([[Op.BLOCK, []]], undefined, [[0], [7, 2], [8]])],
    ['body out of range', raw([[Op.BLOCK, []]], [['f', [], [], 2, 0, 9, 1]])],
    ['two constructors', raw([[Op.BLOCK, []]], [['a', [], [], 2, 0, 0, 4], ['b', [], [], 2, 0, 0, 4]])],
  ]
  // nesting deeper than the VM allows: 80 NOTs around a constant
  const deep: CanonicalValue[] = [[Op.BOOL, true]]
  for (let i = 1; i <= 80; i++) deep.push([Op.NOT, i - 1])
  deep.push([Op.EXPR, 80], [Op.BLOCK, [81]])
  cases.push(['nesting too deep', raw(deep, [['f', [], [], 2, 0, 82, 1]])])
  for (const [name, ir] of cases) {
    const r = deployRaw(ir)
    assert.equal(r.status, ReceiptStatus.FAILED, name)
    assert.equal(r.errorCode, 'BAD_CODE', `${name}: ${r.errorMessage}`)
    assert.ok(r.gasUsed > 0, name)
  }
})

test('a deploy whose ABI is not the one its IR implies is refused', () => {
  const m = module([[Op.BLOCK, []]], [fn('f', 0)])
  const wrong = encodeAbi({ ...abiFromIr(m), methods: [] })
  assert.equal(deployRaw(encodeIr(m), wrong).errorCode, 'BAD_ABI')
  assert.equal(deployRaw(encodeIr(m), encodeAbi(abiFromIr(m))).status, ReceiptStatus.OK)
})

test('type-confused IR fails safely at run time with TYPE_MISMATCH', () => {
  const nodes: IrNode[] = [
    /* 0 */ [Op.STR, 'x'], /* 1 */ [Op.INT, 1], /* 2 */ [Op.BIN, BinOp.ADD, 0, 1], /* 3 */ [Op.RETURN, 2], /* 4 */ [Op.BLOCK, [3]],
    /* 5 */ [Op.SLOT, 0, SlotOp.VALUE_SET, [0]], /* 6 */ [Op.EXPR, 5], /* 7 */ [Op.BLOCK, [6]],
    /* 8 */ [Op.RETURN, 0], /* 9 */ [Op.BLOCK, [8]],
    /* 10 */ [Op.FIELD, 1, 0], /* 11 */ [Op.RETURN, 10], /* 12 */ [Op.BLOCK, [11]],
    /* 13 */ [Op.IF, 1, 9, -1], /* 14 */ [Op.BLOCK, [13]],
  ]
  const { call } = setup(module(nodes, [
    fn('addStringInt', 4, { ret: INT }), fn('storeStringInIntSlot', 7), fn('returnStringAsInt', 9, { ret: INT }), fn('fieldOfInt', 12, { ret: INT }), fn('ifOnInt', 14),
  ], [{ kind: SlotKind.VALUE, name: 'n', keyType: -1, valueType: INT }]))
  for (const m of ['addStringInt', 'storeStringInIntSlot', 'returnStringAsInt', 'fieldOfInt', 'ifOnInt']) {
    const r = call(m)
    assert.equal(r.status, ReceiptStatus.FAILED, m)
    assert.equal(r.errorCode, 'TYPE_MISMATCH', `${m}: ${r.errorMessage}`)
  }
})

test('an infinite loop in IR ends out of gas; memory growth is capped', () => {
  const nodes: IrNode[] = [
    /* 0 */ [Op.BOOL, true], /* 1 */ [Op.BLOCK, []], /* 2 */ [Op.LOOP, 0, -1, 1], /* 3 */ [Op.BLOCK, [2]],
    // s = 'ab'; while (true) s = s + s
    /* 4 */ [Op.STR, 'ab'], /* 5 */ [Op.LET, 0, 4], /* 6 */ [Op.LOCAL, 0], /* 7 */ [Op.BIN, BinOp.CONCAT, 6, 6], /* 8 */ [Op.LET, 0, 7],
    /* 9 */ [Op.LOOP, 0, -1, 8], /* 10 */ [Op.BLOCK, [5, 9]],
    // a = []; while (true) a.push(a)
    /* 11 */ [Op.ARRAY, []], /* 12 */ [Op.LET, 0, 11], /* 13 */ [Op.PUSH, 6, 6], /* 14 */ [Op.EXPR, 13], /* 15 */ [Op.LOOP, 0, -1, 14], /* 16 */ [Op.BLOCK, [12, 15]],
  ]
  const { call } = setup(module(nodes, [fn('spin', 3), fn('double', 10, { locals: 1 }), fn('selfPush', 16, { locals: 1 })]))
  const a = call('spin', [], 100_000)
  assert.equal(a.errorCode, 'OUT_OF_GAS')
  assert.equal(a.gasUsed, 100_000)
  assert.equal(call('double', [], 10_000_000).errorCode, 'VALUE_TOO_LARGE')
  assert.equal(call('selfPush', [], 10_000_000).errorCode, 'VALUE_TOO_LARGE')
})

test('recursion at the maximum node nesting stops at the call depth, not on the host stack', () => {
  // f() { return !!!…!!(f()) } with the call nested as deep as the VM allows
  const nodes: IrNode[] = [[Op.CALL, 0, []]]
  for (let i = 1; i < 61; i++) nodes.push([Op.NOT, i - 1])
  nodes.push([Op.RETURN, 60], [Op.BLOCK, [61]])
  const { call } = setup(module(nodes, [fn('f', 62)]))
  const r = call('f')
  assert.equal(r.errorCode, 'CALL_DEPTH_EXCEEDED', r.errorMessage)
  assert.equal(call('f').gasUsed, r.gasUsed)
})

test('a read-only flag is enforced: a read-only method that writes fails', () => {
  const nodes: IrNode[] = [[Op.INT, 1], [Op.SLOT, 0, SlotOp.VALUE_SET, [0]], [Op.EXPR, 1], [Op.BLOCK, [2]]]
  const { call } = setup(module(nodes, [fn('sneaky', 3, { flags: FnFlag.EXPORTED | FnFlag.READ_ONLY })], [{ kind: SlotKind.VALUE, name: 'n', keyType: -1, valueType: INT }]))
  assert.equal(call('sneaky').errorCode, 'READ_ONLY_VIOLATION')
})

test('calls: unknown contract, unknown method, wrong args; call() never writes; failed writes revert', () => {
  // set(v) { n = v; require(v < 10, 'too big') } ; get() { return n }
  const nodes: IrNode[] = [
    /* 0 */ [Op.LOCAL, 0], /* 1 */ [Op.SLOT, 0, SlotOp.VALUE_SET, [0]], /* 2 */ [Op.EXPR, 1], /* 3 */ [Op.INT, 10], /* 4 */ [Op.BIN, BinOp.LT, 0, 3],
    /* 5 */ [Op.STR, 'too big'], /* 6 */ [Op.REQUIRE, 4, 5], /* 7 */ [Op.BLOCK, [2, 6]],
    /* 8 */ [Op.SLOT, 0, SlotOp.VALUE_GET, []], /* 9 */ [Op.RETURN, 8], /* 10 */ [Op.BLOCK, [9]],
  ]
  const { base, executor, address, call } = setup(module(nodes, [fn('set', 7, { params: [INT] }), fn('get', 10, { ret: INT, flags: FnFlag.EXPORTED | FnFlag.READ_ONLY })], [{ kind: SlotKind.VALUE, name: 'n', keyType: -1, valueType: INT }]))
  assert.equal(call('set', [3]).status, ReceiptStatus.OK)
  const size = base.size
  const view = (m: string, args: CanonicalValue[], target = address) => executor.call(target, m, args, sender, base, ctx, 100_000)
  assert.equal(view('get', []).returnValue, 3)
  assert.equal(view('set', [4]).status, ReceiptStatus.OK, 'a state-changing method can be simulated')
  assert.equal(base.size, size)
  assert.equal(view('get', []).returnValue, 3, 'call() never writes')
  assert.equal(view('get', [], new Uint8Array(20)).errorCode, 'NO_CONTRACT')
  assert.equal(view('nope', []).errorCode, 'NO_METHOD')
  assert.equal(view('set', []).errorCode, 'BAD_ARGS')
  assert.equal(view('set', ['x']).errorCode, 'BAD_ARGS')
  assert.equal(view('set', [2 ** 60]).errorCode, 'BAD_ARGS')
  assert.equal(view('set', [5n]).status, ReceiptStatus.OK, 'a bigint in the safe range is an int')
  const before = base.get(stateKey.contractSlot(address, Uint8Array.of(0, 0)))
  const r = call('set', [12])
  assert.equal(r.errorCode, 'REQUIRE_FAILED')
  assert.equal(r.errorMessage, 'too big')
  assert.deepEqual(base.get(stateKey.contractSlot(address, Uint8Array.of(0, 0))), before)
  const kv = createSignedTx({ chainId: 'vm-test', kind: TxKind.KV_PUT, nonce: 0, target: new Uint8Array(0), method: 'k', args: ['v'], gasLimit: 10_000 }, kp.secretKey, kp.publicKey)
  assert.equal(executor.execute(kv, new StateOverlay(base), ctx).errorCode, 'UNSUPPORTED_KIND')
})

test('contract addresses are derived from sender and nonce; a second deploy there is refused', () => {
  const m = module([[Op.BLOCK, []]], [fn('f', 0)])
  const overlay = new StateOverlay(new MapStateView())
  const executor = createVmExecutor()
  const tx = deployTx(encodeIr(m), encodeAbi(abiFromIr(m)), 3)
  const r = executor.execute(tx, overlay, ctx)
  assert.deepEqual(r.contractAddress, contractAddress(sender, 3))
  assert.notDeepEqual(contractAddress(sender, 3), contractAddress(sender, 4))
  assert.equal(executor.execute(tx, overlay, ctx).errorCode, 'CONTRACT_EXISTS')
})
