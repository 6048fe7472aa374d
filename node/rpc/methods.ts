/**
 * The method handlers: validated params in, wire JSON out, talking to the node only through
 * `RpcBackend`. Params have passed their JSON schema (schemas.ts) before a handler runs, so a
 * handler only checks what a schema cannot say (e.g. "height or hash, not both").
 */
import { fromHex, toHex } from '../../core/hex.ts'
import { fromJsonValues } from '../../core/json-value.ts'
import { ADDRESS_LENGTH, formatAddress, parseAddress } from '../../core/keys.ts'
import type { SubscribeParams } from '../../core/rpc-wire.ts'
import type { RpcBackend } from './backend.ts'
import type { CallContext, MethodHandler } from './dispatcher.ts'
import { RpcDataCode, RpcMethodError, invalidParams, notFound } from './errors.ts'
import { RpcErrorCode } from '../../core/rpc-wire.ts'
import {
  formatBlock, formatCallResult, formatStatus, formatTxLookup, formatTxProof,
} from './result-format.ts'

export interface MethodDeps {
  readonly backend: RpcBackend
  readonly openRpcDocument: () => Record<string, unknown>
}

const ZERO_ADDRESS = new Uint8Array(ADDRESS_LENGTH)

function sessionOf(ctx: CallContext, method: string): NonNullable<CallContext['session']> {
  if (!ctx.session) throw new RpcMethodError(RpcErrorCode.METHOD_NOT_FOUND, RpcDataCode.WEBSOCKET_ONLY, `${method} is only available over WebSocket at /ws`)
  return ctx.session
}

export function createMethodHandlers({ backend, openRpcDocument }: MethodDeps): Map<string, MethodHandler> {
  const handlers: Record<string, MethodHandler> = {
    chain_status: async () => formatStatus(await backend.status()),

    chain_getBlock: async (p) => {
      if (p.height !== undefined && p.hash !== undefined) throw invalidParams('give params.height or params.hash, not both', 'params.hash')
      const fullTxs = p.fullTxs === true
      let block
      if (typeof p.hash === 'string') {
        block = await backend.getBlockByHash(fromHex(p.hash, 32, 'params.hash'))
      } else {
        const height = typeof p.height === 'number' ? p.height : (await backend.status()).height
        block = await backend.getBlockByHeight(height)
      }
      if (!block) throw notFound('block')
      return formatBlock(block, fullTxs)
    },

    tx_send: async (p) => {
      const id = await backend.submitTx(fromHex(p.tx as string, undefined, 'params.tx'))
      return { id: toHex(id) }
    },

    tx_get: async (p) => {
      const found = await backend.getTx(fromHex(p.id as string, 32, 'params.id'))
      if (!found) throw notFound('transaction')
      return formatTxLookup(found)
    },

    tx_proof: async (p) => {
      const found = await backend.getTxProof(fromHex(p.id as string, 32, 'params.id'))
      if (!found) throw notFound('final transaction')
      return formatTxProof(found.block, found.index)
    },

    chain_evidence: async () => {
      const set = (await backend.status()).validators
      return (await backend.getEvidence()).map((e) => ({
        kind: e.kind, validatorIndex: e.validatorIndex, validator: set[e.validatorIndex] ? formatAddress(set[e.validatorIndex]!.address) : null,
        height: e.height, round: e.round, evidence: toHex(e.encoded),
      }))
    },

    account_getNonce: async (p) => {
      const { nonce, pendingNonce } = await backend.getAccountNonce(parseAddress(p.address as string))
      return { address: p.address as string, nonce, pendingNonce }
    },

    contract_call: async (p) => {
      const target = parseAddress(p.address as string)
      const args = fromJsonValues(p.args ?? [], 'params.args')
      const caller = typeof p.caller === 'string' ? parseAddress(p.caller) : ZERO_ADDRESS
      return formatCallResult(await backend.callContract(target, p.method as string, args, caller))
    },

    subscribe: async (p, ctx) => ({ subscription: sessionOf(ctx, 'subscribe').subscribe(p as unknown as SubscribeParams) }),

    unsubscribe: async (p, ctx) => {
      if (!sessionOf(ctx, 'unsubscribe').unsubscribe(p.subscription as string)) throw notFound('subscription')
      return true
    },

    rpc_discover: async () => openRpcDocument(),
  }
  return new Map(Object.entries(handlers))
}
