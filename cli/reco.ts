/**
 * `reco`: train, query and evaluate recommendation models from the command line.
 *
 * Exit codes: 0 success, 2 usage error (bad flag or value; the message names the flag), 1 data
 * error (a bad input file; the message names the file, line and field) or any other failure.
 * Results go to stdout (JSONL or a table) and progress to stderr, so output can be piped.
 */
import { parseArgs } from 'node:util';
import { DatasetError } from '#shared/recommender/io/dataset.ts';
import { MissingCredentialsError, ServerApiError, ServerApiUnreachableError } from './serverApi.ts';
import { suggestion, UsageError, type CliIo, type Values } from './flags.ts';
import { COMMANDS, OPTIONS, USAGE, type Command } from './usage.ts';
import { evaluateCommand } from './commands/evaluate.ts';
import { rank, recommend, similar } from './commands/query.ts';
import { eraseCommand, userTokenCommand } from './commands/shopper.ts';
import { train } from './commands/train.ts';
import { tuneCommand } from './commands/tune.ts';

export { UsageError, USAGE, type CliIo };

const HANDLERS: Record<Command, (values: Values, io: CliIo) => Promise<void>> = {
  train,
  rank,
  recommend,
  similar,
  evaluate: evaluateCommand,
  tune: tuneCommand,
  erase: eraseCommand,
  'user-token': userTokenCommand,
  // Loaded when run: it brings an HTTP server and the page's bundler.
  dashboard: async (values, io) => (await import('./dashboard.ts')).dashboardCommand(values, io),
};

/** Turns `node:util` parse errors into usage errors that name the flag. */
function parseCommand(command: Command, args: string[]): Values {
  try {
    const { values } = parseArgs({
      args,
      options: { ...OPTIONS[command], help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as Values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS') === true) {
      const flags = Object.keys(OPTIONS[command]).map((flag) => `--${flag}`);
      const unknown = /'(-[^']*)'/.exec((error as Error).message)?.[1];
      const hint = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined ? suggestion(unknown, flags) : '';
      throw new UsageError(`${command}: ${(error as Error).message}${hint}; valid flags: ${flags.join(' ')}`);
    }
    throw error;
  }
}

/** Runs the CLI and returns the exit code (it never calls `process.exit`, so it can be tested). */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return first === undefined ? 2 : 0;
  }
  try {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown command "${first}"${suggestion(first, COMMANDS)}; valid: ${COMMANDS.join(', ')}`);
    }
    const command = first as Command;
    const values = parseCommand(command, rest);
    if (values['help'] === true) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    await HANDLERS[command](values, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`reco: ${error.message}\nRun reco --help for usage.\n`);
      return 2;
    }
    if (error instanceof MissingCredentialsError) {
      io.stderr.write(`reco: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ServerApiUnreachableError) {
      io.stderr.write(`reco: ${error.message}; check --api (or RECO_SERVER_API_URL)\n`);
      return 1;
    }
    if (error instanceof ServerApiError) {
      io.stderr.write(`reco: the server API answered ${error.message}\n`);
      return 1;
    }
    if (error instanceof DatasetError) {
      io.stderr.write(`reco: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`reco: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
