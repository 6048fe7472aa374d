/**
 * `medchain` CLI entry: `npm run medchain -- <command> …`, or `npx medchain …` through bin.js.
 * Wires the real environment (stdout/stderr, env, TTY prompt, JSON-RPC client) into runCli.
 */
import { RpcClient } from '../rpc-client.ts'
import type { ChainClient } from './chain-client.ts'
import { promptSecretFromTty } from './prompt.ts'
import { runCli } from './run.ts'

const createChainClient = (url: string): ChainClient => new RpcClient(url, { timeoutMs: 30_000 })

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  ...(process.stdin.isTTY ? { promptSecret: (p: string) => promptSecretFromTty(p) } : {}),
  createChainClient,
})
process.exitCode = code
