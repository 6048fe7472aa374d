/**
 * Genesis: the chain's identity, shared by every node as a JSON file.
 *
 *   { "chainId": "medchain-local", "genesisTime": 1764000000000, "quorumMode": "bft",
 *     "validators": [{ "name": "hospital-a", "publicKey": "0x…32 bytes…",
 *                      "p2p": { "host": "127.0.0.1", "port": 26000 } }, …] }
 *
 * genesisHash = SHA-256d(domainTag('genesis') ‖ encode([chainId, genesisTime, quorumMode,
 * [publicKey…]])); block 1's prevHash is the genesis hash, so a chain cannot be replayed under
 * another genesis. Network addresses are not part of the hash (a hospital may move).
 */
import { readFile } from 'node:fs/promises'
import {
  createValidatorSet, domainTag, encodeTrusted, fromHex, sha256d, toHex,
  type QuorumMode, type ValidatorSet,
} from '../core/index.ts'
import { NodeError, NodeErrorCode } from './errors.ts'

export interface GenesisValidator {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly p2p: { readonly host: string; readonly port: number } | null
}

export interface Genesis {
  readonly chainId: string
  readonly genesisTime: number
  readonly quorumMode: QuorumMode
  readonly validators: readonly GenesisValidator[]
  readonly validatorSet: ValidatorSet
  readonly hash: Uint8Array
}

export interface GenesisJson {
  chainId: string
  genesisTime: number
  quorumMode: QuorumMode
  validators: { name: string; publicKey: string; p2p?: { host: string; port: number } }[]
}

const bad = (m: string): never => {
  throw new NodeError(NodeErrorCode.BAD_GENESIS, m)
}

export function genesisFromJson(json: unknown): Genesis {
  if (typeof json !== 'object' || json === null) bad('genesis must be a JSON object')
  const g = json as Partial<GenesisJson>
  if (typeof g.chainId !== 'string' || !/^[a-zA-Z0-9._-]{1,64}$/.test(g.chainId)) bad('chainId must be 1-64 characters of [a-zA-Z0-9._-]')
  if (!Number.isSafeInteger(g.genesisTime) || (g.genesisTime as number) < 0) bad('genesisTime must be milliseconds since the Unix epoch')
  const quorumMode = g.quorumMode ?? 'bft'
  if (quorumMode !== 'bft' && quorumMode !== 'majority') bad(`quorumMode must be 'bft' or 'majority'`)
  if (!Array.isArray(g.validators) || g.validators.length === 0) bad('validators must be a non-empty list')
  const validators = g.validators!.map((v, i): GenesisValidator => {
    if (typeof v !== 'object' || v === null) bad(`validators[${i}] must be an object`)
    let publicKey: Uint8Array
    try {
      publicKey = fromHex(v.publicKey, 32, `validators[${i}].publicKey`)
    } catch (e) {
      return bad((e as Error).message)
    }
    const p2p = v.p2p
    if (p2p !== undefined && (typeof p2p.host !== 'string' || !Number.isInteger(p2p.port) || p2p.port < 0 || p2p.port > 65535)) {
      bad(`validators[${i}].p2p must be { host, port }`)
    }
    return { name: typeof v.name === 'string' ? v.name : `validator-${i}`, publicKey, p2p: p2p ? { host: p2p.host, port: p2p.port } : null }
  })
  let validatorSet: ValidatorSet
  try {
    validatorSet = createValidatorSet(validators.map((v) => v.publicKey), quorumMode)
  } catch (e) {
    return bad((e as Error).message)
  }
  const hash = sha256d(domainTag('genesis'), encodeTrusted([g.chainId!, g.genesisTime!, quorumMode, validators.map((v) => v.publicKey)]))
  return Object.freeze({ chainId: g.chainId!, genesisTime: g.genesisTime!, quorumMode, validators, validatorSet, hash })
}

export function genesisToJson(g: Genesis): GenesisJson {
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    quorumMode: g.quorumMode,
    validators: g.validators.map((v) => ({ name: v.name, publicKey: toHex(v.publicKey), ...(v.p2p ? { p2p: v.p2p } : {}) })),
  }
}

export async function loadGenesis(path: string): Promise<Genesis> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    return bad(`cannot read genesis file ${path}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return bad(`genesis file ${path} is not valid JSON: ${(e as Error).message}`)
  }
  return genesisFromJson(json)
}
