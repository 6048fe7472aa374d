/**
 * Test support: an in-process chain behind the ChainClient interface, running the paper's
 * patient contract with its permission rules. Each accepted tx becomes its own block, finalised
 * by a real commit of 3 of 4 test validators, so `proof` and `verify` check real proofs.
 * Refusals look like RpcError (code, dataCode, data.code, data.expected).
 */
import { ZERO_HASH, type Block } from '../../../core/block.ts'
import type { CanonicalValue } from '../../../core/encoding.ts'
import { toHex } from '../../../core/hex.ts'
import { formatAddress, generateKeyPair } from '../../../core/keys.ts'
import type { ChainStatusJson, TxGetJson, TxProofJson } from '../../../core/rpc-wire.ts'
import { createTxFromBytes, validateTxStateless, type SignedTx } from '../../../core/tx.ts'
import { createValidatorSet } from '../../../core/validators.ts'
import { committedBlock, FAKE_CHAIN_ID, txProofJson } from '../../test-support/chain-fixtures.ts'
import type { ChainCallResult, ChainClient } from '../chain-client.ts'

export { FAKE_CHAIN_ID }

const rpcError = (code: number, dataCode: string, message: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code, dataCode, data: { code: dataCode, ...extra } })

interface Permission { name: string; userType: number }

export class FakeChain implements ChainClient {
  readonly validators = Array.from({ length: 4 }, () => generateKeyPair())
  readonly set = createValidatorSet(this.validators.map((v) => v.publicKey), 'bft')
  readonly contract: string
  readonly blocks: Block[] = []
  readonly nonces = new Map<string, number>()
  readonly txs = new Map<string, { block: Block; index: number; receipt: TxGetJson['receipt'] }>()
  readonly permissions = new Map<string, Permission>()
  readonly records: (string | number | { $bytes: string })[][] = []
  birthday: Uint8Array = new Uint8Array(0)
  contact: Uint8Array = new Uint8Array(0)
  /** Makes the n-th sendTx (0-based) fail as if the node went away. */
  failSendAt = -1
  sends = 0

  constructor(readonly gov: string) {
    this.contract = formatAddress(generateKeyPair().publicKey.subarray(0, 20))
  }

  genesis(): unknown {
    return { chainId: FAKE_CHAIN_ID, genesisTime: 0, quorumMode: 'bft', validators: this.validators.map((v, i) => ({ name: `h${i}`, publicKey: toHex(v.publicKey) })) }
  }

  async status(): Promise<ChainStatusJson> {
    const last = this.blocks[this.blocks.length - 1]
    return {
      chainId: FAKE_CHAIN_ID, height: this.blocks.length, latestBlockHash: last ? toHex(last.hash) : toHex(ZERO_HASH), latestBlockTime: last?.header.time ?? 0,
      validators: this.set.validators.map((v, index) => ({ index, address: formatAddress(v.address), publicKey: toHex(v.publicKey) })),
      quorumMode: 'bft', quorum: this.set.quorum, peers: [], syncing: false,
    }
  }

  async getNonce(address: string): Promise<{ nonce: number; pendingNonce: number }> {
    const nonce = this.nonces.get(address) ?? 0
    return { nonce, pendingNonce: nonce }
  }

  async sendTx(bytes: Uint8Array): Promise<string> {
    if (this.sends++ === this.failSendAt) throw rpcError(-32603, 'TRANSPORT_ERROR', 'tx_send: cannot reach the node')
    const tx = createTxFromBytes(bytes)
    validateTxStateless(tx, FAKE_CHAIN_ID)
    const sender = formatAddress(tx.sender)
    const expected = this.nonces.get(sender) ?? 0
    if (tx.nonce < expected) throw rpcError(-32000, 'NONCE_TOO_LOW', `nonce ${tx.nonce} already used`, { expected })
    if (tx.nonce > expected) throw rpcError(-32000, 'NONCE_GAP', `nonce ${tx.nonce} ahead`, { expected })
    this.nonces.set(sender, expected + 1)
    const receipt = this.execute(tx, sender)
    const prev = this.blocks[this.blocks.length - 1]
    const block = committedBlock(this.validators, this.set, this.blocks.length + 1, prev ? prev.hash : ZERO_HASH, [tx], [0, 1, 3])
    this.blocks.push(block)
    this.txs.set(toHex(tx.id), { block, index: 0, receipt })
    return toHex(tx.id)
  }

