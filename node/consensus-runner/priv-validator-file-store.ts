/**
 * Durable store of the PrivValidator's last signatures and lock: one small file, written to a
 * temporary name, fsynced, renamed over the old one and the folder fsynced, all before the
 * signature is released — so a vote that left the process is never forgotten by a crash.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { decodeSignState, encodeSignState, type LastSignState, type PrivValidatorStore } from '../../consensus/priv-validator.ts'

export class FilePrivValidatorStore implements PrivValidatorStore {
  constructor(private readonly path: string) {}

  load(): LastSignState | null {
    if (!existsSync(this.path)) return null
    return decodeSignState(readFileSync(this.path))
  }

  save(state: LastSignState): void {
    const tmp = `${this.path}.tmp`
    const fd = openSync(tmp, 'w', 0o600)
    try {
      writeSync(fd, encodeSignState(state))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    const dir = openSync(dirname(this.path), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
  }
}
