/**
 * client/: the library a hospital or patient uses to talk to medchain, and the `medchain` CLI
 * (client/cli/). Imports core/ only (never node/, consensus/, vm/ at runtime).
 */
export * from './errors.ts'
export * from './keystore.ts'
export * from './personal-data.ts'
export * from './image-hash.ts'
export * from './tx-builder.ts'
export * from './tx-sender.ts'
export * from './proof.ts'
export * from './anchor.ts'
export * from './xray-contract.ts'
export * from './rpc-client.ts'
