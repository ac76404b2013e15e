/** Secrets Manager, KMS and the storefront's WAF web ACL. */
import { HOURS_PER_MONTH } from '../assumptions.ts';
import { functionUses } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';

/** Functions that read a secret (user-token keys, erasure hash key) every 5 minutes per instance. */
const SECRET_READERS = new Set(['recommend function', 'ingest function', 'processor function']);
/** Stream producers and consumers whose credentials ask KMS for a data key about every 5 minutes. */
const STREAM_CLIENTS = new Set(['ingest function', 'processor function']);

/** Warm instances of the named functions at the peak. */
function warmInstances(context: CostContext, names: ReadonlySet<string>): number {
  return functionUses(context)
    .filter((fn) => names.has(fn.name))
    .reduce((sum, fn) => sum + fn.peakInstances, 0);
}

export function secretsManager(context: CostContext): LineItem[] {
  const { assumptions: a } = context;
  const secret = use(context.prices, 'secretMonth');
  const calls = use(context.prices, 'secretsPer10kCalls');
  const instances = warmInstances(context, SECRET_READERS);
  const reads = instances * a.secretReadsPerInstanceHour * HOURS_PER_MONTH;
  return [
    {
      service: 'Secrets Manager',
      item: 'secrets and reads',
      usd: a.secrets * secret[1].usd + (reads / 10_000) * calls[1].usd,
      formula:
        `${a.secrets} secrets × ${usd(secret[1].usd)} + ${num(instances)} warm instances × ${a.secretReadsPerInstanceHour}/h × ${HOURS_PER_MONTH} h ` +
        `= ${num(reads)} reads × ${usd(calls[1].usd)}/10,000`,
      prices: [secret, calls],
    },
  ];
}

export function kms(context: CostContext): LineItem[] {
  const { assumptions: a } = context;
  const key = use(context.prices, 'kmsKeyMonth');
  const requests = use(context.prices, 'kmsPer10kRequests');
  const secretReads = warmInstances(context, SECRET_READERS) * a.secretReadsPerInstanceHour * HOURS_PER_MONTH;
  // Firehose reads the stream as one more client while events flow.
  const firehose = traffic(context.load, a).active ? 1 : 0;
  const streamCalls = (warmInstances(context, STREAM_CLIENTS) + firehose) * 12 * HOURS_PER_MONTH;
  const total = secretReads + streamCalls;
  return [
    {
      service: 'KMS',
      item: 'customer-managed keys and requests',
      usd: a.kmsKeys * key[1].usd + (total / 10_000) * requests[1].usd,
      formula:
        `${a.kmsKeys} keys × ${usd(key[1].usd)} + (${num(secretReads)} secret decrypts + ${num(streamCalls)} stream data keys) × ` +
        `${usd(requests[1].usd)}/10,000 (S3 Bucket Keys make the lake's few)`,
      prices: [key, requests],
    },
  ];
}

export function waf(context: CostContext): LineItem[] {
  if (!context.shape.waf) {
    return [
      {
        service: 'WAF',
        item: 'none: no web ACL',
        usd: 0,
        formula: 'the usage plan still throttles each key',
        prices: [],
      },
    ];
  }
  const t = traffic(context.load, context.assumptions);
  const acl = use(context.prices, 'wafWebAclMonth');
  const rule = use(context.prices, 'wafRuleMonth');
  const requests = use(context.prices, 'wafPerMillionRequests');
  return [
    {
      service: 'WAF',
      item: 'storefront web ACL, one rate rule',
      usd: acl[1].usd + rule[1].usd + (t.storefrontRequestsPerMonth / 1e6) * requests[1].usd,
      formula: `${usd(acl[1].usd)} + 1 rule × ${usd(rule[1].usd)} + ${num(t.storefrontRequestsPerMonth)} requests × ${usd(requests[1].usd)}/M`,
      prices: [acl, rule, requests],
    },
  ];
}
