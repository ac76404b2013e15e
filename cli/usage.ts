/** The commands, their flags and the usage text. */
import type { ParseArgsConfig } from 'node:util';
import { ALGORITHMS } from '#shared/recommender/model.ts';
import { PROTOCOLS } from '#shared/recommender/evaluation/splits.ts';

export const COMMANDS = [
  'train',
  'rank',
  'recommend',
  'similar',
  'evaluate',
  'tune',
  'erase',
  'user-token',
  'dashboard',
] as const;
export type Command = (typeof COMMANDS)[number];

export const USAGE = `usage: reco <command> [options]

Commands:
  train      --interactions FILE [--items FILE] --out DIR [--algorithm NAME] [--param key=value ...]
             [--params-file FILE] [--pack] [--skip-invalid] [--non-product-codes FILE]
             [--tune-budget SECONDS|Nx|Ntrials] [--no-tune]
             Tune on a validation split (each shopper's latest item held out), then train on all
             the data and write the model to DIR (--pack also writes DIR/model.tar.gz). The budget
             defaults to 4x one default training run (at most 5x); Ntrials counts work, not time,
             for runs that must repeat exactly. Values given with --param are kept, not tuned.
             --non-product-codes marks the ids of FILE (e.g. data/non-product-codes.json) not recommendable.
  rank       --model DIR --requests FILE
             Rank given items per shopper. Requests: JSONL {"userId","itemIds"}; prints JSONL
             {"userId","itemIds","scores"} in input order, items best first.
  recommend  --model DIR --users FILE --count K [--exclude-seen]
             Top K items per shopper. Users: JSONL {"userId"} or one id per line.
  similar    --model DIR --items FILE --count K
             Top K similar items per item. Items: JSONL {"itemId"} or one id per line.
  evaluate   --interactions FILE [--items FILE] [--protocol P] [--negatives 99] [--k 5,10,20]
             [--algorithms a,b] [--event-types t,u] [--max-users N] [--quantile 0.8] [--seed 42]
             [--json] [--skip-invalid]
             Train each algorithm on a split and print one table, algorithms side by side.
  tune       --interactions FILE [--items FILE] --algorithm NAME --out FILE [--trials 20]
             [--protocol P] [--metric ndcg@10] [--event-types t,u] [--max-users N] [--seed 42]
             [--skip-invalid]
             Random search around the defaults on a validation split (never the test split);
             writes the best hyperparameters as JSON for train --params-file.
  erase      --user ID [--api URL] [--region R]
             Erase a shopper (DELETE /v1/users/{id} on the server API) and print the result.
  user-token --user ID [--ttl SECONDS] [--api URL] [--region R]
             Mint a signed-in shopper's user token (POST /v1/admin/user-tokens) and print it.
  dashboard  [--api URL] [--port 8080] [--region R]
             Serve the live dashboard on 127.0.0.1 and print its URL; its stats calls
             (GET /v1/admin/stats) are signed on this machine. Runs until Ctrl-C.
             These three sign with AWS SigV4 from the standard AWS credential chain; --api defaults
             to RECO_SERVER_API_URL (the ServerApiUrl stack output, or the local stack's URL).

Algorithms: ${ALGORITHMS.join(', ')} (default hybrid).
Protocols:  ${PROTOCOLS.join(', ')} (default loo-sampled).
Data files: Amazon Personalize CSV (USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE] and
            ITEM_ID[,TITLE][,DESCRIPTION][,CATEGORY_L1...][,PRICE][,IN_STOCK][,CREATION_TIMESTAMP]),
            plain or gzip.
Exit codes: 0 ok, 1 data error, 2 usage error. reco <command> --help shows this text.`;

type Options = NonNullable<ParseArgsConfig['options']>;

const DATA_OPTIONS = {
  interactions: { type: 'string' },
  items: { type: 'string' },
  'skip-invalid': { type: 'boolean' },
  'non-product-codes': { type: 'string' },
} as const satisfies Options;

export const OPTIONS = {
  train: {
    ...DATA_OPTIONS,
    out: { type: 'string' },
    algorithm: { type: 'string' },
    param: { type: 'string', multiple: true },
    'params-file': { type: 'string' },
    pack: { type: 'boolean' },
    'tune-budget': { type: 'string' },
    'no-tune': { type: 'boolean' },
  },
  rank: { model: { type: 'string' }, requests: { type: 'string' } },
  recommend: {
    model: { type: 'string' },
    users: { type: 'string' },
    count: { type: 'string' },
    'exclude-seen': { type: 'boolean' },
  },
  similar: { model: { type: 'string' }, items: { type: 'string' }, count: { type: 'string' } },
  evaluate: {
    ...DATA_OPTIONS,
    protocol: { type: 'string' },
    negatives: { type: 'string' },
    k: { type: 'string' },
    algorithms: { type: 'string' },
    'event-types': { type: 'string' },
    'max-users': { type: 'string' },
    quantile: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  tune: {
    ...DATA_OPTIONS,
    algorithm: { type: 'string' },
    out: { type: 'string' },
    trials: { type: 'string' },
    protocol: { type: 'string' },
    metric: { type: 'string' },
    'event-types': { type: 'string' },
    'max-users': { type: 'string' },
    seed: { type: 'string' },
  },
  erase: { user: { type: 'string' }, api: { type: 'string' }, region: { type: 'string' } },
  'user-token': {
    user: { type: 'string' },
    ttl: { type: 'string' },
    api: { type: 'string' },
    region: { type: 'string' },
  },
  dashboard: { api: { type: 'string' }, port: { type: 'string' }, region: { type: 'string' } },
} as const satisfies Record<Command, Options>;
