/** `anchor <files|folders>`: hash images and record every fingerprint, pipelined and resumable. */
import { toHex } from '../../../core/hex.ts'
import { anchorImages, DEFAULT_ANCHOR_WINDOW, type AnchorDeps, type FinalityResult } from '../../anchor.ts'
import { recordArgs, XrayMethod } from '../../xray-contract.ts'
import { rpcDataCode } from '../../tx-sender.ts'
import type { CommandSpec } from '../framework.ts'
import { extensionsOf, imageSelectionOptions } from './hash.ts'
import { contractOf, contractOption, positiveInt } from './shared.ts'

export const anchorCommand: CommandSpec = {
  path: ['anchor'],
  summary: 'record the fingerprints of many images (as the doctor --key), pipelined and resumable',
  usage: '<file|folder>…',
  description: 'Each image becomes one setXrayhash(part, fingerprint) tx. Progress is journalled (JSON lines);\nre-running the same command after an interruption skips images already final and re-checks pending ones.',
  options: {
    ...contractOption,
    part: { type: 'string', valueName: 'PART', description: 'body part recorded with each image (default chest)' },
    journal: { type: 'string', valueName: 'FILE', description: 'journal file (default ./medchain-anchor.jsonl)' },
    window: { type: 'string', valueName: 'N', description: `txs in flight at once (default ${DEFAULT_ANCHOR_WINDOW})` },
    timeout: { type: 'string', valueName: 'MS', description: 'how long to wait for each tx to be final (default 120000)' },
    ...imageSelectionOptions,
  },
  minArgs: 1,
  async run(ctx, { positionals, values }) {
    const contract = contractOf(ctx, values)
    const part = typeof values.part === 'string' ? values.part : 'chest'
    const journalPath = typeof values.journal === 'string' ? values.journal : 'medchain-anchor.jsonl'
    const timeoutMs = positiveInt(values.timeout, 'timeout', 120_000)
    const { tx: sender } = await ctx.txSender()
    const chain = await ctx.chain()
    const deps: AnchorDeps = {
      record: async (p, sha256) => toHex((await sender.send((b) => b.call(contract, XrayMethod.setXrayhash, recordArgs(p, sha256)))).id),
      waitFinal: async (id): Promise<FinalityResult> => {
        // A tx the node does not know (evicted, or lost in a restart) is 'unknown' so the
        // pipeline records it again; waitForFinal alone would wait for it until the timeout.
        let t = await chain.getTx(id).catch((e: unknown) => {
          if (rpcDataCode(e) === 'NOT_FOUND') return null
          throw e
        })
        if (t === null) return { status: 'unknown' }
        if (t.status === 'pending') t = await chain.waitForFinal(id, { timeoutMs })
        if (t.status === 'final' && t.receipt?.status !== 'failed') return { status: 'final' }
        return { status: 'failed', error: t.receipt?.errorCode || t.status }
      },
    }
    const started = performance.now()
    let lastNote = 0
    const result = await anchorImages({
      inputs: positionals, journalPath, part, extensions: extensionsOf(values),
      window: positiveInt(values.window, 'window', DEFAULT_ANCHOR_WINDOW),
      onProgress: (p) => {
        const now = performance.now()
        if (!ctx.json && (now - lastNote > 500 || p.done === p.total)) {
          lastNote = now
          ctx.note(`${p.done}/${p.total} images (${p.inFlight} in flight)`)
        }
      },
    }, deps)
    const ms = performance.now() - started
    ctx.result({ ...result, ms: Math.round(ms), journal: journalPath }, () => [
      ...result.items.filter((i) => i.outcome === 'failed').map((i) => `failed  ${i.sha256}  ${i.path}  ${i.error ?? ''}`),
      `${result.total} images: ${result.recorded} recorded, ${result.alreadyFinal} already final, ${result.duplicates} duplicates, ${result.failed} failed, ${result.pending} pending (${(ms / 1000).toFixed(1)} s)`,
      `journal ${journalPath}`,
    ].join('\n'))
    if (result.failed > 0 || result.pending > 0) ctx.exitCode = 1
  },
}
