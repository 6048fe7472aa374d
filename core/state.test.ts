import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { encode } from './encoding.ts'
import { domainTag, sha256d } from './hash.ts'
import { concatBytes, fromHex, toHex, utf8 } from './hex.ts'
import { GENESIS_STATE_ROOT_SEED, nextStateRoot, sortWrites, type StateWrite } from './state-root.ts'
import { MapStateView, readNonce, StateOverlay, stateKey, stateKeyId, writeNonce } from './state.ts'

const protocol = JSON.parse(readFileSync(new URL('./vectors/protocol.json', import.meta.url), 'utf8')) as {
  stateRoot: { seed: string; blocks: { writes: [string, string | null][]; root: string }[] }
}

const k = (s: string): Uint8Array => utf8.encode(s)
const v = (s: string): Uint8Array => utf8.encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'))
const netWrites = (o: StateOverlay): Record<string, string | null> =>
  Object.fromEntries(o.writeSet().map(([key, val]) => [Buffer.from(key).toString('utf8'), val === null ? null : text(val)!]))

function base(): MapStateView {
  const m = new MapStateView()
  m.set(k('a'), v('a0'))
  m.set(k('b'), v('b0'))
  return m
}

test('reads see the newest write; delete hides the base value; the base is never touched', () => {
  const b = base()
  const o = new StateOverlay(b)
  assert.equal(text(o.get(k('a'))), 'a0')
  o.set(k('a'), v('a1'))
  o.delete(k('b'))
  o.set(k('c'), v('c1'))
  assert.equal(text(o.get(k('a'))), 'a1')
  assert.equal(o.get(k('b')), undefined)
  assert.equal(text(o.get(k('c'))), 'c1')
  assert.equal(text(b.get(k('a'))), 'a0')
  assert.equal(text(b.get(k('b'))), 'b0')
  assert.deepEqual(netWrites(o), { a: 'a1', b: null, c: 'c1' })
})

test('revert restores previous values, including deletions and keys that did not exist', () => {
  const o = new StateOverlay(base())
  o.set(k('a'), v('a1'))
  o.delete(k('b'))
  o.checkpoint()
  o.set(k('a'), v('a2'))   // overwrite a write
  o.set(k('b'), v('b2'))   // resurrect a deleted key
  o.delete(k('a'))         // then delete the overwrite
  o.set(k('d'), v('d2'))   // a brand-new key
  o.set(k('d'), v('d3'))
  assert.equal(o.depth, 1)
  o.revert()
  assert.equal(o.depth, 0)
  assert.equal(text(o.get(k('a'))), 'a1')
  assert.equal(o.get(k('b')), undefined)
  assert.equal(o.get(k('d')), undefined)
  assert.deepEqual(netWrites(o), { a: 'a1', b: null })
})

test('nested checkpoints: inner revert inside outer commit, inner commit inside outer revert', () => {
  const o = new StateOverlay(base())
  o.checkpoint()                 // outer
  o.set(k('a'), v('a1'))
  o.checkpoint()                 // inner 1
  o.set(k('a'), v('a2'))
  o.delete(k('b'))
  o.set(k('x'), v('x2'))
  o.revert()                     // inner 1 reverted
  assert.equal(text(o.get(k('a'))), 'a1')
  assert.equal(text(o.get(k('b'))), 'b0')
  assert.equal(o.get(k('x')), undefined)
  o.checkpoint()                 // inner 2
  o.delete(k('b'))
  o.set(k('y'), v('y2'))
  o.commit()                     // inner 2 kept (folds into outer)
  assert.equal(o.depth, 1)
  assert.deepEqual(netWrites(o), { a: 'a1', b: null, y: 'y2' })
  o.revert()                     // outer reverted: everything since it, including inner 2
  assert.equal(o.depth, 0)
  assert.equal(text(o.get(k('a'))), 'a0')
  assert.equal(text(o.get(k('b'))), 'b0')
  assert.equal(o.get(k('y')), undefined)
  assert.deepEqual(netWrites(o), {})

  // three levels, committed all the way: the write set is the net effect, one entry per key
  o.checkpoint()
  o.set(k('a'), v('1'))
  o.checkpoint()
  o.set(k('a'), v('2'))
  o.checkpoint()
  o.delete(k('a'))
  o.set(k('a'), v('3'))
  o.commit()
  o.commit()
  o.commit()
  assert.deepEqual(netWrites(o), { a: '3' })
  assert.equal(o.writeSet().length, 1)
})