  private execute(tx: SignedTx, sender: string): NonNullable<TxGetJson['receipt']> {
    const ok = { status: 'ok' as const, gasUsed: 1000, events: [], returnValue: null, errorCode: '', errorMessage: '', contractAddress: null }
    const fail = (errorCode: string, errorMessage: string) => ({ ...ok, status: 'failed' as const, errorCode, errorMessage })
    if (formatAddress(tx.target) !== this.contract) return fail('NO_CONTRACT', 'no contract at the target')
    const a = tx.args
    const role = this.permissions.get(sender)
    switch (tx.method) {
      case 'setPermission':
        if (sender !== this.gov) return fail('NOT_PERMITTED', 'only gov grants')
        this.permissions.set(formatAddress(a[0] as Uint8Array), { name: a[1] as string, userType: a[2] as number })
        return ok
      case 'removePermission':
        if (sender !== this.gov) return fail('NOT_PERMITTED', 'only gov revokes')
        this.permissions.delete(formatAddress(a[0] as Uint8Array))
        return ok
      case 'setXrayhash':
        if (role?.userType !== 1) return fail('NOT_PERMITTED', 'not a doctor')
        this.records.push([this.records.length, { $bytes: toHex(tx.sender) }, role.name, a[0] as string, a[1] as string, this.blocks.length + 1, 1_764_000_000_000 + this.blocks.length])
        return ok
      case 'setBirthday':
      case 'setContact':
        if (role?.userType !== 2) return fail('NOT_PERMITTED', 'not the host')
        if (tx.method === 'setBirthday') this.birthday = a[0] as Uint8Array
        else this.contact = a[0] as Uint8Array
        return ok
      default:
        return fail('NO_METHOD', tx.method)
    }
  }

  async getTx(id: string): Promise<TxGetJson> {
    const found = this.txs.get(id)
    if (!found) throw rpcError(-32001, 'NOT_FOUND', `tx ${id} not found`)
    const tx = found.block.txs[found.index]!
    return {
      tx: {
        id, chainId: tx.chainId, kind: tx.kind, sender: formatAddress(tx.sender), senderPublicKey: toHex(tx.senderPublicKey), nonce: tx.nonce,
        target: tx.target.length ? formatAddress(tx.target) : null, method: tx.method,
        args: tx.args.map((v) => (v instanceof Uint8Array ? { $bytes: toHex(v) } : v)) as TxGetJson['tx']['args'],
        gasLimit: tx.gasLimit, signature: toHex(tx.signature), raw: toHex(tx.bytes),
      },
      status: found.receipt?.status === 'failed' ? 'failed' : 'final', height: found.block.header.height, index: found.index,
      blockHash: toHex(found.block.hash), ...(found.receipt ? { receipt: found.receipt } : {}),
    }
  }

  async getProof(id: string): Promise<TxProofJson> {
    const found = this.txs.get(id)
    if (!found) throw rpcError(-32001, 'NOT_FOUND', `tx ${id} not found`)
    return txProofJson(found.block, found.index)
  }

  async call(address: string, method: string, args: CanonicalValue[], caller?: string): Promise<ChainCallResult> {
    const ok = (returnValue: unknown): ChainCallResult => ({ status: 'ok', gasUsed: 100, returnValue, errorCode: '', errorMessage: '' })
    if (address !== this.contract) return { status: 'failed', gasUsed: 0, returnValue: null, errorCode: 'NO_CONTRACT', errorMessage: '' }
    if (!caller || (caller !== this.gov && !this.permissions.has(caller))) return { status: 'failed', gasUsed: 10, returnValue: null, errorCode: 'NOT_PERMITTED', errorMessage: 'not permitted to read' }
    switch (method) {
      case 'getXrayhashCount': return ok(this.records.length)
      // JSON form, as the wire carries it
      case 'getXrayhash': return ok(this.records[args[0] as number] ?? null)
      case 'findXrayhash': return ok(this.records.filter((r) => r[4] === args[0]))
      case 'profile': return ok(['Ken', 25, 0, 1, { $bytes: toHex(this.birthday) }, { $bytes: toHex(this.contact) }])
      default: return { status: 'failed', gasUsed: 0, returnValue: null, errorCode: 'NO_METHOD', errorMessage: method }
    }
  }

  async waitForFinal(id: string): Promise<TxGetJson> {
    return this.getTx(id)
  }

  async close(): Promise<void> {}
}
