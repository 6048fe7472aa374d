import { CoreError, CoreErrorCode } from './errors.ts'

/** A Buffer over the same memory as `bytes` (no copy), for Node APIs typed to take a Buffer. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Bytes as `0x`-prefixed lowercase hex: the one textual form of hashes, ids and keys. */
export function toHex(bytes: Uint8Array): string {
  return '0x' + bufferView(bytes).toString('hex')
}

const HEX_RE = /^(0x)?([0-9a-fA-F]{2})*$/

/**
 * Parses hex with or without `0x`. `expectedLength` (bytes) is checked when given.
 * @throws CoreError BAD_HEX on odd length, non-hex characters or a wrong length.
 */
export function fromHex(hex: string, expectedLength?: number, what = 'value'): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new CoreError(CoreErrorCode.BAD_HEX, `${what} is not hex`)
  }
  const body = hex.startsWith('0x') ? hex.slice(2) : hex
  const out = new Uint8Array(Buffer.from(body, 'hex'))
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new CoreError(CoreErrorCode.BAD_HEX, `${what} must be ${expectedLength} bytes, got ${out.length}`)
  }
  return out
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b),
}
