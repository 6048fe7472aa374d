/** `proof` and `verify`: offline checks of what a node says, against the genesis validator set. */
import { promises as fs } from 'node:fs'
import { fromHex } from '../../../core/hex.ts'
import { AnchorJournal } from '../../anchor.ts'
import { ClientError, ClientErrorCode } from '../../errors.ts'
import { fingerprintOf } from '../../image-hash.ts'
import { trustFromGenesis, trustFromKeys, verifyTxProof, type TrustedValidators, type VerifiedTxProof } from '../../proof.ts'
import { XrayMethod } from '../../xray-contract.ts'
import type { CommandContext } from '../context.ts'
import type { CommandSpec, OptionSpec } from '../framework.ts'
import { toCanonical } from '../values.ts'

const genesisOption: Record<string, OptionSpec> = {
  genesis: { type: 'string', valueName: 'FILE', description: 'genesis file with the trusted validators (default $MEDCHAIN_GENESIS)' },
}

/** The trust anchor: the genesis file, or (weaker, said so on stderr) the node's own validator list. */
export async function trustOf(ctx: CommandContext, values: Record<string, unknown>): Promise<TrustedValidators> {
  const path = (values.genesis as string | undefined) ?? ctx.cli.env.MEDCHAIN_GENESIS
  if (path) {
    let json: unknown
    try {
      json = JSON.parse(await fs.readFile(path, 'utf8'))
    } catch (e) {
      throw new ClientError(ClientErrorCode.BAD_GENESIS, `cannot read genesis ${path}: ${(e as Error).message}`)
    }
    return trustFromGenesis(json)
  }
  ctx.note('note: no --genesis given; trusting the validator set the node reports')
  const s = await (await ctx.chain()).status()
  return trustFromKeys(s.chainId, s.validators.map((v) => fromHex(v.publicKey, 32, 'validator key')), s.quorumMode)
}

function renderVerified(v: VerifiedTxProof): string {
  return `tx ${v.txId} is in block ${v.height} (${v.blockHash}), final: ${v.signers.length} validator signatures verified`
}

export const proofCommand: CommandSpec = {
  path: ['proof'],
  summary: 'fetch a tx inclusion proof and verify it offline (Merkle path, header, commit)',
  usage: '<tx-id>',
  options: genesisOption,
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const id = positionals[0]!
    const trust = await trustOf(ctx, values)
    const proof = await (await ctx.chain()).getProof(id)
    const verified = verifyTxProof(proof, trust, id)
    ctx.result(verified, () => renderVerified(verified))
  },
}

export const verifyCommand: CommandSpec = {
  path: ['verify'],
  summary: 'prove an image was anchored: its fingerprint is in a final tx (offline proof check)',
  usage: '<image|fingerprint>',
  description: 'The tx comes from --tx, or from the anchor journal (--journal) by the image fingerprint.',
  options: {
    tx: { type: 'string', valueName: 'ID', description: 'the tx that recorded the image' },
    journal: { type: 'string', valueName: 'FILE', description: 'an anchor journal to find the tx in' },
    ...genesisOption,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const target = positionals[0]!
    const sha256 = await fingerprintOf(target)
    let txId = values.tx as string | undefined
    if (!txId && typeof values.journal === 'string') {
      const entry = (await AnchorJournal.open(values.journal)).get(sha256)
      txId = entry?.txId ?? undefined
      if (!txId) throw new ClientError(ClientErrorCode.NOT_ANCHORED, `fingerprint ${sha256} is not in journal ${values.journal}`)
    }
    if (!txId) throw new ClientError(ClientErrorCode.USAGE, 'give --tx ID or --journal FILE')
    const chain = await ctx.chain()
    const t = await chain.getTx(txId)
    const args = t.tx.args.map((a) => toCanonical(a))
    if (t.tx.method !== XrayMethod.setXrayhash || !args.includes(sha256)) {
      throw new ClientError(ClientErrorCode.NOT_ANCHORED, `tx ${txId} does not record fingerprint ${sha256}`)
    }
    if (t.status !== 'final' || t.receipt?.status === 'failed') {
      throw new ClientError(ClientErrorCode.NOT_ANCHORED, `tx ${txId} is ${t.status}${t.receipt?.errorCode ? ` (${t.receipt.errorCode})` : ''}`)
    }
    const verified = verifyTxProof(await chain.getProof(txId), await trustOf(ctx, values), txId)
    const out = { ...verified, sha256, contract: t.tx.target, part: typeof args[0] === 'string' ? args[0] : null }
    ctx.result(out, () => `image ${sha256} anchored in contract ${t.tx.target}\n${renderVerified(verified)}`)
  },
}
