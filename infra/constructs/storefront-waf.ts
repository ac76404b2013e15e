import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { api, serviceName } from '#shared/config/index.ts';

/** Properties of a {@link StorefrontWaf}. */
export interface StorefrontWafProps {
  /** The storefront API's deployment stage the web ACL protects. */
  readonly stage: apigw.Stage;

  /**
   * Requests one client IP may send in any 5 minutes before the rule blocks it (WAF's
   * rate-based rules count over a sliding window; 10 is its minimum). 2,000 per 5 minutes is
   * about 6.7 per second, well above what a shopper's browser sends (batched events, a few lists
   * per page), while one script can no longer use up the usage plan of the key every shopper shares.
   * @default DEFAULT_STOREFRONT_RATE_LIMIT
   */
  readonly rateLimit?: number;
}

/** Requests per client IP and 5 minutes the storefront WAF allows by default. */
export const DEFAULT_STOREFRONT_RATE_LIMIT = 2_000;

/** Key of the JSON body blocked requests get. */
const THROTTLED_BODY = 'throttled';

/**
 * A regional AWS WAF web ACL on the storefront API's stage, with one rate-based rule: a client IP
 * over {@link StorefrontWafProps.rateLimit} requests in 5 minutes gets 429 `throttled` (the
 * `api.gatewayErrors.throttled` body) until its rate falls again. The storefront key is public, so
 * without it one client could exhaust the usage plan every shopper shares. Everything else is
 * allowed; CloudWatch metrics and sampled requests are on.
 *
 * Price (us-east-1 list prices): $5 per web ACL and $1 per rule a month, plus $0.60 per million
 * requests; see docs/deploy.md.
 */
export class StorefrontWaf extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  public readonly association: wafv2.CfnWebACLAssociation;

  /** The limit in force (requests per client IP and 5 minutes). */
  public readonly rateLimit: number;

  public constructor(scope: Construct, id: string, props: StorefrontWafProps) {
    super(scope, id);

    this.rateLimit = props.rateLimit ?? DEFAULT_STOREFRONT_RATE_LIMIT;
    if (!Number.isInteger(this.rateLimit) || this.rateLimit < 10 || this.rateLimit > 2_000_000_000) {
      throw new Error(`StorefrontWaf rateLimit must be a whole number from 10 to 2,000,000,000, not ${this.rateLimit}`);
    }
    const { reason, message, status } = api.gatewayErrors.throttled;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `${serviceName} storefront API: per-IP rate limit`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${serviceName}-storefront`),
      customResponseBodies: {
        [THROTTLED_BODY]: { contentType: 'APPLICATION_JSON', content: JSON.stringify({ reason, message }) },
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          statement: {
            rateBasedStatement: { limit: this.rateLimit, evaluationWindowSec: 300, aggregateKeyType: 'IP' },
          },
          action: { block: { customResponse: { responseCode: status, customResponseBodyKey: THROTTLED_BODY } } },
          visibilityConfig: visibility(`${serviceName}-storefront-rate-limit-per-ip`),
        },
      ],
    });

    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
