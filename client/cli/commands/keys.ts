/** `keys create|import|list`: the local keystore. Needs no node. */
import { promises as fs } from 'node:fs'
import { ClientError, ClientErrorCode } from '../../errors.ts'
import type { KeyInfo } from '../../keystore.ts'
import type { CommandSpec } from '../framework.ts'

const renderKey = (k: KeyInfo): string => `${k.name}  ${k.address}  ${k.publicKey}`

export const keysCreate: CommandSpec = {
  path: ['keys', 'create'],
  summary: 'create a new key, encrypted with a passphrase',
  usage: '<name>',
  minArgs: 1,
  maxArgs: 1,
  needsRpc: false,
  async run(ctx, { positionals }) {
    const name = positionals[0]!
    const ks = ctx.keystore()
    const info = await ks.create(name, await ctx.passphrase(`new key '${name}'`, true))
    ctx.result(info, () => `created ${renderKey(info)}\nfile ${info.path}`)
  },
}

export const keysImport: CommandSpec = {
  path: ['keys', 'import'],
  summary: 'import an Ed25519 secret key (32 bytes hex) under a name',
  usage: '<name>',
  description: 'The secret is read from --secret-file, else $MEDCHAIN_SECRET_KEY, else prompted without echo;\nit is never taken from the command line (shell history).',
  options: { 'secret-file': { type: 'string', valueName: 'FILE', description: 'file holding the hex secret key' } },
  minArgs: 1,
  maxArgs: 1,
  needsRpc: false,
  async run(ctx, { positionals, values }) {
    const name = positionals[0]!
    let secret: string | undefined
    if (typeof values['secret-file'] === 'string') {
      try {
        secret = (await fs.readFile(values['secret-file'], 'utf8')).trim()
      } catch (e) {
        throw new ClientError(ClientErrorCode.FILE_NOT_FOUND, `cannot read ${values['secret-file']}: ${(e as Error).message}`)
      }
    } else if (ctx.cli.env.MEDCHAIN_SECRET_KEY) {
      secret = ctx.cli.env.MEDCHAIN_SECRET_KEY
    } else if (ctx.cli.promptSecret) {
      secret = await ctx.cli.promptSecret('Secret key (hex): ')
    } else {
      throw new ClientError(ClientErrorCode.USAGE, 'give the secret key with --secret-file FILE or $MEDCHAIN_SECRET_KEY')
    }
    const ks = ctx.keystore()
    // Check the name is free before asking for a passphrase.
    await ks.info(name).then(
      () => { throw new ClientError(ClientErrorCode.KEY_EXISTS, `a key named '${name}' already exists`) },
      (e: unknown) => { if (!(e instanceof ClientError && e.code === ClientErrorCode.KEY_NOT_FOUND)) throw e },
    )
    const info = await ks.import(name, secret, await ctx.passphrase(`key '${name}'`, true))
    ctx.result(info, () => `imported ${renderKey(info)}`)
  },
}

export const keysList: CommandSpec = {
  path: ['keys', 'list'],
  summary: 'list the keys of the keystore (name, address, public key)',
  usage: '',
  maxArgs: 0,
  needsRpc: false,
  async run(ctx) {
    const keys = await ctx.keystore().list()
    ctx.result(keys, () => (keys.length === 0 ? `no keys in ${ctx.keystore().dir}` : keys.map(renderKey).join('\n')))
  },
}

export const keysShow: CommandSpec = {
  path: ['keys', 'show'],
  summary: "print a key's address (with --json: name, address, public key); no passphrase needed",
  usage: '<name>',
  minArgs: 1,
  maxArgs: 1,
  needsRpc: false,
  async run(ctx, { positionals }) {
    const info = await ctx.keystore().info(positionals[0]!)
    ctx.result(info, () => info.address)
  },
}
