/**
 * The paper's walk-through as commands on the patient contract (client/xray-contract.ts):
 * grant, revoke, record, set-birthday, set-contact, profile, records, lookup.
 */
import { fromHex, toHex } from '../../../core/hex.ts'
import { ClientError, ClientErrorCode, isClientError } from '../../errors.ts'
import { fingerprintOf } from '../../image-hash.ts'
import { openPersonalFieldText, PersonalFieldKey, sealPersonalField } from '../../personal-data.ts'
import {
  grantArgs, parseCount, parseProfile, parseXrayRecord, parseXrayRecords, PERSONAL_FIELDS, recordArgs, revokeArgs, userTypeOf, XrayMethod,
  type PersonalFieldName, type XrayRecord,
} from '../../xray-contract.ts'
import type { CommandContext } from '../context.ts'
import type { CommandSpec } from '../framework.ts'
import { toCanonical } from '../values.ts'
import { contractOf, contractOption, renderSubmitted, requireString, submitTx, txOptions } from './shared.ts'

async function readCall(ctx: CommandContext, contract: string, method: string, args: Parameters<Awaited<ReturnType<CommandContext['chain']>>['call']>[2] = []) {
  const r = await (await ctx.chain()).call(contract, method, args, await ctx.callerAddress())
  if (r.status !== 'ok') throw new ClientError(ClientErrorCode.TX_FAILED, `${method} refused: ${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}`)
  return toCanonical(r.returnValue)
}

export const grantCommand: CommandSpec = {
  path: ['grant'],
  summary: 'gov: grant a user a role on the patient contract (setPermission)',
  usage: '<user-address|key-name>',
  options: {
    ...contractOption,
    name: { type: 'string', valueName: 'NAME', description: 'the user\'s display name, e.g. Dr.Lee (required)' },
    role: { type: 'string', valueName: 'ROLE', description: 'doctor (default), host, patient, or the user-type number' },
    ...txOptions,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const contract = contractOf(ctx, values)
    const args = grantArgs(await userAddress(ctx, positionals[0]!), requireString(values.name, 'name'), userTypeOf(typeof values.role === 'string' ? values.role : 'doctor'))
    const sent = await submitTx(ctx, values, (b, gas) => b.call(contract, XrayMethod.setPermission, args, gas))
    ctx.result(sent, () => renderSubmitted(sent))
  },
}

export const revokeCommand: CommandSpec = {
  path: ['revoke'],
  summary: 'gov: revoke a user\'s permission (removePermission)',
  usage: '<user-address|key-name>',
  options: { ...contractOption, ...txOptions },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const contract = contractOf(ctx, values)
    const user = await userAddress(ctx, positionals[0]!)
    const sent = await submitTx(ctx, values, (b, gas) => b.call(contract, XrayMethod.removePermission, revokeArgs(user), gas))
    ctx.result(sent, () => renderSubmitted(sent))
  },
}

export const recordCommand: CommandSpec = {
  path: ['record'],
  summary: 'doctor: record an image fingerprint (setXrayhash)',
  usage: '<part> <image|fingerprint>',
  options: { ...contractOption, ...txOptions },
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, { positionals, values }) {
    const contract = contractOf(ctx, values)
    const sha256 = await fingerprintOf(positionals[1]!)
    const sent = await submitTx(ctx, values, (b, gas) => b.call(contract, XrayMethod.setXrayhash, recordArgs(positionals[0]!, sha256), gas))
    ctx.result({ ...sent, sha256 }, () => `${renderSubmitted(sent)}\nrecorded ${positionals[0]} ${sha256}`)
  },
}

/** A user: an `mc…` address, or the name of a key in the keystore (its address is stored in clear). */
async function userAddress(ctx: CommandContext, text: string): Promise<string> {
  if (/^mc[0-9a-fA-F]{40}$/.test(text)) return text.toLowerCase()
  return (await ctx.keystore().info(text)).address
}

