/**
 * What a command gets: its I/O, the global flags, the keystore, the signing key (passphrase from
 * $MEDCHAIN_PASSPHRASE or a no-echo prompt), and a lazily created chain client. Everything comes
 * in through `CliEnvironment`, so tests run commands in-process with fakes.
 */
import { ClientError, ClientErrorCode } from '../errors.ts'
import { Keystore, resolveKeystoreDir, type KeyInfo, type LoadedKey, type ScryptParams } from '../keystore.ts'
import { TxBuilder } from '../tx-builder.ts'
import { TxSender } from '../tx-sender.ts'
import type { ChainClient, ChainClientFactory } from './chain-client.ts'
import type { GlobalFlags } from './framework.ts'

export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545'

export interface CliEnvironment {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  /** Reads a secret without echo; undefined when there is no terminal to ask. */
  readonly promptSecret?: (prompt: string) => Promise<string>
  readonly createChainClient: ChainClientFactory
  /** scrypt cost for new keys (tests lower it). */
  readonly scrypt?: ScryptParams
}

export class CommandContext {
  readonly rpcUrl: string
  /** Set by a command that completed but must report failure (e.g. some images failed). */
  exitCode = 0
  private client: ChainClient | null = null
  private sender: { tx: TxSender; builder: TxBuilder } | null = null
  private loadedKey: LoadedKey | null = null

  constructor(readonly cli: CliEnvironment, readonly globals: GlobalFlags) {
    this.rpcUrl = globals.rpc ?? cli.env.MEDCHAIN_RPC ?? DEFAULT_RPC_URL
  }

  get json(): boolean {
    return this.globals.json
  }

  out(text: string): void {
    this.cli.stdout(text.endsWith('\n') ? text : text + '\n')
  }

  /** Progress and notes go to stderr so stdout stays parseable. */
  note(text: string): void {
    this.cli.stderr(text.endsWith('\n') ? text : text + '\n')
  }

  /** Prints `value` as JSON with --json, else the text rendering. */
  result(value: unknown, text: () => string): void {
    this.out(this.json ? JSON.stringify(value, jsonReplacer, 2) : text())
  }

  keystore(): Keystore {
    return new Keystore(resolveKeystoreDir(this.globals.keystore, this.cli.env), this.cli.scrypt ? { scrypt: this.cli.scrypt } : {})
  }

  keyName(): string {
    const name = this.globals.key ?? this.cli.env.MEDCHAIN_KEY
    if (!name) throw new ClientError(ClientErrorCode.USAGE, 'this command needs a key: pass --key NAME (or set MEDCHAIN_KEY)')
    return name
  }

  /** Public information of the --key key (no passphrase needed). */
  keyInfo(): Promise<KeyInfo> {
    return this.keystore().info(this.keyName())
  }

  /** The caller address for read-only calls: the --key key's address, if a key is given. */
  async callerAddress(): Promise<string | undefined> {
    const name = this.globals.key ?? this.cli.env.MEDCHAIN_KEY
    return name ? (await this.keystore().info(name)).address : undefined
  }

  /** The passphrase: $MEDCHAIN_PASSPHRASE, else a prompt (twice when `confirm`). @throws NO_PASSPHRASE */
  async passphrase(purpose: string, confirm = false): Promise<string> {
    const fromEnv = this.cli.env.MEDCHAIN_PASSPHRASE
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv
    if (!this.cli.promptSecret) {
      throw new ClientError(ClientErrorCode.NO_PASSPHRASE, `no passphrase for ${purpose}: set MEDCHAIN_PASSPHRASE or run on a terminal`)
    }
    const first = await this.cli.promptSecret(`Passphrase for ${purpose}: `)
    if (confirm) {
      const second = await this.cli.promptSecret('Repeat the passphrase: ')
      if (first !== second) throw new ClientError(ClientErrorCode.NO_PASSPHRASE, 'the passphrases do not match')
    }
    if (first === '') throw new ClientError(ClientErrorCode.NO_PASSPHRASE, 'empty passphrase')
    return first
  }

  /** Decrypts the --key key. */
  async loadKey(): Promise<LoadedKey> {
    if (this.loadedKey) return this.loadedKey
    const name = this.keyName()
    const keystore = this.keystore()
    await keystore.info(name) // KEY_NOT_FOUND before asking for a passphrase
    this.loadedKey = await keystore.load(name, await this.passphrase(`key '${name}'`))
    return this.loadedKey
  }

  async chain(): Promise<ChainClient> {
    this.client ??= await this.cli.createChainClient(this.rpcUrl)
    return this.client
  }

  /**
   * The signing pipeline of the --key key on the connected chain: a TxBuilder (chain id from
   * chain_status) and a TxSender that learns the nonce from the node (see client/tx-sender.ts).
   */
  async txSender(): Promise<{ tx: TxSender; builder: TxBuilder }> {
    if (this.sender) return this.sender
    const key = await this.loadKey()
    const chain = await this.chain()
    const { chainId } = await chain.status()
    // Sign with the node's pending nonce; TxSender still relearns it if another client races us.
    const builder = new TxBuilder({ chainId, keyPair: key.keyPair, fetchNonce: async () => (await chain.getNonce(key.address)).pendingNonce })
    this.sender = { tx: new TxSender(builder, chain), builder }
    return this.sender
  }

  async close(): Promise<void> {
    await this.client?.close()
    this.client = null
  }
}

/** JSON output of bytes and bigints in the wire's forms. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: '0x' + Buffer.from(value).toString('hex') }
  if (typeof value === 'bigint') return { $bigint: value.toString() }
  return value
}
