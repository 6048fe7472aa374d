/**
 * For node-process.test.ts: starts a 2-node testnet in the folder given as argv[2], prints the
 * node pids as one JSON line, then waits to be killed (the test SIGKILLs it, skipping every
 * cleanup, and checks that the nodes stop by themselves).
 */
import { join } from 'node:path'
import { DEFAULT_TESTNET_OPTIONS } from '../layout.ts'
import { freePortRange } from '../free-ports.ts'
import { startTestnet, waitUntilFinal } from '../testnet.ts'

const dir = process.argv[2]!
const base = await freePortRange(4)
const net = await startTestnet({ ...DEFAULT_TESTNET_OPTIONS, nodes: 2, dir: join(dir, 'net'), basePort: base, baseRpcPort: base + 2, blockIntervalMs: 200, chainId: 'medchain-orphan' })
await waitUntilFinal(net, 0, 60_000)
process.stdout.write(`${JSON.stringify(net.processes.map((p) => p.pid))}\n`)
setInterval(() => {}, 1_000)