/** A recipient: a 0x public key, or the name of a key in the keystore. */
async function recipientKey(ctx: CommandContext, text: string): Promise<Uint8Array> {
  if (text.startsWith('0x')) {
    try {
      return fromHex(text, 32, 'public key')
    } catch {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${text} is not a 32-byte public key`)
    }
  }
  return fromHex((await ctx.keystore().info(text)).publicKey, 32)
}

function setPersonalCommand(name: PersonalFieldName, example: string): CommandSpec {
  const spec = PERSONAL_FIELDS[name]
  return {
    path: [`set-${name}`],
    summary: `host: set the patient's ${name}, encrypted for the patient and the hospital only (${spec.method})`,
    usage: `<${name}>`,
    description: `Example: medchain set-${name} ${example} --patient 0x<patient public key> --key hospital\nThe value is sealed (X25519 + AES-256-GCM) to the patient and the signing key, plus any --reader.`,
    options: {
      ...contractOption,
      patient: { type: 'string', valueName: 'KEY', description: 'the patient\'s public key (0x…) or keystore key name (required)' },
      reader: { type: 'string', multiple: true, valueName: 'KEY', description: 'another public key or key name that may read the field' },
      ...txOptions,
    },
    minArgs: 1,
    maxArgs: 1,
    async run(ctx, { positionals, values }) {
      const contract = contractOf(ctx, values)
      const me = await ctx.loadKey()
      const keys = [await recipientKey(ctx, requireString(values.patient, 'patient')), me.keyPair.publicKey]
      for (const r of (values.reader as string[] | undefined) ?? []) keys.push(await recipientKey(ctx, r))
      const unique = [...new Map(keys.map((k) => [toHex(k), k])).values()]
      const envelope = sealPersonalField(positionals[0]!, { recipients: unique, context: { contract, field: spec.field } })
      const sent = await submitTx(ctx, values, (b, gas) => b.call(contract, spec.method, [envelope], gas))
      ctx.result({ ...sent, recipients: unique.map(toHex), envelopeBytes: envelope.length }, () => `${renderSubmitted(sent)}\n${name} sealed for ${unique.length} readers`)
    },
  }
}

export const setBirthdayCommand = setPersonalCommand('birthday', '19970522')
export const setContactCommand = setPersonalCommand('contact', '0912-321-456')

export const profileCommand: CommandSpec = {
  path: ['profile'],
  summary: 'read the patient profile (name, age, birthday, contact), decrypting what --key may read',
  usage: '',
  options: contractOption,
  maxArgs: 0,
  async run(ctx, { values }) {
    const contract = contractOf(ctx, values)
    const profile = parseProfile(await readCall(ctx, contract, XrayMethod.profile))
    // Prepared once for both fields (PersonalFieldKey).
    let fieldKey: PersonalFieldKey | null = null
    const personal = async (field: PersonalFieldName, v: Uint8Array | string | null): Promise<string | null> => {
      if (v === null || typeof v === 'string') return v
      if (!ctx.globals.key && !ctx.cli.env.MEDCHAIN_KEY) return '(encrypted)'
      fieldKey ??= PersonalFieldKey.fromSecretKey((await ctx.loadKey()).keyPair.secretKey)
      try {
        return openPersonalFieldText(v, fieldKey, { contract, field: PERSONAL_FIELDS[field].field })
      } catch (e) {
        if (isClientError(e, ClientErrorCode.NOT_A_RECIPIENT)) return '(encrypted, not readable by this key)'
        throw e
      }
    }
    const out = { name: profile.name, age: profile.age, birthday: await personal('birthday', profile.birthday), contact: await personal('contact', profile.contact) }
    ctx.result(out, () => [`name      ${out.name}`, `age       ${out.age}`, `birthday  ${out.birthday ?? '(unset)'}`, `contact   ${out.contact ?? '(unset)'}`].join('\n'))
  },
}

async function readRecords(ctx: CommandContext, contract: string): Promise<XrayRecord[]> {
  const count = parseCount(await readCall(ctx, contract, XrayMethod.getXrayhashCount))
  const records: XrayRecord[] = []
  for (let i = 0; i < count; i++) records.push(parseXrayRecord(await readCall(ctx, contract, XrayMethod.getXrayhash, [i])))
  return records
}

export const recordsCommand: CommandSpec = {
  path: ['records'],
  summary: 'list the recorded image fingerprints (getXrayhashCount, getXrayhash)',
  usage: '',
  options: contractOption,
  maxArgs: 0,
  async run(ctx, { values }) {
    const records = await readRecords(ctx, contractOf(ctx, values))
    ctx.result(records, () => (records.length === 0 ? '(no records)' : records.map(renderRecord).join('\n')))
  },
}

function renderRecord(r: XrayRecord): string {
  return `#${r.index}  ${r.doctorName} (${r.doctor})  ${r.part}  ${r.hash}  block ${r.height}, ${new Date(r.time).toISOString()}`
}

export const lookupCommand: CommandSpec = {
  path: ['lookup'],
  summary: 'was this image recorded, by whom, when? (hashes the image; one findXrayhash call)',
  usage: '<image|fingerprint>',
  options: contractOption,
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, { positionals, values }) {
    const sha256 = await fingerprintOf(positionals[0]!)
    const matches = parseXrayRecords(await readCall(ctx, contractOf(ctx, values), XrayMethod.findXrayhash, [sha256]))
    if (matches.length === 0) throw new ClientError(ClientErrorCode.NOT_ANCHORED, `fingerprint ${sha256} is not recorded on this contract`)
    ctx.result({ sha256, matches }, () => matches.map((m) => `recorded ${renderRecord(m)}`).join('\n'))
  },
}
