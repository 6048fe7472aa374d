/**
 * core/: protocol types and their canonical encoding, shared by node, consensus, vm and client.
 * Pure: no I/O, no clock, no randomness (except `generateKeyPair`, which callers choose to use).
 */
export * from './errors.ts'
export * from './hex.ts'
export * from './encoding.ts'
export * from './hash.ts'
export * from './keys.ts'
export * from './tx.ts'
export * from './merkle.ts'
export * from './validators.ts'
export * from './commit.ts'
export * from './block.ts'
export * from './state-root.ts'
export * from './state.ts'
export * from './execution.ts'
