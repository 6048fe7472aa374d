/** Generic chain commands: status, deploy, call, send, tx. */
import { promises as fs } from 'node:fs'
import { compileContract, compileXrayContract, xrayContractSource } from '../../../contracts-dsl/index.ts'
import type { CanonicalValue } from '../../../core/encoding.ts'
import { fromHex } from '../../../core/hex.ts'
import { ClientError, ClientErrorCode } from '../../errors.ts'
import type { CommandSpec } from '../framework.ts'
import { formatValue, parseCliValue, parseCliValueList, toCanonical } from '../values.ts'
import { renderSubmitted, submitTx, txOptions } from './shared.ts'

export const statusCommand: CommandSpec = {
  path: ['status'],
  summary: 'show the chain: id, height, validators, quorum, peers',
  usage: '',
  maxArgs: 0,
  async run(ctx) {
    const s = await (await ctx.chain()).status()
    ctx.result(s, () => [
      `chain     ${s.chainId}`,
      `height    ${s.height}  (block ${s.latestBlockHash}, ${new Date(s.latestBlockTime).toISOString()})`,
      `quorum    ${s.quorum} of ${s.validators.length} (${s.quorumMode})${s.syncing ? '  [syncing]' : ''}`,
      ...s.validators.map((v) => `validator #${v.index} ${v.address}`),
      `peers     ${s.peers.length}`,
    ].join('\n'))
  },
}

/** A compiled contract as contracts-dsl writes it: IR and ABI bytes as 0x hex, and the source. */
export interface ContractArtifact {
  readonly ir: Uint8Array
  readonly abi: Uint8Array
  readonly source: string
}

/**
 * A contract to deploy: `xray` (the stock X-ray contract), a DSL source file (`*.ts`, compiled
 * here with contracts-dsl), or a compiled artifact JSON.
 */
export async function readArtifact(path: string): Promise<ContractArtifact> {
  if (path === 'xray') return { ir: compileXrayContract().ir, abi: compileXrayContract().abiBytes, source: xrayContractSource }
  if (path.endsWith('.ts')) {
    let source: string
    try {
      source = await fs.readFile(path, 'utf8')
    } catch (e) {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `cannot read contract source ${path}: ${(e as Error).message}`)
    }
    try {
      const compiled = compileContract(source, path)
      return { ir: compiled.ir, abi: compiled.abiBytes, source }
    } catch (e) {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, (e as Error).message)
    }
  }
  let json: { ir?: unknown; abi?: unknown; source?: unknown }
  try {
    json = JSON.parse(await fs.readFile(path, 'utf8'))
  } catch (e) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `cannot read contract artifact ${path}: ${(e as Error).message}`)
  }
  const bytes = (v: unknown, what: string): Uint8Array => {
    if (typeof v !== 'string') throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${path}: ${what} must be 0x hex`)
    try {
      return fromHex(v, undefined, what)
    } catch {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${path}: ${what} must be 0x hex`)
    }
  }
  if (typeof json?.source !== 'string') throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${path}: source must be a string`)
  return { ir: bytes(json.ir, 'ir'), abi: bytes(json.abi, 'abi'), source: json.source }
}

export const deployCommand: CommandSpec = {
  path: ['deploy'],
  summary: 'deploy a compiled contract; prints its address',
  usage: '<xray|contract.ts|artifact.json>',
  description: '`xray` deploys the stock X-ray contract; a .ts file is compiled with the contract DSL; an artifact is JSON {"ir": "0x…", "abi": "0x…", "source": "…"}. Constructor arguments:\n--args \'["Ken", "mc…gov", 25, 0, 1]\' (JSON array; "mc…" strings are addresses).',
  options: { args: { type: 'string', valueName: 'JSON', description: 'constructor arguments as a JSON array' }, ...txOptions },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const artifact = await readArtifact(positionals[0]!)
    const ctorArgs = typeof values.args === 'string' ? parseCliValueList(values.args) : []
    const sent = await submitTx(ctx, values, (b, gas) => b.deploy(artifact.ir, artifact.abi, artifact.source, ctorArgs, gas))
    const address = sent.receipt?.contractAddress ?? null
    ctx.result({ ...sent, contractAddress: address }, () => `${renderSubmitted(sent)}${address ? `\ncontract ${address}` : ''}`)
  },
}

export const callCommand: CommandSpec = {
  path: ['call'],
  summary: 'call a contract method read-only (no tx), as --key if given',
  usage: '<contract> <method> [arg…]',
  description: 'Arguments: mc… addresses, JSON values (25, true, {"$bytes":"0x…"}), or plain text.',
  minArgs: 2,
  async run(ctx, { positionals }) {
    const [contract, method, ...rest] = positionals as [string, string, ...string[]]
    const args = rest.map((a, i) => parseCliValue(a, `arg ${i + 1}`))
    const r = await (await ctx.chain()).call(contract, method, args, await ctx.callerAddress())
    if (r.status !== 'ok') throw new ClientError(ClientErrorCode.TX_FAILED, `${method} failed: ${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}`)
    const value: CanonicalValue = toCanonical(r.returnValue)
    ctx.result({ ...r, returnValue: value }, () => formatValue(value))
  },
}

export const sendCommand: CommandSpec = {
  path: ['send'],
  summary: 'send a signed tx calling a contract method, and wait until it is final',
  usage: '<contract> <method> [arg…]',
  description: 'Arguments as for `call`. Exits non-zero if the tx fails (e.g. not permitted).',
  options: txOptions,
  minArgs: 2,
  async run(ctx, { positionals, values }) {
    const [contract, method, ...rest] = positionals as [string, string, ...string[]]
    const args = rest.map((a, i) => parseCliValue(a, `arg ${i + 1}`))
    const sent = await submitTx(ctx, values, (b, gas) => b.call(contract, method, args, gas))
    ctx.result(sent, () => {
      const rv = sent.receipt ? toCanonical(sent.receipt.returnValue) : null
      return renderSubmitted(sent) + (rv !== null ? `\nreturned ${formatValue(rv)}` : '')
    })
  },
}

export const txCommand: CommandSpec = {
  path: ['tx'],
  summary: 'show a transaction, its status and receipt',
  usage: '<tx-id>',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals }) {
    const t = await (await ctx.chain()).getTx(positionals[0]!)
    ctx.result(t, () => [
      `tx       ${t.tx.id}`,
      `status   ${t.status}${t.height !== undefined ? ` in block ${t.height} (#${t.index ?? '?'})` : ''}`,
      `sender   ${t.tx.sender} nonce ${t.tx.nonce}`,
      `call     ${t.tx.target ?? '(deploy)'} ${t.tx.method}(${t.tx.args.map((a) => formatValue(toCanonical(a), true)).join(', ')})`,
      ...(t.receipt ? [`receipt  ${t.receipt.status}${t.receipt.errorCode ? ` ${t.receipt.errorCode} ${t.receipt.errorMessage}` : ''}, gas ${t.receipt.gasUsed}`] : []),
      ...(t.receipt?.events ?? []).map((e) => `event    ${e.name}(${e.data.map((d) => formatValue(toCanonical(d), true)).join(', ')})`),
    ].join('\n'))
  },
}
