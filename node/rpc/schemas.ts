/**
 * One JSON schema per method (params and result), the single source for both param validation
 * (ajv, see param-validator.ts) and the OpenRPC document served by `rpc_discover` and
 * GET /openrpc.json. Params are by-name: an object whose properties are the method's params.
 */
import { RpcErrorCode } from '../../core/rpc-wire.ts'
import { TX_LIMITS } from '../../core/tx.ts'

type Schema = Record<string, unknown>
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })

/** Shared definitions, referenced as #/components/schemas/NAME (OpenRPC's place for them). */
export const componentSchemas: Record<string, Schema> = {
  Hash: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$', description: 'a 32-byte hash as 0x + 64 hex characters' },
  HexBytes: { type: 'string', pattern: '^0x(?:[0-9a-fA-F]{2})*$', description: 'bytes as 0x + an even number of hex characters' },
  Address: { type: 'string', pattern: '^mc[0-9a-fA-F]{40}$', description: 'an address: mc + 40 hex characters' },
  Uint: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'a non-negative safe integer' },
  JsonValue: {
    description: 'a canonical value: null, boolean, safe integer, string, {"$bigint": "decimal"}, {"$bytes": "0x…"} or an array of these',
    anyOf: [
      { type: 'null' }, { type: 'boolean' }, { type: 'integer' }, { type: 'string' },
      { type: 'array', items: ref('JsonValue') },
      { type: 'object', properties: { $bigint: { type: 'string', pattern: '^(0|-?[1-9][0-9]*)$' } }, required: ['$bigint'], additionalProperties: false },
      { type: 'object', properties: { $bytes: ref('HexBytes') }, required: ['$bytes'], additionalProperties: false },
    ],
  },
  Header: obj({
    chainId: { type: 'string' }, height: ref('Uint'), time: ref('Uint'), prevHash: ref('Hash'), txRoot: ref('Hash'),
    stateRoot: ref('Hash'), proposer: ref('Address'), validatorsHash: ref('Hash'),
  }),
  Commit: {
    anyOf: [{ type: 'null' }, obj({
      height: ref('Uint'), round: ref('Uint'), blockHash: ref('Hash'),
      signatures: { type: 'array', items: obj({ index: ref('Uint'), signature: ref('HexBytes') }) },
    })],
  },
  Tx: obj({
    id: ref('Hash'), chainId: { type: 'string' }, kind: ref('Uint'), sender: ref('Address'), senderPublicKey: ref('HexBytes'),
    nonce: ref('Uint'), target: { anyOf: [ref('Address'), { type: 'null' }] }, method: { type: 'string' },
    args: { type: 'array', items: ref('JsonValue') }, gasLimit: ref('Uint'), signature: ref('HexBytes'), raw: ref('HexBytes'),
  }),
  Event: obj({ contract: ref('Address'), name: { type: 'string' }, data: { type: 'array', items: ref('JsonValue') } }),
  Receipt: obj({
    status: { enum: ['ok', 'failed'] }, gasUsed: ref('Uint'), events: { type: 'array', items: ref('Event') },
    returnValue: ref('JsonValue'), errorCode: { type: 'string' }, errorMessage: { type: 'string' },
    contractAddress: { anyOf: [ref('Address'), { type: 'null' }] },
  }),
  // `txs` only with subscribe's `txs: true`; the error fields only for a failed tx, the address only for a deploy.
  BlockTx: obj(
    { id: ref('Hash'), status: { enum: ['ok', 'failed'] }, errorCode: { type: 'string' }, errorMessage: { type: 'string' }, contractAddress: ref('Address') },
    ['errorCode', 'errorMessage', 'contractAddress'],
  ),
  BlockNotification: obj(
    { height: ref('Uint'), hash: ref('Hash'), time: ref('Uint'), txCount: ref('Uint'), txs: { type: 'array', items: ref('BlockTx') } },
    ['txs'],
  ),
  EventNotification: obj({ height: ref('Uint'), txId: ref('Hash'), contract: ref('Address'), name: { type: 'string' }, data: { type: 'array', items: ref('JsonValue') } }),
}

/** A closed object schema: every listed property required unless named in `optional`. */
function obj(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)), additionalProperties: false }
}

export interface ParamSpec {
  readonly schema: Schema
  readonly required?: boolean
  readonly description: string
}

export interface MethodSpec {
  readonly name: string
  readonly summary: string
  readonly params: Readonly<Record<string, ParamSpec>>
  readonly result: { readonly name: string; readonly schema: Schema }
  /** Application errors the method can return besides the standard ones. */
  readonly errors: readonly RpcErrorCode[]
  readonly websocketOnly?: boolean
}

