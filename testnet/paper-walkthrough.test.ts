/**
 * The paper's walk-through through the client library against different nodes of a real
 * 4-validator network: deploy, grant, record, set birthday and contact (sealed), profile, count
 * and read, revoke, refused. Proofs verify offline and fail when tampered; a subscription
 * receives the record event; bad RPC input gets typed errors and every node keeps serving.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { addressFromPublicKey, formatAddress, generateKeyPair, type CanonicalValue, type KeyPair } from '../core/index.ts'
import { compileXrayContract, xrayContractSource } from '../contracts-dsl/index.ts'
import { RpcClient, RpcError, type SubscriptionResult } from '../client/rpc-client.ts'
import { TxBuilder } from '../client/tx-builder.ts'
import { openPersonalFieldText, sealPersonalField } from '../client/personal-data.ts'
import { trustFromGenesis, verifyTxProof } from '../client/proof.ts'
import {
  XrayMethod, grantArgs, parseCount, parseProfile, parseXrayRecord, parseXrayRecords, recordArgs, revokeArgs, XrayUserType,
} from '../client/xray-contract.ts'
import { startCluster } from './test-support/cluster.ts'
import { waitFor } from '../node/test-support/fixtures.ts'

const FINGERPRINT = '16c8a694c91b80f1d97efb91455ab8b3facd6221ea401d740086722d4bad0134'

test('the paper walk-through over 4 validators through the client library', { timeout: 180_000 }, async () => {
  const cluster = await startCluster(4)
  const { net } = cluster
  const [gov, host, doctor, patient] = [generateKeyPair(), generateKeyPair(), generateKeyPair(), generateKeyPair()]
  const address = (k: KeyPair) => formatAddress(addressFromPublicKey(k.publicKey))
  // Each role talks to a different node.
  const clientOf = new Map<KeyPair, RpcClient>([[gov, net.clients[0]!], [host, net.clients[1]!], [doctor, net.clients[2]!], [patient, net.clients[3]!]])
  const chainId = net.layout.genesis.chainId
  const builders = new Map<KeyPair, TxBuilder>()
  const builder = (k: KeyPair) => {
    let b = builders.get(k)
    if (!b) {
      b = new TxBuilder({ chainId, keyPair: k, fetchNonce: async (a) => (await clientOf.get(k)!.getNonce(a)).pendingNonce })
      builders.set(k, b)
    }
    return b
  }
  const submit = async (k: KeyPair, target: string, method: string, args: CanonicalValue[]) => {
    const tx = await builder(k).call(target, method, args)
    const client = clientOf.get(k)!
    return client.waitForFinal(await client.sendTx(tx.bytes), { timeoutMs: 30_000 })
  }
  const read = async (contract: string, method: string, args: CanonicalValue[] = [], as: KeyPair = patient) => {
    const r = await clientOf.get(as)!.call(contract, method, args, address(as))
    assert.equal(r.status, 'ok', `${method}: ${r.errorCode} ${r.errorMessage}`)
    return r.returnValue
  }
  const events: SubscriptionResult[] = []
  try {
    // Deploy with the paper's arguments, by the hospital (host).
    const compiled = compileXrayContract()
    const deployTx = await builder(host).deploy(compiled.ir, compiled.abiBytes, xrayContractSource, ['Ken', addressFromPublicKey(gov.publicKey), 25, 0, 1])
    const deployed = await net.clients[1]!.waitForFinal(await net.clients[1]!.sendTx(deployTx.bytes), { timeoutMs: 30_000 })
    assert.equal(deployed.status, 'final')
    const contract = deployed.receipt!.contractAddress!
    assert.match(contract, /^mc[0-9a-f]{40}$/)

    const sub = await net.clients[3]!.subscribe({ kind: 'events', contract, name: 'XrayRecorded' }, (r) => events.push(r))

    assert.equal((await submit(gov, contract, XrayMethod.setPermission, grantArgs(address(doctor), 'Dr.Lee', XrayUserType.doctor!))).status, 'final')
    assert.equal((await submit(gov, contract, XrayMethod.setPermission, grantArgs(address(patient), 'Ken', XrayUserType.patient!))).status, 'final')
    const recorded = await submit(doctor, contract, XrayMethod.setXrayhash, recordArgs('chest', FINGERPRINT))
    assert.equal(recorded.status, 'final')

    const context = (field: string) => ({ contract, field })
    const readers = [patient.publicKey, host.publicKey]
    assert.equal((await submit(host, contract, XrayMethod.setBirthday, [sealPersonalField('19970522', { recipients: readers, context: context('birthday') })])).status, 'final')
    assert.equal((await submit(host, contract, XrayMethod.setContact, [sealPersonalField('0912-321-456', { recipients: readers, context: context('contact') })])).status, 'final')

    const profile = parseProfile(await read(contract, XrayMethod.profile))
    assert.deepEqual([profile.name, profile.age, profile.gender, profile.bloodType], ['Ken', 25, 0, 1])
    assert.ok(profile.birthday instanceof Uint8Array && profile.contact instanceof Uint8Array)
    assert.equal(openPersonalFieldText(profile.birthday, patient.secretKey, context('birthday')), '19970522')
    assert.equal(openPersonalFieldText(profile.contact, host.secretKey, context('contact')), '0912-321-456')
    assert.throws(() => openPersonalFieldText(profile.birthday as Uint8Array, doctor.secretKey, context('birthday')))
    assert.ok(!Buffer.from(profile.birthday).includes(Buffer.from('19970522')), 'no clear birthday on the chain')

    assert.equal(parseCount(await read(contract, XrayMethod.getXrayhashCount)), 1)
    const record = parseXrayRecord(await read(contract, XrayMethod.getXrayhash, [0]))
    assert.deepEqual([record.doctorName, record.part, record.hash, record.doctor], ['Dr.Lee', 'chest', FINGERPRINT, address(doctor)])
    assert.equal(record.height, recorded.height)
    assert.deepEqual(parseXrayRecords(await read(contract, XrayMethod.findXrayhash, [FINGERPRINT])).map((r) => r.index), [0])

    // Revoke: Dr. Lee's next record is refused with a clear error and writes nothing.
    assert.equal((await submit(gov, contract, XrayMethod.removePermission, revokeArgs(address(doctor)))).status, 'final')
    const refused = await submit(doctor, contract, XrayMethod.setXrayhash, recordArgs('chest', 'a'.repeat(64)))
    assert.equal(refused.status, 'failed')
    assert.equal(refused.receipt!.status, 'failed')
    assert.equal(refused.receipt!.errorCode, 'REQUIRE_FAILED')
    assert.match(refused.receipt!.errorMessage, /only a permitted doctor/)
    assert.equal(parseCount(await read(contract, XrayMethod.getXrayhashCount)), 1)

    // The record event reached the subscriber.
    await waitFor(() => events.length > 0, 'the record event')
    const ev = events[0] as { name: string; contract: string; txId: string }
    assert.deepEqual([ev.name, ev.contract, ev.txId], ['XrayRecorded', contract, recorded.tx.id])
    await sub.unsubscribe()

    // tx_proof verifies offline against genesis, from any node; tampering fails.
    const trust = trustFromGenesis(JSON.parse(await readFile(net.layout.genesisFile, 'utf8')))
    const proof = await net.clients[0]!.getProof(recorded.tx.id)
    assert.equal(verifyTxProof(proof, trust, recorded.tx.id).ok, true)
    const tamper = (f: (p: any) => void) => {
      const p = JSON.parse(JSON.stringify(proof))
      f(p)
      assert.throws(() => verifyTxProof(p, trust, recorded.tx.id))
    }
    if (proof.siblings.length > 0) tamper((p) => { p.siblings[0] = '0x' + '11'.repeat(32) })
    tamper((p) => { p.header.stateRoot = '0x' + '22'.repeat(32) })
    tamper((p) => { p.commit.signatures = p.commit.signatures.slice(0, 1) })
    tamper((p) => { p.txId = deployed.tx.id })

    // Bad RPC input: typed errors, and every node keeps serving.
    const url = net.layout.nodes[0]!.rpcUrl
    const post = async (body: string) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as Promise<any>
    assert.equal((await post('{not json')).error.code, -32700)
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no_such' }))).error.code, -32601)
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_get', params: { id: 7 } }))).error.code, -32602)
    // Over the body limit: a 413, or (when the server closes while the client still writes) a
    // reset connection; either way the node refuses it and keeps serving (checked below).
    const huge = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_send', params: { tx: '0x' + '00'.repeat(2 * 1024 * 1024) } }) })
      .then((r) => r.status, (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message)
    assert.ok(huge === 413 || huge === 'EPIPE' || huge === 'ECONNRESET', `huge body refused, got ${huge}`)
    const wrongChain = await new TxBuilder({ chainId: 'another-chain', keyPair: gov, fetchNonce: async () => 0 }).call(contract, 'getXrayhashCount', [])
    await assert.rejects(net.clients[0]!.sendTx(wrongChain.bytes), (e: unknown) => e instanceof RpcError && e.dataCode === 'WRONG_CHAIN_ID')
    const forged = new Uint8Array((await builder(gov).call(contract, 'getXrayhashCount', [], { nonce: 1_000 })).bytes)
    forged[forged.length - 2]! ^= 1
    await assert.rejects(net.clients[0]!.sendTx(forged), (e: unknown) => e instanceof RpcError && e.dataCode === 'BAD_SIGNATURE')
    for (const c of net.clients) assert.equal((await c.status()).chainId, chainId)
  } finally {
    await cluster.cleanup()
  }
})
