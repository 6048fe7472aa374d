/**
 * Temporary folders for tests, removed after the importing test file has run. node:test runs each
 * file in a process of its own, and importing this module registers one root `after` hook there,
 * so a suite leaves nothing behind in the OS's temporary folder, even when a test fails half-way.
 */
import { after } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made: string[] = []

after(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A fresh folder under the OS's temporary folder, named `<prefix><random>`. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