const COMMON_ERRORS = [RpcErrorCode.RATE_LIMITED, RpcErrorCode.TIMEOUT] as const

export const methodSpecs: readonly MethodSpec[] = [
  {
    name: 'chain_status',
    summary: 'Chain id, latest final block, validator set, peers and sync state.',
    params: {},
    result: {
      name: 'status',
      schema: obj({
        chainId: { type: 'string' }, height: ref('Uint'), latestBlockHash: ref('Hash'), latestBlockTime: ref('Uint'),
        validators: { type: 'array', items: obj({ index: ref('Uint'), address: ref('Address'), publicKey: ref('HexBytes') }) },
        quorumMode: { enum: ['bft', 'majority'] }, quorum: ref('Uint'),
        peers: { type: 'array', items: obj({ publicKey: ref('HexBytes'), address: ref('Address') }) },
        syncing: { type: 'boolean' }, nodeAddress: ref('Address'),
      }, ['nodeAddress']),
    },
    errors: COMMON_ERRORS,
  },
  {
    name: 'chain_getBlock',
    summary: 'A final block by height or hash (the latest if neither is given); tx ids, or full txs with fullTxs.',
    params: {
      height: { schema: ref('Uint'), description: 'block height' },
      hash: { schema: ref('Hash'), description: 'block hash' },
      fullTxs: { schema: { type: 'boolean' }, description: 'return full transactions instead of ids (default false)' },
    },
    result: {
      name: 'block',
      schema: obj({
        hash: ref('Hash'), header: ref('Header'),
        txs: { anyOf: [{ type: 'array', items: ref('Hash') }, { type: 'array', items: ref('Tx') }] },
        commit: ref('Commit'),
      }),
    },
    errors: [RpcErrorCode.NOT_FOUND, ...COMMON_ERRORS],
  },
  {
    name: 'tx_send',
    summary: 'Submits a signed transaction (canonical bytes as hex); refused at once with its code if invalid.',
    params: {
      tx: { schema: ref('HexBytes'), required: true, description: 'signed tx bytes as 0x-hex' },
    },
    result: { name: 'accepted', schema: obj({ id: ref('Hash') }) },
    errors: [RpcErrorCode.TX_REJECTED, ...COMMON_ERRORS],
  },
  {
    name: 'tx_get',
    summary: 'A transaction with its status (pending, final, failed), position and receipt once final.',
    params: { id: { schema: ref('Hash'), required: true, description: 'tx id' } },
    result: {
      name: 'tx',
      schema: obj({
        tx: ref('Tx'), status: { enum: ['pending', 'final', 'failed'] }, height: ref('Uint'), index: ref('Uint'),
        blockHash: ref('Hash'), receipt: ref('Receipt'),
      }, ['height', 'index', 'blockHash', 'receipt']),
    },
    errors: [RpcErrorCode.NOT_FOUND, ...COMMON_ERRORS],
  },
  {
    name: 'tx_proof',
    summary: 'Inclusion proof of a final tx: Merkle audit path to txRoot, the header (raw and parsed) and its commit certificate.',
    params: { id: { schema: ref('Hash'), required: true, description: 'tx id' } },
    result: {
      name: 'proof',
      schema: obj({
        txId: ref('Hash'), index: ref('Uint'), leafCount: ref('Uint'), siblings: { type: 'array', items: ref('Hash') },
        header: ref('Header'), headerRaw: ref('HexBytes'), blockHash: ref('Hash'), commit: ref('Commit'),
      }),
    },
    errors: [RpcErrorCode.NOT_FOUND, ...COMMON_ERRORS],
  },
  {
    name: 'chain_evidence',
    summary: 'Equivocation evidence this node has seen: two conflicting signed messages from one validator (re-check offline with consensus/evidence.ts verifyEvidence).',
    params: {},
    result: {
      name: 'evidence',
      schema: {
        type: 'array',
        items: obj({
          kind: { type: 'string' }, validatorIndex: ref('Uint'), validator: { anyOf: [ref('Address'), { type: 'null' }] },
          height: ref('Uint'), round: ref('Uint'), evidence: ref('HexBytes'),
        }),
      },
    },
    errors: [...COMMON_ERRORS],
  },
  {
    name: 'account_getNonce',
    summary: "An account's next nonce on the final chain, and the next one after its pending txs (sign with pendingNonce).",
    params: { address: { schema: ref('Address'), required: true, description: 'account address' } },
    result: { name: 'account', schema: obj({ address: ref('Address'), nonce: ref('Uint'), pendingNonce: ref('Uint') }) },
    errors: [...COMMON_ERRORS],
  },
  {
    name: 'contract_call',
    summary: 'Read-only contract call against the latest final state; a contract failure is status "failed" in the result.',
    params: {
      address: { schema: ref('Address'), required: true, description: 'contract address' },
      method: { schema: { type: 'string', maxLength: TX_LIMITS.maxMethodLength }, required: true, description: 'method name' },
      args: { schema: { type: 'array', maxItems: TX_LIMITS.maxArgs, items: ref('JsonValue') }, description: 'arguments (default [])' },
      caller: { schema: ref('Address'), description: 'caller address (default: the zero address)' },
    },
    result: {
      name: 'call',
      schema: obj({ status: { enum: ['ok', 'failed'] }, gasUsed: ref('Uint'), returnValue: ref('JsonValue'), errorCode: { type: 'string' }, errorMessage: { type: 'string' } }),
    },
    errors: [RpcErrorCode.CALL_FAILED, ...COMMON_ERRORS],
  },
  {
    name: 'subscribe',
    summary: 'WebSocket only. Subscribes to new final blocks or to contract events (optionally filtered by contract and name).',
    params: {
      kind: { schema: { enum: ['blocks', 'events'] }, required: true, description: '"blocks" or "events"' },
      txs: { schema: { type: 'boolean' }, description: 'blocks only: list every tx of the block with its status (id, ok/failed; a failed one with errorCode and errorMessage, a deploy with contractAddress)' },
      contract: { schema: ref('Address'), description: 'events only: contract address filter' },
      name: { schema: { type: 'string', maxLength: 128 }, description: 'events only: event name filter' },
    },
    result: { name: 'subscribed', schema: obj({ subscription: { type: 'string' } }) },
    errors: [RpcErrorCode.RATE_LIMITED, RpcErrorCode.SUBSCRIPTION_DROPPED],
    websocketOnly: true,
  },
  {
    name: 'unsubscribe',
    summary: 'WebSocket only. Ends a subscription of this socket.',
    params: { subscription: { schema: { type: 'string', maxLength: 64 }, required: true, description: 'subscription id' } },
    result: { name: 'ok', schema: { const: true } },
    errors: [RpcErrorCode.NOT_FOUND],
    websocketOnly: true,
  },
  {
    name: 'rpc_discover',
    summary: 'This API as an OpenRPC document (also at GET /openrpc.json).',
    params: {},
    result: { name: 'openrpc', schema: { type: 'object' } },
    errors: [],
  },
]

