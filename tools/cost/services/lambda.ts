/** Lambda: requests and arm64 GB-seconds of each function (see `functions.ts` for the durations). */
import { functionUses } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';

export function lambda(context: CostContext): LineItem[] {
  const requests = use(context.prices, 'lambdaRequestPerMillion');
  const gbSecond = use(context.prices, 'lambdaArmGbSecond');
  return functionUses(context).map((fn) => {
    const gbSeconds = fn.invocationsPerMonth * (fn.billedMs / 1000) * (fn.memoryMb / 1024);
    const requestUsd = (fn.invocationsPerMonth / 1e6) * requests[1].usd;
    return {
      service: 'Lambda',
      item: `${fn.name} function`,
      usd: requestUsd + gbSeconds * gbSecond[1].usd,
      formula:
        `${num(fn.invocationsPerMonth)} invocations × ${usd(requests[1].usd)}/M + ${num(fn.invocationsPerMonth)} × ` +
        `${num(fn.billedMs, 2)} ms × ${num(fn.memoryMb / 1024, 3)} GB = ${num(gbSeconds)} GB-s × ${usd(gbSecond[1].usd)}; ${fn.formula}`,
      prices: [requests, gbSecond],
    };
  });
}
