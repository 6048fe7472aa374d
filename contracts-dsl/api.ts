/**
 * The contract API: everything a medchain contract may import (`import { … } from '../api.ts'`
 * or `from '@medchain/contract'`). Declarations only: the compiler maps each one to a VM
 * instruction; nothing here runs in Node. Types and semantics are documented in README.md.
 */

/** A 20-byte account or contract address. Compare with `===`. */
export interface Address {
  readonly __medchainAddress: 'Address'
}
/** Raw bytes (e.g. ciphertext produced by the client). Compare with `bytesEqual`. */
export type Bytes = Uint8Array

/** One stored value; reads as the type's zero value until set. */
export interface Value<T> {
  get(): T
  set(value: T): void
}
/** A stored map; `get` of an absent key gives the zero value, `has` tells them apart. */
export interface Mapping<K, V> {
  get(key: K): V
  set(key: K, value: V): void
  has(key: K): boolean
  remove(key: K): void
}
/** A stored append-only list; `get` out of range fails the call. */
export interface List<T> {
  length(): number
  get(index: number): T
  /** Appends and returns the new item's index. */
  push(item: T): number
}
/** A stored map from a key to an append-only list (e.g. fingerprint → record indices). */
export interface MultiMap<K, V> {
  count(key: K): number
  get(key: K, index: number): V
  push(key: K, item: V): number
}
/** An event; `T` is a struct (interface) whose fields are the event's fields in order. */
export interface Event<T> {
  emit(payload: T): void
}

// Storage and event declarations: only as top-level `const name = value<T>()` etc.
export declare function value<T>(): Value<T>
export declare function mapping<K, V>(): Mapping<K, V>
export declare function list<T>(): List<T>
export declare function multimap<K, V>(): MultiMap<K, V>
export declare function event<T>(): Event<T>

/** Fails the call, reverting all its writes, with `message` delivered verbatim in the receipt. */
export declare function require(condition: boolean, message: string): asserts condition

// Context
/** The transaction's sender (for read-only calls: whatever the caller claims; unauthenticated). */
export declare function caller(): Address
export declare function blockHeight(): number
/** Block time in milliseconds since the Unix epoch (the proposer's clock, agreed by consensus). */
export declare function blockTime(): number
export declare function contractAddress(): Address

// String and bytes library (the paper's strlib)
/** UTF-16 code units [start, end); fails if out of range or splitting a surrogate pair. */
export declare function substring(s: string, start: number, end: number): string
/** True when `s` has exactly `length` characters, all 0-9 a-f A-F. */
export declare function isHexString(s: string, length: number): boolean
/** Lower-cases ASCII letters only (Unicode case tables vary between engines). */
export declare function toLowerCase(s: string): string
export declare function startsWith(s: string, prefix: string): boolean
export declare function intToString(n: number): string
/** Lowercase hex, no prefix. */
export declare function bytesToHex(b: Bytes): string
/** Even-length hex, no prefix; fails otherwise. */
export declare function hexToBytes(s: string): Bytes
export declare function utf8Bytes(s: string): Bytes
export declare function sha256(b: Bytes): Bytes
export declare function bytesEqual(a: Bytes, b: Bytes): boolean
/** The `mc…` text form of an address. */
export declare function addressToString(a: Address): string
