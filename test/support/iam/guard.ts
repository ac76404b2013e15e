import {
  evaluatePolicy,
  type Caller,
  type Evaluation,
  type IamRequest,
  type PolicyStatement,
} from './policyEvaluator.ts';
import type { RecordedCall } from './recorder.ts';
import { iamRequestsOf, PLACEHOLDER, type CallRequest } from './requests.ts';
import type { TemplateModel, TemplatePrincipal, VpcEndpoint } from './template.ts';

/** A function of the code (`functions/<name>/`) and the Lambda function of the template that runs it. */
export interface GuardedFunction {
  readonly name: string;
  readonly logicalId: string;
}

/**
 * Code a service runs with a role of the template, outside any VPC: the model image's export, as
 * the SageMaker Processing job of the training pipeline.
 */
export interface GuardedRole {
  readonly name: string;
  readonly roleLogicalId: string;
}

/** Whose calls the guard checks: by the name their calls are recorded under. */
export type GuardedCode = GuardedFunction | GuardedRole;

/** A request of a recorded call that AWS would refuse, with why. */
export interface Finding {
  readonly functionName: string;
  readonly command: string;
  readonly action: string;
  readonly resource: string;
  readonly context: IamRequest['context'];
  readonly reasons: readonly string[];
}

/**
 * KMS requests a service makes on the caller's behalf, with the caller's permissions, when the
 * resource is encrypted with a customer managed key: Secrets Manager decrypts a secret version to
 * return it and makes a data key to store one, Kinesis makes a data key per record put, SQS both,
 * S3 decrypts an object it returns and makes a data key for one it stores.
 */
