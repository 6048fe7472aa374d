/**
 * A small command-line framework on node:util parseArgs: commands declare their options and
 * positionals, the framework finds the command, parses strictly, prints help, and turns every
 * error into one line `error CODE: message` with a non-zero exit (2 for usage errors).
 * Stack traces only with MEDCHAIN_DEBUG=1, and only for errors that are not the user's.
 */
import { parseArgs } from 'node:util'
import { isCoreError } from '../../core/errors.ts'
import { ClientError, ClientErrorCode, isClientError } from '../errors.ts'
import type { CommandContext } from './context.ts'

export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly multiple?: boolean
  readonly description: string
  /** Shown in help as `--name VALUE`. */
  readonly valueName?: string
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>

export interface ParsedCommandArgs {
  readonly positionals: readonly string[]
  readonly values: OptionValues
}

export interface CommandSpec {
  /** Words that select the command, e.g. ['keys', 'create']. */
  readonly path: readonly string[]
  readonly summary: string
  /** Positional part of the usage line, e.g. '<name>'. */
  readonly usage: string
  readonly description?: string
  readonly options?: Readonly<Record<string, OptionSpec>>
  readonly minArgs?: number
  readonly maxArgs?: number
  /** False for commands that never talk to a node (shown in help). */
  readonly needsRpc?: boolean
  run(ctx: CommandContext, args: ParsedCommandArgs): Promise<void>
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  rpc: { type: 'string', valueName: 'URL', description: 'node JSON-RPC endpoint (default $MEDCHAIN_RPC or http://127.0.0.1:8545)' },
  key: { type: 'string', valueName: 'NAME', description: 'keystore key that signs (or reads as)' },
  keystore: { type: 'string', valueName: 'DIR', description: 'keystore folder (default $MEDCHAIN_KEYSTORE or ~/.medchain/keys)' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
}

export interface GlobalFlags {
  readonly rpc: string | undefined
  readonly key: string | undefined
  readonly keystore: string | undefined
  readonly json: boolean
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options']

function toParseArgsOptions(specs: Readonly<Record<string, OptionSpec>>): ParseArgsOptions {
  const out: NonNullable<ParseArgsOptions> = {}
  for (const [name, s] of Object.entries(specs)) {
    out[name] = { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }
  }
  return out
}

export interface Resolution {
  readonly command: CommandSpec | null
  /** Command words that matched (a group name alone selects the group's help). */
  readonly words: readonly string[]
  readonly rest: readonly string[]
}

/**
 * Finds the command: the leading positional words (global options may come before them).
 * Returns the remaining argv with the command words removed.
 */
export function resolveCommand(commands: readonly CommandSpec[], argv: readonly string[]): Resolution {
  let tokens
  try {
    ({ tokens } = parseArgs({ args: [...argv], options: toParseArgsOptions(GLOBAL_OPTIONS), strict: false, allowPositionals: true, tokens: true }))
  } catch {
    return { command: null, words: [], rest: argv }
  }
  const positionals = tokens.filter((t) => t.kind === 'positional')
  const words: string[] = []
  const used: number[] = []
  let command: CommandSpec | null = null
  for (const t of positionals) {
    const candidate = [...words, t.value]
    const prefixMatches = commands.filter((c) => candidate.every((w, i) => c.path[i] === w))
    if (prefixMatches.length === 0) break
    words.push(t.value)
    used.push(t.index)
    const exact = prefixMatches.find((c) => c.path.length === words.length)
    if (exact) {
      command = exact
      break
    }
  }
  const rest = argv.filter((_, i) => !used.includes(i))
  return { command, words, rest }
}

/** Parses a command's argv strictly (global + command options). @throws ClientError USAGE */
export function parseCommandArgs(command: CommandSpec, argv: readonly string[]): { globals: GlobalFlags & { help: boolean }; args: ParsedCommandArgs } {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: toParseArgsOptions({ ...GLOBAL_OPTIONS, ...command.options }), strict: true, allowPositionals: true })
  } catch (e) {
    throw new ClientError(ClientErrorCode.USAGE, `${(e as Error).message.split('\n')[0]} (see: medchain ${command.path.join(' ')} --help)`)
  }
  const v = parsed.values as OptionValues
  const help = v.help === true
  if (!help) {
    const n = parsed.positionals.length
    if (n < (command.minArgs ?? 0) || (command.maxArgs !== undefined && n > command.maxArgs)) {
      throw new ClientError(ClientErrorCode.USAGE, `usage: medchain ${command.path.join(' ')} ${command.usage}`.trimEnd())
    }
  }
  return {
    globals: {
      rpc: v.rpc as string | undefined, key: v.key as string | undefined, keystore: v.keystore as string | undefined,
      json: v.json === true, help,
    },
    args: { positionals: parsed.positionals, values: v },
  }
}

function optionLines(specs: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.valueName ?? 'VALUE'}` : ''}${s.multiple ? ' …' : ''}`
    return [flag, s.description] as const
  })
  const width = Math.max(0, ...rows.map(([f]) => f.length))
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`)
}

export function commandHelp(c: CommandSpec): string {
  const lines = [`medchain ${c.path.join(' ')} ${c.usage}`.trimEnd(), '', c.summary]
  if (c.description) lines.push('', c.description)
  if (c.options && Object.keys(c.options).length > 0) lines.push('', 'Options:', ...optionLines(c.options))
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS))
  return lines.join('\n')
}

export function topHelp(commands: readonly CommandSpec[], group: readonly string[] = []): string {
  const shown = commands.filter((c) => group.every((w, i) => c.path[i] === w))
  const rows = shown.map((c) => [`${c.path.join(' ')}`, c.summary] as const)
  const width = Math.max(...rows.map(([n]) => n.length))
  return [
    `usage: medchain ${group.length ? group.join(' ') + ' ' : ''}<command> [options]`,
    '',
    group.length ? 'Commands:' : 'medchain: keys, image fingerprints and the X-ray record contract on a medchain network.\n\nCommands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `medchain <command> --help` for a command\'s options. Passphrases come from',
    '$MEDCHAIN_PASSPHRASE or are prompted (without echo) on a terminal.',
  ].join('\n')
}

/** One line for any error: its stable code and message. */
export function describeError(e: unknown): { code: string; message: string; userError: boolean } {
  if (isClientError(e)) return { code: e.code, message: e.reason, userError: true }
  if (isCoreError(e)) return { code: e.code, message: e.message.slice(e.code.length + 2), userError: true }
  const rpc = e as { dataCode?: unknown; code?: unknown; message?: unknown; data?: { code?: unknown } } | null
  const dataCode = typeof rpc?.dataCode === 'string' ? rpc.dataCode : typeof rpc?.data?.code === 'string' ? rpc.data.code : undefined
  if (dataCode && typeof rpc?.code === 'number') return { code: dataCode, message: String(rpc.message ?? ''), userError: true }
  const sys = e as NodeJS.ErrnoException | null
  if (sys && typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code)) {
    return { code: sys.code === 'ECONNREFUSED' ? 'RPC_UNREACHABLE' : sys.code, message: sys.message, userError: true }
  }
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e), userError: false }
}

export const EXIT_USAGE = 2
export const EXIT_FAILURE = 1
