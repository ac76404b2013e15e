/** Entry point of `npm run cost` (see `cli.ts`). */
import { runCost } from './cli.ts';

process.exitCode = runCost(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
