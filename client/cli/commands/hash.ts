/** `hash <files|folders>`: image fingerprints, as the paper records them. Needs no node. */
import { DEFAULT_IMAGE_EXTENSIONS, hashImages } from '../../image-hash.ts'
import type { CommandSpec, OptionSpec } from '../framework.ts'

export const imageSelectionOptions: Record<string, OptionSpec> = {
  ext: { type: 'string', multiple: true, valueName: 'EXT', description: `extensions kept in folders (default ${DEFAULT_IMAGE_EXTENSIONS.join(' ')})` },
  all: { type: 'boolean', description: 'keep every file found in folders' },
}

export function extensionsOf(values: Record<string, unknown>): readonly string[] {
  if (values.all === true) return []
  const ext = values.ext as string[] | undefined
  return ext && ext.length > 0 ? ext.flatMap((e) => e.split(',')).filter(Boolean) : DEFAULT_IMAGE_EXTENSIONS
}

export const hashCommand: CommandSpec = {
  path: ['hash'],
  summary: 'print the SHA-256 fingerprint of images (files, or folders recursively)',
  usage: '<file|folder>…',
  description: 'Output: one line per image, `<64 hex fingerprint>  <path>` (as sha256sum), in a stable order.',
  options: { ...imageSelectionOptions },
  minArgs: 1,
  needsRpc: false,
  async run(ctx, { positionals, values }) {
    const started = performance.now()
    const result = await hashImages(positionals, { extensions: extensionsOf(values) })
    const ms = performance.now() - started
    if (ctx.json) {
      ctx.out(JSON.stringify(result, null, 2))
    } else {
      ctx.out(result.map((r) => `${r.sha256}  ${r.path}`).join('\n') || '(no images)')
      const bytes = result.reduce((s, r) => s + r.size, 0)
      ctx.note(`${result.length} images, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms`)
    }
  },
}
