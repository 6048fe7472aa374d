/**
 * The optional native addon sodium-native (libsodium), loaded once for every module that has a
 * fast path on it (Ed25519 in keys.ts, the Noise cipher in node/network/noise-crypto.ts). Each
 * caller types the functions it uses and keeps a fallback for machines where the addon is not
 * installed or does not load.
 */
import { createRequire } from 'node:module'

let loaded: { readonly module: unknown } | undefined

/** The sodium-native module, or undefined where it is not installed or does not load. */
export function loadSodiumNative<T>(): T | undefined {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)('sodium-native') }
    } catch {
      loaded = { module: undefined }
    }
  }
  return loaded.module as T | undefined
}
