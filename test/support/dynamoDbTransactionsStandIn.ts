import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A DynamoDB endpoint in front of another that lacks TransactWriteItems (dynalite). */
export interface DynamoDbTransactionsStandIn {
  /** Where `AWS_ENDPOINT_URL_DYNAMODB` points. */
  readonly url: string;
  /** TransactWriteItems requests it ran. */
  readonly transactions: number;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'DynamoDB_20120810';

/** The single-item operation of each kind of transaction entry; ConditionCheck has none to run alone. */
const OPERATIONS: Readonly<Record<string, string>> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' };

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

async function bodyOf(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Passes every request through to `upstream`, but runs `TransactWriteItems` itself as its entries'
 * single-item writes, in order, each with its own condition. The first condition that fails ends it
 * with `TransactionCanceledException` and its `CancellationReasons`, as DynamoDB answers; entries
 * before it stay written (not atomic): enough for callers whose transactions succeed, or fail on
 * their first entry. A `ConditionCheck` entry is refused.
 */
export async function startDynamoDbTransactionsStandIn(upstream: string): Promise<DynamoDbTransactionsStandIn> {
  let transactions = 0;
  const forward = (headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        new URL('/', upstream),
        { method: 'POST', headers: { ...headers, host: new URL(upstream).host, 'content-length': body.length } },
        (response) => {
          bodyOf(response).then(
            (answer) => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: answer }),
            reject,
          );
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });

  const transact = async (headers: IncomingHttpHeaders, input: { TransactItems?: unknown[] }): Promise<Answer> => {
    transactions += 1;
    const entries = input.TransactItems ?? [];
    for (const [index, entry] of entries.entries()) {
      const [kind, operation] = Object.entries(entry as Record<string, Record<string, unknown>>)[0] ?? [];
      const single = kind === undefined ? undefined : OPERATIONS[kind];
      if (single === undefined || operation === undefined) {
        return json(400, {
          __type: 'com.amazon.coral.validate#ValidationException',
          message: `the stand-in cannot run a ${String(kind)} entry of a transaction`,
        });
      }
      const { ReturnValuesOnConditionCheckFailure: _returned, ...fields } = operation;
      const answer = await forward(
        { ...headers, 'x-amz-target': `${TARGET_PREFIX}.${single}` },
        Buffer.from(JSON.stringify(fields)),
      );
      if (answer.status === 200) continue;
      const error = JSON.parse(answer.body.toString('utf8')) as { __type?: string; message?: string };
      if (!String(error.__type).endsWith('#ConditionalCheckFailedException')) return answer;
      const reasons = entries.map((_, other) =>
        other === index
          ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
          : { Code: 'None' },
      );
      return json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      });
    }
    return json(200, {});
  };

  const server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await bodyOf(request);
        const answer =
          request.headers['x-amz-target'] === `${TARGET_PREFIX}.TransactWriteItems`
            ? await transact(request.headers, JSON.parse(body.toString('utf8')) as { TransactItems?: unknown[] })
            : await forward(request.headers, body);
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'InternalFailure', message: (error as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get transactions() {
      return transactions;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(status: number, body: unknown): Answer {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: Buffer.from(JSON.stringify(body)),
  };
}
