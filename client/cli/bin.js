#!/usr/bin/env node
// Launcher for `npx medchain …` (package.json "bin"): re-executes client/cli/main.ts on the
// project's own Node (node_modules/.bin/node, v24; the system node may be too old for libp2p
// and the client) with tsx's loader. Plain JavaScript (ESM, as the package is "type": "module")
// so it runs on whichever Node started it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const nodeBin = [
  join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node'),
  join(root, 'node_modules', 'node', 'bin', 'node'),
].find((p) => existsSync(p)) ?? process.execPath
const loader = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')
const main = join(root, 'client', 'cli', 'main.ts')

const result = spawnSync(nodeBin, ['--import', existsSync(loader) ? pathToFileURL(loader).href : 'tsx', main, ...process.argv.slice(2)], { stdio: 'inherit' })
if (result.error) {
  process.stderr.write(`error LAUNCH_FAILED: cannot run ${nodeBin}: ${result.error.message}\n`)
  process.exit(1)
}
if (result.signal) process.kill(process.pid, result.signal)
process.exit(result.status ?? 1)
