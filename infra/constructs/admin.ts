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
 * The shop backend's administration: the function behind `POST /v1/admin/user-tokens` (mints a
 * signed-in shopper's user token, so the signing key never leaves AWS) and `GET /v1/ready`, both on
 * the server API only. Bound to the user-token keys and to nothing else; outside the VPC, as it
 * reads no table and needs no endpoint.
 */
export class Admin extends Construct {
  /** Handler of the `userTokens` and `readiness` routes. */
  public readonly adminFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);

    this.adminFunction = new RecoFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description:
        `${api.routeMethods.userTokens} ${api.routes.userTokens} (mints user tokens) and ` +
        `${api.routeMethods.readiness} ${api.routes.readiness}`,
    });
    props.userTokenKeys.bindReader(this.adminFunction);
  }
}