const KMS_ON_BEHALF: Readonly<Record<string, { readonly via: string; readonly actions: readonly string[] }>> = {
  'secretsmanager:GetSecretValue': { via: 'secretsmanager', actions: ['kms:Decrypt'] },
  'secretsmanager:PutSecretValue': { via: 'secretsmanager', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  'kinesis:PutRecord': { via: 'kinesis', actions: ['kms:GenerateDataKey'] },
  'kinesis:PutRecords': { via: 'kinesis', actions: ['kms:GenerateDataKey'] },
  'sqs:SendMessage': { via: 'sqs', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  's3:GetObject': { via: 's3', actions: ['kms:Decrypt'] },
  's3:PutObject': { via: 's3', actions: ['kms:GenerateDataKey'] },
};

/** The scalable target of an endpoint variant: its id is generated at registration, so any stands for it. */
const SCALABLE_TARGET = `arn:${PLACEHOLDER.partition}:application-autoscaling:${PLACEHOLDER.region}:${PLACEHOLDER.account}:scalable-target/0123456789abcdef0123456789abcdef`;

/**
 * Other requests a service makes with the caller's permissions: deleting a SageMaker endpoint
 * deregisters its auto-scaled variant from Application Auto Scaling when the caller may (without
 * the permission the target is left behind; the pipeline registers every endpoint it deploys).
 */
const ALSO_ON_BEHALF: Readonly<Record<string, readonly IamRequest[]>> = {
  'sagemaker:DeleteEndpoint': [
    {
      action: 'application-autoscaling:DeregisterScalableTarget',
      resource: SCALABLE_TARGET,
      context: {
        'aws:SecureTransport': 'true',
        'application-autoscaling:service-namespace': 'sagemaker',
        'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
      },
    },
  ],
};

/**
 * Checks recorded AWS SDK calls against a synthesised template, as AWS would authorise them for the
 * function (or the role a service ran the code with) that made them, in one account:
 *
 * - its role's identity policies, or a resource-based policy (queue, secret, bucket) naming its
 *   role, must allow each request, and no explicit Deny in either may apply;
 * - so must the requests a service makes with its permissions on its behalf (deleting a SageMaker
 *   endpoint deregisters its scaling target);
 * - a key policy must allow the KMS requests the service makes on its behalf for a resource
 *   encrypted with a customer managed key, directly or by delegating to the account's IAM
 *   policies, which must then allow them;
 * - a function in a VPC reaches a service through the VPC endpoint of that service (the gateway
 *   endpoint on its subnets' route tables, or an interface endpoint with private DNS), whose policy
 *   must allow the request too (no policy allows everything); without one, the service must be
 *   reachable by a route out of the VPC.
 */
export class IamGuard {
  private readonly endpoints: readonly VpcEndpoint[];
  private readonly resourcePolicies: ReadonlyMap<string, PolicyStatement[]>;
  private readonly tables;
  private readonly identities = new Map<string, PolicyStatement[]>();

  constructor(
    private readonly model: TemplateModel,
    private readonly principals: readonly GuardedCode[],
  ) {
    this.endpoints = model.vpcEndpoints();
    this.resourcePolicies = model.resourcePolicies();
    this.tables = model.tableSchemas();
  }

  /** The findings of every call, one per distinct function, request and reason. */
  check(calls: readonly RecordedCall[]): Finding[] {
    const findings = new Map<string, Finding>();
    for (const call of calls) {
      for (const finding of this.checkCall(call)) {
        findings.set(
          JSON.stringify([finding.functionName, finding.action, finding.resource, finding.reasons]),
          finding,
        );
      }
    }
    return [...findings.values()];
  }

  /** The IAM requests of `calls`, each once, for a summary of what the guard held. */
  requestsOf(calls: readonly RecordedCall[]): { functionName: string; action: string; resource: string }[] {
    const seen = new Map<string, { functionName: string; action: string; resource: string }>();
    for (const call of calls) {
      for (const request of iamRequestsOf(call, this.tables)) {
        const entry = { functionName: call.functionName, action: request.action, resource: request.resource };
        seen.set(JSON.stringify(entry), entry);
      }
    }
    return [...seen.values()];
  }

  private checkCall(call: RecordedCall): Finding[] {
    const fn = this.principal(call.functionName);
    const caller: Caller = { roleArn: fn.roleArn, account: PLACEHOLDER.account };
    let identity = this.identities.get(fn.roleLogicalId);
    if (identity === undefined) {
      identity = this.model.identityStatements(fn.roleLogicalId);
      this.identities.set(fn.roleLogicalId, identity);
    }
    const findings: Finding[] = [];
    for (const request of iamRequestsOf(call, this.tables)) {
      const finding = (target: IamRequest, reasons: string[]): Finding => ({
        functionName: call.functionName,
        command: `${call.client} ${call.command}`,
        action: target.action,
        resource: target.resource,
        context: target.context,
        reasons,
      });
      const reasons = [...this.refusals(request, identity, caller), ...this.networkRefusals(request, fn, caller)];
      if (reasons.length > 0) findings.push(finding(request, reasons));
      for (const onBehalf of this.onBehalfRequestsOf(request)) {
        const onBehalfReasons = this.refusals(onBehalf, identity, caller);
        if (onBehalfReasons.length > 0) findings.push(finding(onBehalf, onBehalfReasons));
      }
    }
    return findings;
  }

  private principal(name: string): TemplatePrincipal {
    const guarded = this.principals.find((candidate) => candidate.name === name);
    if (guarded === undefined) throw new Error(`no Lambda function or role of the template runs ${name}`);
    return 'logicalId' in guarded ? this.model.lambda(guarded.logicalId) : this.model.role(guarded.roleLogicalId);
  }

  /** A resource's policy: its own, or its bucket's for an S3 object. */
  private resourcePolicyOf(resource: string): PolicyStatement[] | undefined {
    const own = this.resourcePolicies.get(resource);
    if (own !== undefined || !resource.startsWith(`arn:${PLACEHOLDER.partition}:s3:::`)) return own;
    return this.resourcePolicies.get(resource.split('/')[0] as string);
  }

  /** Why identity and resource-based policies refuse the request; empty when they allow it. */
  private refusals(request: IamRequest, identity: readonly PolicyStatement[], caller: Caller): string[] {
    const byRole = evaluatePolicy(identity, request);
    const resourceStatements = this.resourcePolicyOf(request.resource);
    const byResource =
      resourceStatements === undefined ? undefined : evaluatePolicy(resourceStatements, request, caller);
    const reasons: string[] = [];
    if (byRole.decision === 'explicitDeny') reasons.push(`the role's policy denies it (${sids(byRole.denies)})`);
    if (byResource?.decision === 'explicitDeny') {
      reasons.push(`the resource policy denies it (${sids(byResource.denies)})`);
    }
    if (reasons.length > 0) return reasons;
    const directly = (evaluation: Evaluation | undefined) =>
      evaluation?.allows.some((allow) => allow.principal === 'caller') ?? false;
    const delegated = (evaluation: Evaluation | undefined) =>
      evaluation?.allows.some((allow) => allow.principal === 'account') ?? false;
    if (request.action.startsWith('kms:')) {
      // A key policy must allow every use of its key: naming the role, or the account (then IAM decides).
      if (directly(byResource)) return [];
      if (delegated(byResource) && byRole.decision === 'allow') return [];
      if (byResource === undefined) return ['the key has no key policy in the template'];
      return [
        delegated(byResource)
          ? "no statement of the role's policy allows it (the key policy leaves it to IAM)"
          : "the key policy does not allow it, neither to the role nor to the account's IAM policies",
      ];
    }
    if (byRole.decision === 'allow' || directly(byResource)) return [];
    return ["no statement of the role's policy allows it"];
  }

  /** Why the VPC the function is attached to keeps the request from its service; empty when it gets through. */
  private networkRefusals(request: CallRequest, fn: TemplatePrincipal, caller: Caller): string[] {
    if (fn.vpc === undefined) return [];
    const { vpcId, routeTableIds } = fn.vpc;
    const applicable = this.endpoints.filter((endpoint) => {
      if (endpoint.vpcId !== vpcId || endpoint.service !== request.endpointService) return false;
      if (endpoint.type === 'Interface') return endpoint.privateDns;
      const onTables = routeTableIds.filter((id) => endpoint.routeTableIds.includes(id));
      if (onTables.length > 0 && onTables.length < routeTableIds.length) {
        throw new Error(`${endpoint.logicalId} is on some of ${fn.logicalId}'s route tables only`);
      }
      return onTables.length > 0;
    });
    if (applicable.length === 0) {
      return routeTableIds.every((id) => this.model.routesOut(id))
        ? []
        : [`the function's VPC has no endpoint for ${request.endpointService} and no route out`];
    }
    const reasons: string[] = [];
    for (const endpoint of applicable) {
      if (endpoint.statements === undefined) continue;
      const evaluation = evaluatePolicy(endpoint.statements, request, caller);
      if (evaluation.decision === 'explicitDeny') {
        reasons.push(`the policy of VPC endpoint ${endpoint.logicalId} denies it (${sids(evaluation.denies)})`);
      } else if (!evaluation.allows.some((allow) => allow.principal === 'caller')) {
        reasons.push(`no statement of VPC endpoint ${endpoint.logicalId}'s policy allows it`);
      }
    }
    return reasons;
  }

  private onBehalfRequestsOf(request: IamRequest): IamRequest[] {
    return [...this.kmsRequestsOf(request), ...(ALSO_ON_BEHALF[request.action] ?? [])];
  }

  private kmsRequestsOf(request: IamRequest): IamRequest[] {
    const onBehalf = KMS_ON_BEHALF[request.action];
    if (onBehalf === undefined) return [];
    const key = this.model.encryptionKeyOf(request.resource);
    if (key === undefined) return [];
    return onBehalf.actions.map((action) => ({
      action,
      resource: key,
      context: {
        'aws:SecureTransport': 'true',
        'kms:ViaService': `${onBehalf.via}.${PLACEHOLDER.region}.amazonaws.com`,
      },
    }));
  }
}

const sids = (statements: readonly PolicyStatement[]) =>
  statements.map((statement) => statement.Sid ?? JSON.stringify(statement.Action ?? statement.NotAction)).join(', ');

/** One line per finding: function, action, resource, the condition keys and why. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings
    .map(
      (finding) =>
        `${finding.functionName} may not ${finding.action} on ${finding.resource} (${finding.command}, ` +
        `context ${JSON.stringify(finding.context)}): ${finding.reasons.join('; ')}`,
    )
    .join('\n');
}
