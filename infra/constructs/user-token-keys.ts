import { Duration, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { envVars, serviceName } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import { RecoFunction } from './reco-function.ts';

/** Properties of a {@link UserTokenKeysSecret}. */
export interface UserTokenKeysSecretProps {
  /**
   * Days between two rotations. Tokens live `userTokens.ttlSeconds` (at most
   * `userTokens.maxTtlSeconds`) and verifiers accept the previous key, so any interval longer
   * than a token's lifetime logs no one out.
   * @default 30
   */
  readonly rotationDays?: number;
}

/** Actions the rotation function takes on the secret (what `addRotationSchedule` grants it). */
export const ROTATION_SECRET_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
] as const;

/**
 * The signing keys of user tokens (`shared/auth/userToken.ts`): a Secrets Manager secret holding
 * `{"current": {"kid", "secret"}, "previous"?: {...}}`, encrypted with a customer-managed key of
 * its own, and rotated by {@link UserTokenKeysSecret.rotationFunction} every
 * {@link UserTokenKeysSecretProps.rotationDays} days.
 *
 * The secret is created with a random placeholder that is no valid key set; the rotation runs right
 * after the deploy that creates the schedule (Secrets Manager's default), and from then on the
 * value is the rotation function's. Keys live only in the secret, never in a function's
 * environment, so a later `cdk deploy` cannot put an old key back.
 */
export class UserTokenKeysSecret extends Construct {
  /** Customer-managed key (rotated yearly) encrypting the secret. */
  public readonly key: kms.Key;

  public readonly secret: secretsmanager.Secret;

  /** Secrets Manager's rotation function (`functions/rotateUserTokenKeys`). */
  public readonly rotationFunction: RecoFunction;

  public readonly rotationSchedule: secretsmanager.RotationSchedule;

  public constructor(scope: Construct, id: string, props: UserTokenKeysSecretProps = {}) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${serviceName} user-token signing keys`,
      enableKeyRotation: true,
    });
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `${serviceName} user-token signing keys ({"current", "previous"}), rotated by its rotation function`,
      encryptionKey: this.key,
      // A placeholder the first rotation replaces; verifiers refuse it (it is no JSON key set).
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    this.rotationFunction = new RecoFunction(this, 'RotationFunction', {
      entry: functionEntry('rotateUserTokenKeys'),
      description: 'Secrets Manager rotation of the user-token signing keys (current becomes previous)',
    });
    this.rotationSchedule = this.secret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.days(props.rotationDays ?? 30),
    });

    const rotationPolicy = this.rotationFunction.executionRole.node.findChild('DefaultPolicy');
    Validations.of(rotationPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Two statements of this role are on Resource "*", neither of which supports resource-level ' +
        'permissions: X-Ray PutTraceSegments/PutTelemetryRecords of active tracing, and ' +
        'secretsmanager:GetRandomPassword, which addRotationSchedule grants every rotation function (this one ' +
        'draws its keys from node:crypto instead). Its secret actions are on this one secret ARN.',
    });
  }

  /**
   * Lets `fn` read the keys (`secretsmanager:GetSecretValue` and `DescribeSecret` on this secret,
   * `kms:Decrypt` on its key through Secrets Manager only) and tells it the secret's ARN through
   * `envVars.userTokenKeysSecretArn`.
   */
  public bindReader(fn: lambda.Function): void {
    fn.addEnvironment(envVars.userTokenKeysSecretArn, this.secret.secretArn);
    this.secret.grantRead(fn);
  }
}
