/**
 * Test fixtures for node tests: a one-validator genesis with a deterministic key, signed KV txs,
 * and temporary data directories removed on cleanup.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TxKind, createSignedTx, keyPairFromSecretKey, sha256, toHex, utf8, type KeyPair, type SignedTx } from '../../core/index.ts'
import { genesisFromJson, type Genesis } from '../genesis.ts'

export function testKey(name: string): KeyPair {
  return keyPairFromSecretKey(sha256(utf8.encode(`medchain test key ${name}`)))
}

export function testGenesis(validatorKeys: readonly KeyPair[], chainId = 'medchain-test', quorumMode: 'bft' | 'majority' = 'bft'): Genesis {
  return genesisFromJson({
    chainId,
    genesisTime: 1_764_000_000_000,
    quorumMode,
    validators: validatorKeys.map((k, i) => ({ name: `v${i}`, publicKey: toHex(k.publicKey) })),
  })
}

export function kvTx(key: KeyPair, nonce: number, k: string, v: string, chainId = 'medchain-test'): SignedTx {
  return createSignedTx({ chainId, kind: TxKind.KV_PUT, nonce, target: new Uint8Array(0), method: k, args: [v], gasLimit: 100_000 }, key.secretKey, key.publicKey)
}

export async function tempDir(prefix = 'medchain-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}

/** Polls `cond` every 10 ms until it holds; fails (never hangs) after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
