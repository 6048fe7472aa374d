/**
 * node/rpc: the node's JSON-RPC 2.0 server (HTTP + WebSocket). See README.md for the API.
 * May import: core/, node/errors.ts, fastify, @fastify/websocket, ajv, pino.
 */
export { createRpcServer, RPC_API_VERSION } from './server.ts'
export type { RpcServer, RpcServerOptions, RpcServerStats } from './server.ts'
export type { RpcBackend, ChainStatus, EvidenceRecord, TxLookup, TxLookupStatus } from './backend.ts'
export { RpcDataCode, RpcMethodError, toRpcErrorObject } from './errors.ts'
export { openRpcDocument, methodSpecs } from './schemas.ts'