test('by id and by bytes are one state: every byte value survives the id, whose length is the key length', () => {
  // All 256 byte values, so a lossy id (a UTF-8 or UTF-16 reading of the bytes) would show.
  const every = Uint8Array.from({ length: 256 }, (_, i) => i)
  const id = stateKeyId(every)
  assert.equal(id.length, every.length)
  const b = new MapStateView()
  b.set(every, v('base'))
  assert.equal(text(b.getById(id)), 'base')
  const o = new StateOverlay(b)
  assert.equal(text(o.getById(id)), 'base')
  o.checkpoint()
  o.setById(id, v('by id'))
  assert.equal(text(o.get(every)), 'by id')
  o.deleteById(stateKeyId(k('a')))
  o.revert()
  assert.equal(text(o.get(every)), 'base')
  o.deleteById(id)
  assert.equal(o.get(every), undefined)
  assert.equal(o.getById(id), undefined)
  const [[key, val]] = o.writeSet() as [StateWrite]
  assert.deepEqual(key, every)
  assert.equal(val, null)
  // An id made of a prefix and a suffix is the id of the concatenated key (the VM's slot keys).
  assert.equal(stateKeyId(every.subarray(0, 3)) + stateKeyId(every.subarray(3)), id)
})

test('commit or revert without a checkpoint is a programming error', () => {
  const o = new StateOverlay(new MapStateView())
  assert.throws(() => o.commit(), /without checkpoint/)
  assert.throws(() => o.revert(), /without checkpoint/)
})

test('MapStateView.apply and nonces', () => {
  const m = base()
  const o = new StateOverlay(m)
  const addr = new Uint8Array(20).fill(5)
  assert.equal(readNonce(o, addr), 0)
  writeNonce(o, addr, 41)
  o.delete(k('a'))
  assert.equal(readNonce(o, addr), 41)
  m.apply(o.writeSet())
  assert.equal(readNonce(m, addr), 41)
  assert.equal(m.get(k('a')), undefined)
  assert.equal(m.size, 2)
  assert.equal(toHex(stateKey.nonce(addr)), toHex(concatBytes(Uint8Array.of(1), addr)))
  assert.equal(toHex(stateKey.contractSlot(addr, Uint8Array.of(9))), toHex(concatBytes(Uint8Array.of(3), addr, Uint8Array.of(9))))
  assert.equal(stateKey.kv(k('q'))[0], 4)
  assert.equal(stateKey.code(addr)[0], 2)
})

test('state-root chaining vector; the root is independent of write order and sensitive to every byte', () => {
  const { seed, blocks } = protocol.stateRoot
  let root = fromHex(seed)
  assert.equal(toHex(root), toHex(GENESIS_STATE_ROOT_SEED))
  for (const b of blocks) {
    const writes: StateWrite[] = b.writes.map(([key, val]) => [fromHex(key), val === null ? null : fromHex(val)])
    const next = nextStateRoot(root, sortWrites(writes))
    assert.equal(toHex(next), b.root)
    // written out: SHA-256d('medchain/state\0' || prev || encode(sorted [key, value|null] list))
    const sorted = sortWrites(writes)
    assert.equal(toHex(next), toHex(sha256d(domainTag('state'), root, encode(sorted.map(([kk, vv]) => [kk, vv])))))
    assert.equal(toHex(nextStateRoot(root, sortWrites([...writes].reverse()))), b.root)
    root = next
  }
  // chaining: the same writes on another previous root give another root
  const w: StateWrite[] = [[Uint8Array.of(4, 1), v('a')]]
  assert.notEqual(toHex(nextStateRoot(new Uint8Array(32), w)), toHex(nextStateRoot(new Uint8Array(32).fill(1), w)))
  // a deletion is not the same as writing an empty value
  assert.notEqual(toHex(nextStateRoot(root, [[Uint8Array.of(4, 1), null]])), toHex(nextStateRoot(root, [[Uint8Array.of(4, 1), new Uint8Array(0)]])))
  assert.notEqual(toHex(nextStateRoot(root, [])), toHex(root))
})
