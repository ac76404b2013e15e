import { Construct } from 'constructs';
import { api } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import { RecoFunction } from './reco-function.ts';
import type { UserTokenKeysSecret } from './user-token-keys.ts';

/** Properties of an {@link Admin}. */
export interface AdminProps {
  /** The user-token signing keys; the admin function mints tokens with the current one. */
  readonly userTokenKeys: UserTokenKeysSecret;
}

/**
 * The shop backend's administration, on the server API only: `POST /v1/admin/user-tokens` (mints a
 * signed-in shopper's user token, so the signing key never leaves AWS) and the model routes (start
 * a training run, list and show versions, promote one). Bound to the user-token keys here; the
 * stack binds the registry's versions (read) and the training state machine (start). Outside the
 * VPC: DynamoDB and Step Functions are reached over their public endpoints with IAM.
 */
export class Admin extends Construct {
  /** Handler of the `userTokens` route and the model routes. */
  public readonly adminFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);

    this.adminFunction = new RecoFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description:
        `${api.routeMethods.userTokens} ${api.routes.userTokens} (mints user tokens) and the model routes ` +
        `under ${api.routes.models} and ${api.routes.trainModel}`,
    });
    props.userTokenKeys.bindReader(this.adminFunction);
  }
}