/** The params object schema of a method (by-name params, unknown names refused). */
export function paramsSchema(spec: MethodSpec): Schema {
  const entries = Object.entries(spec.params)
  return {
    type: 'object',
    properties: Object.fromEntries(entries.map(([name, p]) => [name, p.schema])),
    required: entries.filter(([, p]) => p.required).map(([name]) => name),
    additionalProperties: false,
  }
}

const ERROR_MESSAGES: Record<number, string> = {
  [RpcErrorCode.TX_REJECTED]: 'TX_REJECTED',
  [RpcErrorCode.NOT_FOUND]: 'NOT_FOUND',
  [RpcErrorCode.RATE_LIMITED]: 'RATE_LIMITED',
  [RpcErrorCode.SUBSCRIPTION_DROPPED]: 'SUBSCRIPTION_DROPPED',
  [RpcErrorCode.CALL_FAILED]: 'CALL_FAILED',
  [RpcErrorCode.REQUEST_TOO_LARGE]: 'REQUEST_TOO_LARGE',
  [RpcErrorCode.TIMEOUT]: 'TIMEOUT',
}

/** The OpenRPC 1.3 document of this API. */
export function openRpcDocument(version: string): Record<string, unknown> {
  return {
    openrpc: '1.3.2',
    info: {
      title: 'medchain JSON-RPC',
      version,
      description: 'JSON-RPC 2.0 over HTTP POST at / (single and batch) and WebSocket at /ws (all methods plus subscriptions). Every error carries data.code, a stable string.',
    },
    methods: methodSpecs.map((m) => ({
      name: m.name,
      summary: m.summary,
      paramStructure: 'by-name',
      params: Object.entries(m.params).map(([name, p]) => ({ name, description: p.description, required: p.required === true, schema: p.schema })),
      result: m.result,
      errors: m.errors.map((code) => ({ code, message: ERROR_MESSAGES[code] ?? String(code) })),
    })),
    components: { schemas: componentSchemas },
  }
}
