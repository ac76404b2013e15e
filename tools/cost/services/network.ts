/** The serving VPC's interface endpoints: only the shapes with ElastiCache have a VPC. */
import { HOURS_PER_MONTH } from '../assumptions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';

/** AZs of the serving VPC (`ServingNetwork`: `maxAzs: 2`). */
export const SERVING_AZS = 2;

/** Whether the shape puts the recommend function in a VPC. */
export function hasVpc(context: CostContext): boolean {
  return context.shape.cache === 'elasticache';
}

export function vpcEndpoints(context: CostContext): LineItem[] {
  if (!hasVpc(context)) {
    return [{ service: 'VPC', item: 'none: no VPC', usd: 0, formula: 'the in-process cache needs no VPC', prices: [] }];
  }
  const t = traffic(context.load, context.assumptions);
  const azHour = use(context.prices, 'interfaceEndpointAzHour');
  const perGb = use(context.prices, 'interfaceEndpointGb');
  // Secrets Manager (user-token keys) and the SageMaker runtime (the model); DynamoDB's is a free gateway endpoint.
  const endpoints = 2;
  const gb = (t.missesPerMonth * context.assumptions.endpointPayloadBytes) / 1e9;
  return [
    {
      service: 'VPC',
      item: 'interface endpoints (Secrets Manager, SageMaker runtime)',
      usd: endpoints * SERVING_AZS * HOURS_PER_MONTH * azHour[1].usd + gb * perGb[1].usd,
      formula:
        `${endpoints} endpoints × ${SERVING_AZS} AZs × ${HOURS_PER_MONTH} h × ${usd(azHour[1].usd)} + ` +
        `${num(t.missesPerMonth)} model calls × ${num(context.assumptions.endpointPayloadBytes)} B = ${num(gb, 2)} GB × ${usd(perGb[1].usd)}`,
      prices: [azHour, perGb],
    },
  ];
}
