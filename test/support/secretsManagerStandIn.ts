import { randomUUID } from 'node:crypto';
import { AwsJsonError, startAwsJsonStandIn } from './awsJsonStandIn.ts';

interface Version {
  value: string | undefined;
  readonly stages: Set<string>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, Version>;
}

/** A Secrets Manager stand-in with the operations the functions and their rotation use. */
export interface SecretsManagerStandIn {
  /** Where `AWS_ENDPOINT_URL_SECRETS_MANAGER` points. */
  readonly url: string;
  /** Creates a secret under its ARN with `value` as its AWSCURRENT version. */
  createSecret(arn: string, value: string): void;
  /**
   * What Secrets Manager does before it invokes a rotation function: a version `token` labelled
   * AWSPENDING, without a value until the function's `createSecret` step puts one.
   */
  startRotation(arn: string, token: string): void;
  /** The value of the secret's AWSCURRENT version. */
  currentValue(arn: string): string | undefined;
  stop(): Promise<void>;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

/**
 * Secrets Manager on loopback, over its JSON 1.1 protocol: `GetSecretValue`, `DescribeSecret`,
 * `PutSecretValue` and `UpdateSecretVersionStage` on versions and staging labels, as the service
 * keeps them (a label is on one version at a time; moving AWSCURRENT labels the version it left
 * AWSPREVIOUS). Anything else is refused.
 */
export async function startSecretsManagerStandIn(): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, Secret>();
  const secretOf = (input: Record<string, unknown>): Secret => {
    const id = String(input.SecretId);
    const secret = secrets.get(id) ?? [...secrets.values()].find((candidate) => candidate.name === id);
    if (secret === undefined) throw new AwsJsonError('ResourceNotFoundException', `no secret ${id}`);
    return secret;
  };
  const versionWith = (secret: Secret, stage: string) =>
    [...secret.versions].find(([, version]) => version.stages.has(stage));
  const moveStage = (secret: Secret, stage: string, to: string) => {
    for (const [id, version] of secret.versions) {
      if (id !== to && version.stages.delete(stage) && stage === CURRENT) {
        versionWith(secret, PREVIOUS)?.[1].stages.delete(PREVIOUS);
        version.stages.add(PREVIOUS);
      }
    }
    secret.versions.get(to)?.stages.add(stage);
  };
  const standIn = await startAwsJsonStandIn('secretsmanager', 'application/x-amz-json-1.1', {
    GetSecretValue: (input) => {
      const secret = secretOf(input);
      const stage = input.VersionStage === undefined ? undefined : String(input.VersionStage);
      let found: [string, Version] | undefined;
      if (input.VersionId !== undefined) {
        const version = secret.versions.get(String(input.VersionId));
        if (version !== undefined && (stage === undefined || version.stages.has(stage))) {
          found = [String(input.VersionId), version];
        }
      } else {
        found = versionWith(secret, stage ?? CURRENT);
      }
      if (found === undefined || found[1].value === undefined) {
        throw new AwsJsonError('ResourceNotFoundException', `${secret.name} has no such version`);
      }
      const [versionId, version] = found;
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: versionId,
        SecretString: version.value,
        VersionStages: [...version.stages],
      };
    },
    DescribeSecret: (input) => {
      const secret = secretOf(input);
      return {
        ARN: secret.arn,
        Name: secret.name,
        RotationEnabled: true,
        VersionIdsToStages: Object.fromEntries([...secret.versions].map(([id, version]) => [id, [...version.stages]])),
      };
    },
    PutSecretValue: (input) => {
      const secret = secretOf(input);
      const versionId = String(input.ClientRequestToken ?? randomUUID());
      const value = String(input.SecretString);
      const existing = secret.versions.get(versionId);
      if (existing?.value !== undefined && existing.value !== value) {
        throw new AwsJsonError('ResourceExistsException', `version ${versionId} exists with another value`);
      }
      const version = existing ?? { value, stages: new Set<string>() };
      version.value = value;
      secret.versions.set(versionId, version);
      for (const stage of (input.VersionStages as string[] | undefined) ?? [CURRENT])
        moveStage(secret, stage, versionId);
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: [...version.stages] };
    },
    UpdateSecretVersionStage: (input) => {
      const secret = secretOf(input);
      const stage = String(input.VersionStage);
      const to = String(input.MoveToVersionId);
      const holder = versionWith(secret, stage)?.[0];
      if (holder !== undefined && holder !== to && holder !== input.RemoveFromVersionId) {
        throw new AwsJsonError('InvalidParameterException', `${stage} is on ${holder}; name it in RemoveFromVersionId`);
      }
      if (!secret.versions.has(to)) throw new AwsJsonError('ResourceNotFoundException', `no version ${to}`);
      moveStage(secret, stage, to);
      return { ARN: secret.arn, Name: secret.name };
    },
  });
  const nameOf = (arn: string) => arn.split(':secret:')[1] ?? arn;
  return {
    url: standIn.url,
    createSecret: (arn, value) => {
      secrets.set(arn, {
        arn,
        name: nameOf(arn),
        versions: new Map([[randomUUID(), { value, stages: new Set([CURRENT]) }]]),
      });
    },
    startRotation: (arn, token) => {
      const secret = secrets.get(arn);
      if (secret === undefined) throw new Error(`no secret ${arn}`);
      for (const version of secret.versions.values()) version.stages.delete('AWSPENDING');
      secret.versions.set(token, { value: undefined, stages: new Set(['AWSPENDING']) });
    },
    currentValue: (arn) => {
      const secret = secrets.get(arn);
      return secret === undefined ? undefined : versionWith(secret, CURRENT)?.[1].value;
    },
    stop: standIn.stop,
  };
}
