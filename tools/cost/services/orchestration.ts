/** Step Functions (the training pipeline) and the EventBridge schedule that starts it. */
import { training } from '#shared/config/index.ts';
import { trainingRuns } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';

export function stepFunctions(context: CostContext): LineItem[] {
  const { runs, skipped } = trainingRuns(context);
  const { assumptions: a } = context;
  const transition = use(context.prices, 'stepFunctionsPerThousandTransitions');
  const scheduler = use(context.prices, 'schedulerPerMillion');
  const transitions = runs * a.transitionsPerRun + skipped * a.transitionsPerSkippedRun;
  return [
    {
      service: 'Step Functions',
      item: 'training pipeline (Standard)',
      usd: (transitions / 1000) * transition[1].usd,
      formula:
        `${num(runs, 1)} runs × ${a.transitionsPerRun} + ${num(skipped, 1)} skipped × ${a.transitionsPerSkippedRun} transitions = ` +
        `${num(transitions)} × ${usd(transition[1].usd)}/1,000`,
      prices: [transition],
    },
    {
      service: 'EventBridge Scheduler',
      item: `training schedule (${training.schedule})`,
      // Within the 14 million free invocations a month.
      usd: 0,
      formula: `${num(runs + skipped, 1)} invocations, inside the free 14 million (${usd(scheduler[1].usd)}/M beyond)`,
      prices: [scheduler],
    },
  ];
}
