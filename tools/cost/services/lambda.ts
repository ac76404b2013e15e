/** Lambda: requests and arm64 GB-seconds of each function (see `functions.ts` for the durations). */
import { functionUses } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';

/** A month of one function: requests plus GB-seconds at arm64's price. */
export function lambdaUsd(options: {
  readonly invocations: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly requestPerMillionUsd: number;
  readonly gbSecondUsd: number;
}): { usd: number; gbSeconds: number } {
  const gbSeconds = options.invocations * (options.billedMs / 1000) * (options.memoryMb / 1024);
  return {
    usd: (options.invocations / 1e6) * options.requestPerMillionUsd + gbSeconds * options.gbSecondUsd,
    gbSeconds,
  };
}

export function lambda(context: CostContext): LineItem[] {
  const requests = use(context.prices, 'lambdaRequestPerMillion');
  const gbSecond = use(context.prices, 'lambdaArmGbSecond');
  return functionUses(context).map((fn) => {
    const { usd: monthUsd, gbSeconds } = lambdaUsd({
      invocations: fn.invocationsPerMonth,
      billedMs: fn.billedMs,
      memoryMb: fn.memoryMb,
      requestPerMillionUsd: requests[1].usd,
      gbSecondUsd: gbSecond[1].usd,
    });
    return {
      service: 'Lambda',
      item: fn.name,
      usd: monthUsd,
      formula:
        `${num(fn.invocationsPerMonth)} invocations × ${usd(requests[1].usd)}/M + ${num(fn.invocationsPerMonth)} × ` +
        `${num(fn.billedMs, 2)} ms × ${num(fn.memoryMb / 1024, 3)} GB = ${num(gbSeconds)} GB-s × ${usd(gbSecond[1].usd)}; ${fn.formula}`,
      prices: [requests, gbSecond],
    };
  });
}
