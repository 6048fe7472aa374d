/**
 * Runs one CLI invocation against an environment: finds the command, parses, runs, prints errors
 * as `error CODE: message` on stderr. Returns the exit code (0 ok, 1 failure, 2 usage).
 */
import { ClientErrorCode } from '../errors.ts'
import { COMMANDS } from './commands/index.ts'
import { CommandContext, type CliEnvironment } from './context.ts'
import {
  commandHelp, describeError, EXIT_FAILURE, EXIT_USAGE, parseCommandArgs, resolveCommand, topHelp, type CommandSpec,
} from './framework.ts'

export async function runCli(argv: readonly string[], cli: CliEnvironment, commands: readonly CommandSpec[] = COMMANDS): Promise<number> {
  const { command, words, rest } = resolveCommand(commands, argv)
  if (!command) {
    const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help'
    if (wantsHelp || words.length > 0) {
      cli.stdout(topHelp(commands, words) + '\n')
      return wantsHelp ? 0 : EXIT_USAGE
    }
    const first = argv.find((a) => !a.startsWith('-')) ?? argv[0] ?? ''
    cli.stderr(`error ${ClientErrorCode.UNKNOWN_COMMAND}: unknown command '${first}' (see: medchain --help)\n`)
    return EXIT_USAGE
  }
  let ctx: CommandContext | null = null
  try {
    const { globals, args } = parseCommandArgs(command, rest)
    if (globals.help) {
      cli.stdout(commandHelp(command) + '\n')
      return 0
    }
    ctx = new CommandContext(cli, globals)
    await command.run(ctx, args)
    return ctx.exitCode
  } catch (e) {
    const d = describeError(e)
    cli.stderr(`error ${d.code}: ${d.message}\n`)
    if (!d.userError && cli.env.MEDCHAIN_DEBUG) cli.stderr(`${(e as Error)?.stack ?? ''}\n`)
    return d.code === ClientErrorCode.USAGE ? EXIT_USAGE : EXIT_FAILURE
  } finally {
    await ctx?.close().catch(() => undefined)
  }
}
