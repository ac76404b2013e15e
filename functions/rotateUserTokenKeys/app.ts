import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { parseUserTokenKeys } from '#shared/auth/userToken.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import { keepAliveHandler } from '../lib/httpHandler.ts';
import { logger } from '../lib/observability.ts';
import type { Env } from '../lib/env.ts';

/** The event Secrets Manager invokes a rotation function with, once per step. */
export interface RotationEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

export interface RotateFunctionDeps {
  readonly client: SecretsManagerClient;
  readonly clock: Clock;
  /** Random bytes for a new signing key and its key id. */
  readonly randomBytes: (size: number) => Buffer;
}

/** Bytes of a new signing key: HMAC-SHA256's block-sized minimum `parseUserTokenKeys` asks for. */
export const KEY_BYTES = 32;

/** Thrown when a rotation step cannot go on; Secrets Manager then retries the rotation later. */
export class RotationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** The rotation function's dependencies; `overrides` replace any of them. */
export function createDeps(_env: Env, overrides: Partial<RotateFunctionDeps> = {}): RotateFunctionDeps {
  return {
    client: overrides.client ?? new SecretsManagerClient({ requestHandler: keepAliveHandler() }),
    clock: systemClock,
    randomBytes,
    ...overrides,
  };
}

/**
 * A key id a person can date: `<yyyymmdd>-<12 random base64url characters>`, within the
 * `[A-Za-z0-9_-]{1,32}` user tokens allow.
 */
function newKid(deps: RotateFunctionDeps): string {
  const day = new Date(deps.clock.now()).toISOString().slice(0, 10).replaceAll('-', '');
  return `${day}-${deps.randomBytes(9).toString('base64url')}`;
}

/**
 * The next value of the user-token keys: a new random current key, and the current key of
 * `currentValue` as the previous one, so tokens it signed stay valid until they expire. A current
 * value that does not parse (the placeholder the stack creates the secret with) has no key to keep.
 */
export function nextUserTokenKeys(currentValue: string | undefined, deps: RotateFunctionDeps): string {
  const current = { kid: newKid(deps), secret: deps.randomBytes(KEY_BYTES).toString('base64') };
  let previous: { kid: string; secret: string } | undefined;
  if (currentValue !== undefined) {
    try {
      const [key] = parseUserTokenKeys(currentValue, 'AWSCURRENT');
      if (key) previous = { kid: key.kid, secret: key.secret.toString('base64') };
    } catch {
      previous = undefined;
    }
  }
  return JSON.stringify(previous === undefined ? { current } : { current, previous });
}

const isNotFound = (error: unknown): boolean =>
  error instanceof ResourceNotFoundException || (error as { name?: unknown })?.name === 'ResourceNotFoundException';

/**
 * The Secrets Manager rotation function of the user-token keys, in its four steps:
 * - `createSecret`: puts `{"current": <new key>, "previous": <AWSCURRENT's current>}` as the
 *   AWSPENDING version of the request token, unless that version exists already (a retried step);
 * - `setSecret`: nothing; no other service holds the keys, the functions read the secret itself;
 * - `testSecret`: the pending value must parse as user-token keys with a new current key id;
 * - `finishSecret`: moves AWSCURRENT to the pending version (AWSPREVIOUS follows by itself).
 */
export function createHandler(deps: RotateFunctionDeps): (event: RotationEvent) => Promise<void> {
  const { client } = deps;

  const pendingValue = async (event: RotationEvent): Promise<string> => {
    const pending = await client.send(
      new GetSecretValueCommand({
        SecretId: event.SecretId,
        VersionId: event.ClientRequestToken,
        VersionStage: 'AWSPENDING',
      }),
    );
    if (pending.SecretString === undefined) throw new RotationError('the pending version has no SecretString');
    return pending.SecretString;
  };

  const steps: Readonly<Record<string, (event: RotationEvent) => Promise<void>>> = {
    createSecret: async (event) => {
      const current = await client.send(
        new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: 'AWSCURRENT' }),
      );
      try {
        await pendingValue(event);
        logger.info('rotation: pending version exists already', { step: event.Step });
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      await client.send(
        new PutSecretValueCommand({
          SecretId: event.SecretId,
          ClientRequestToken: event.ClientRequestToken,
          SecretString: nextUserTokenKeys(current.SecretString, deps),
          VersionStages: ['AWSPENDING'],
        }),
      );
      logger.info('rotation: new pending version', { step: event.Step });
    },
    setSecret: async () => {},
    testSecret: async (event) => {
      const keys = parseUserTokenKeys(await pendingValue(event), 'the pending user-token keys');
      if (keys.length === 2 && keys[0]?.kid === keys[1]?.kid) {
        throw new RotationError('the pending current and previous keys have the same key id');
      }
    },
    finishSecret: async (event) => {
      const description = await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
      const current = Object.entries(description.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0];
      if (current === event.ClientRequestToken) return;
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: event.SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: event.ClientRequestToken,
          ...(current === undefined ? {} : { RemoveFromVersionId: current }),
        }),
      );
      logger.info('rotation: AWSCURRENT moved', { step: event.Step });
    },
  };

  return async (event) => {
    const step = steps[event.Step];
    if (step === undefined) throw new RotationError(`unknown rotation step ${JSON.stringify(event.Step)}`);
    const description = await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
    if (description.RotationEnabled === false) throw new RotationError(`secret ${event.SecretId} has rotation off`);
    const stages = description.VersionIdsToStages?.[event.ClientRequestToken];
    if (stages === undefined) {
      throw new RotationError(`secret ${event.SecretId} has no version ${event.ClientRequestToken} to rotate to`);
    }
    // A version already current was finished by an earlier run of this rotation.
    if (stages.includes('AWSCURRENT')) return;
    if (!stages.includes('AWSPENDING')) {
      throw new RotationError(`version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING`);
    }
    await step(event);
  };
}
