/** `reco evaluate`: train each algorithm on a split and compare them in one table. */
import { ALGORITHMS } from '#shared/recommender/model.ts';
import { DEFAULT_KS, evaluate, formatReport } from '#shared/recommender/evaluation/evaluate.ts';
import { algorithmName, listOption, UsageError, type CliIo, type Values } from '../flags.ts';
import { loadData, registry, splitOptions } from '../trainingData.ts';

/** `--k`, the cut-offs metrics are reported at. */
function ksOption(values: Values): number[] {
  const list = listOption(values, 'k');
  if (list === undefined) return [...DEFAULT_KS];
  return list.map((text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--k must list positive integers, got "${text}"`);
    return Number(text);
  });
}

export async function evaluateCommand(values: Values, io: CliIo): Promise<void> {
  const names = (listOption(values, 'algorithms') ?? [...ALGORITHMS]).map((n) => algorithmName(n, '--algorithms'));
  const ks = ksOption(values);
  const options = splitOptions(values);
  const data = await loadData(values, io);
  const { trainerFor } = await registry();
  const report = await evaluate(
    names.map((name) => trainerFor(name)),
    data,
    { ...options, ks, onProgress: (message) => io.stderr.write(`${message}\n`) },
  );
  io.stdout.write(values['json'] === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}
