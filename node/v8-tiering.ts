/**
 * How V8 compiles a node's code: every function goes to baseline machine code (Sparkplug, V8's
 * non-optimising compiler) on its first call, instead of running in the interpreter until its
 * budget runs out (`--always-sparkplug`). node/cli.ts imports this module first, so the modules
 * after it, and all code that runs later, compile this way.
 *
 * Why: a validator runs each consensus function a few times per height, so much of its code sat
 * in the interpreter for hundreds of heights (perf over 100 warm records: V8's interpreter and
 * builtins 36.8 % of the nodes' main-thread samples, against 14.4 % in compiled code), and ten
 * processes on one machine each pay that warm-up on their own. Sparkplug compiles in one pass
 * over the bytecode, cheap enough to do for everything. Seven interleaved `npm run bench --
 * --chains medchain` pairs (flag off → on): one at a time better in five (e.g. 3,394 → 2,931,
 * 3,925 → 3,450 ms; worse 3,590 → 4,011 and 3,188 → 3,249), setup in six, revoke in five, final
 * tx/s on every node at 2,000 offered in six (e.g. 1,044 → 1,127) and its p50 in all seven (e.g.
 * 3,500.0 → 2,688.9 ms); bench/README.md has every pair.
 *
 * An operator who passes `--always-sparkplug` or `--no-always-sparkplug` to Node keeps that choice.
 */
import { setFlagsFromString } from 'node:v8'

/** Whether Node's command line already decides the flag (then it is left alone). */
export function sparkplugChosenOnCommandLine(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((a) => /^--(no-)?always[-_]sparkplug$/.test(a))
}

if (!sparkplugChosenOnCommandLine()) setFlagsFromString('--always-sparkplug')
