import type { PolicyStatement } from './policyEvaluator.ts';
import { PLACEHOLDER, type TableSchemas } from './requests.ts';

/** A synthesised CloudFormation template, as `Template.toJSON()` gives it. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** A VPC endpoint as the guard sees it. */
export interface VpcEndpoint {
  readonly logicalId: string;
  readonly vpcId: string;
  /** The last part of its service name, e.g. `dynamodb` or `sagemaker.runtime`. */
  readonly service: string;
  readonly type: 'Gateway' | 'Interface';
  /** Route tables it is on (gateway endpoints). */
  readonly routeTableIds: readonly string[];
  /** Whether the service's usual host name resolves to it inside the VPC (interface endpoints). */
  readonly privateDns: boolean;
  /** Its policy's statements; `undefined` when it has no policy, which allows everything. */
  readonly statements: readonly PolicyStatement[] | undefined;
}

/** Whose permissions a call is made with, and where from: what decides its fate besides the policies. */
export interface TemplatePrincipal {
  /** The Lambda function's logical id, or the role's for code a service runs with a role. */
  readonly logicalId: string;
  readonly roleLogicalId: string;
  readonly roleArn: string;
  /** The VPC it is attached to, with the route tables of its subnets; `undefined` outside any VPC. */
  readonly vpc: { readonly vpcId: string; readonly routeTableIds: readonly string[] } | undefined;
}

/** A Lambda function of the template, with what decides its calls' fate. */
export interface TemplateFunction extends TemplatePrincipal {
  /** Its environment variables, tokens resolved to placeholders. */
  readonly environment: Readonly<Record<string, string>>;
  /** Its environment variables as synthesised, tokens unresolved. */
  readonly rawEnvironment: Readonly<Record<string, unknown>>;
}

/** A SageMaker Processing job a state machine of the template starts, as the guard needs it. */
export interface ProcessingJobTask extends TemplatePrincipal {
  /** The state machine's logical id. */
  readonly stateMachineLogicalId: string;
  /** The job's environment variables the definition fixes, tokens resolved to placeholders. */
  readonly environment: Readonly<Record<string, string>>;
  /** The variables the state takes from its input: variable → JSONPath (`$.guard.window.from`). */
  readonly environmentPaths: Readonly<Record<string, string>>;
}

const { partition, region, account } = PLACEHOLDER;
const arnIn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;

/** Property of a resource that sets its physical name, when the template sets one. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Kinesis::Stream': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SageMaker::Endpoint': 'EndpointName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

/**
 * The parts of a synthesised template IAM authorisation depends on, with every token resolved to a
 * placeholder: `Ref` and `Fn::GetAtt` give names and ARNs derived from the logical id (one value
 * per token everywhere, so a function's environment and a policy naming the same resource agree),
 * pseudo parameters give {@link PLACEHOLDER}'s partition, region and account.
 */
export class TemplateModel {
  private readonly resources: Readonly<Record<string, CfnResource>>;

  constructor(template: CfnTemplate) {
    this.resources = template.Resources;
  }

  /** A resource's physical name, as its `Ref` would give it for the name-like resource types. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const property = NAME_PROPERTIES[resource.Type];
    const given = property === undefined ? undefined : resource.Properties?.[property];
    if (given !== undefined) return this.resolveString(given, `${logicalId}.${property}`);
    // Bucket names are lower case; CloudFormation derives a generated one from the logical id.
    return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
  }

  /** Resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and `Fn::GetAZs`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      const [fn, args] = first;
      switch (fn) {
        case 'Ref':
          return this.ref(args as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = (Array.isArray(args) ? args : String(args).split('.')) as [string, string];
          return this.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = args as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = args as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = args as [string, unknown];
          return String(this.resolve(source)).split(separator);
        }
        case 'Fn::GetAZs':
          return [`${region}a`, `${region}b`];
        case 'Fn::Sub': {
          const [text, variables = {}] = (Array.isArray(args) ? args : [args, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
            if (literal === '!') return `\${${name}}`;
            if (name in variables) return String(this.resolve(variables[name]));
            const [id, attribute] = name.split('.') as [string, string | undefined];
            return attribute === undefined ? this.ref(id) : this.getAtt(id, attribute);
          });
        }
        default:
          throw new Error(`the guard cannot resolve ${fn}`);
      }
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, this.resolve(inner)]));
  }

  resolveString(value: unknown, what: string): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`${what} does not resolve to a string`);
    return resolved;
  }

  /** A Lambda function of the template. */
  lambda(logicalId: string): TemplateFunction {
    const properties = this.properties(logicalId, 'AWS::Lambda::Function');
    const role = properties.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleLogicalId = role?.['Fn::GetAtt']?.[0];
    if (roleLogicalId === undefined) throw new Error(`${logicalId}: its role is not a role of the template`);
    const rawEnvironment = ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const environment = Object.fromEntries(
      Object.entries(rawEnvironment).map(([name, value]) => [name, this.resolveString(value, `${logicalId} ${name}`)]),
    );
    const vpcConfig = properties.VpcConfig as { SubnetIds?: unknown[] } | undefined;
    let vpc: TemplateFunction['vpc'];
    if (vpcConfig?.SubnetIds !== undefined) {
      const subnets = vpcConfig.SubnetIds.map((subnet) => refId(subnet, `${logicalId} subnet`));
      const vpcIds = new Set(
        subnets.map((subnet) => this.resolveString(this.properties(subnet, 'AWS::EC2::Subnet').VpcId, subnet)),
      );
      const [vpcId] = vpcIds;
      if (vpcIds.size !== 1 || vpcId === undefined) throw new Error(`${logicalId}: its subnets are not in one VPC`);
      const routeTableIds = subnets.map((subnet) => this.routeTableOf(subnet));
      vpc = { vpcId, routeTableIds };
    }
    return {
      logicalId,
      roleLogicalId,
      roleArn: this.getAtt(roleLogicalId, 'Arn'),
      environment,
      rawEnvironment,
      vpc,
    };
  }

  /** A role of the template as a principal outside any VPC (code a service runs with it). */
  role(roleLogicalId: string): TemplatePrincipal {
    this.properties(roleLogicalId, 'AWS::IAM::Role');
    return { logicalId: roleLogicalId, roleLogicalId, roleArn: this.getAtt(roleLogicalId, 'Arn'), vpc: undefined };
  }

  /**
   * The SageMaker Processing job the task state `stateName` of the template's state machines
   * starts: its role, and its environment as the definition sets it. A job attached to a VPC
   * (`NetworkConfig.VpcConfig`) throws: the guard cannot tell which endpoints its calls take.
   */
  processingJob(stateName: string): ProcessingJobTask {
    const found: { stateMachineLogicalId: string; state: Record<string, unknown> }[] = [];
    for (const [id, resource] of Object.entries(this.resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const definition = JSON.parse(this.resolveString(resource.Properties?.DefinitionString, `${id} definition`));
      for (const state of statesNamed(definition, stateName)) found.push({ stateMachineLogicalId: id, state });
    }
    const [task] = found;
    if (found.length !== 1 || task === undefined) {
      throw new Error(`${found.length} states of the template's state machines are named ${stateName}`);
    }
    const { state, stateMachineLogicalId } = task;
    if (!/^arn:[^:]+:states:::sagemaker:createProcessingJob(\.sync)?$/.test(String(state.Resource))) {
      throw new Error(`${stateName} does not start a SageMaker Processing job (${String(state.Resource)})`);
    }
    const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
    if ((parameters.NetworkConfig as { VpcConfig?: unknown } | undefined)?.VpcConfig !== undefined) {
      throw new Error(`${stateName} runs its job in a VPC: the guard cannot tell which endpoints its calls take`);
    }
    const roleArn = parameters.RoleArn;
    const roleLogicalId = Object.keys(this.resources).find(
      (id) => this.resources[id]?.Type === 'AWS::IAM::Role' && this.getAtt(id, 'Arn') === roleArn,
    );
    if (roleLogicalId === undefined)
      throw new Error(`${stateName}: its role ${String(roleArn)} is not of the template`);
    const environment: Record<string, string> = {};
    const environmentPaths: Record<string, string> = {};
    for (const [name, value] of Object.entries((parameters.Environment ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new Error(`${stateName}: environment variable ${name} is not a string`);
      if (name.endsWith('.$')) environmentPaths[name.slice(0, -2)] = value;
      else environment[name] = value;
    }
    return { ...this.role(roleLogicalId), stateMachineLogicalId, environment, environmentPaths };
  }

  /** The properties of the template's one custom resource of `type`, tokens resolved. */
  customResource(type: string): Readonly<Record<string, unknown>> {
    const found = Object.values(this.resources).filter((resource) => resource.Type === type);
    const [resource] = found;
    if (found.length !== 1 || resource === undefined) throw new Error(`the template has ${found.length} ${type}`);
    return this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
  }

  /**
   * Every statement of every identity policy of the role: policies attached to it, its inline
   * policies and the template's managed policies it names. A permissions boundary or a managed
   * policy from outside the template cannot be evaluated and throws.
   */
  identityStatements(roleLogicalId: string): PolicyStatement[] {
    const role = this.properties(roleLogicalId, 'AWS::IAM::Role');
    if (role.PermissionsBoundary !== undefined) throw new Error(`${roleLogicalId} has a permissions boundary`);
    const documents: unknown[] = [];
    for (const inline of (role.Policies ?? []) as { PolicyDocument: unknown }[]) documents.push(inline.PolicyDocument);
    const managed = new Set<string>();
    for (const arn of (role.ManagedPolicyArns ?? []) as unknown[]) {
      const id = this.managedPolicyId(this.resolveString(arn, `${roleLogicalId} managed policy`));
      if (id === undefined) throw new Error(`${roleLogicalId} has a managed policy from outside the template`);
      managed.add(id);
    }
    for (const [id, resource] of Object.entries(this.resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (resource.Properties?.Roles ?? []) as unknown[];
      if (roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }))) {
        if (resource.Type === 'AWS::IAM::ManagedPolicy') managed.add(id);
        else documents.push(resource.Properties?.PolicyDocument);
      }
    }
    for (const id of managed) documents.push(this.properties(id, 'AWS::IAM::ManagedPolicy').PolicyDocument);
    return documents.flatMap((document) => this.statementsOf(document));
  }

  /** ARNs of the secrets whose rotation schedules invoke the Lambda function `logicalId`. */
  rotatedSecrets(logicalId: string): string[] {
    return Object.values(this.resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::SecretsManager::RotationSchedule' &&
          JSON.stringify(resource.Properties?.RotationLambdaARN) ===
            JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
      )
      .map((resource) => this.resolveString(resource.Properties?.SecretId, `rotation of ${logicalId}`));
  }

  /** Every VPC endpoint of the template. */
  vpcEndpoints(): VpcEndpoint[] {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === 'AWS::EC2::VPCEndpoint')
      .map(([logicalId, resource]) => {
        const properties = resource.Properties ?? {};
        const serviceName = this.resolveString(properties.ServiceName, `${logicalId} ServiceName`);
        const prefix = `com.amazonaws.${region}.`;
        if (!serviceName.startsWith(prefix)) throw new Error(`${logicalId}: unexpected service ${serviceName}`);
        const type = (properties.VpcEndpointType ?? 'Gateway') as VpcEndpoint['type'];
        return {
          logicalId,
          vpcId: this.resolveString(properties.VpcId, `${logicalId} VpcId`),
          service: serviceName.slice(prefix.length),
          type,
          routeTableIds: ((properties.RouteTableIds ?? []) as unknown[]).map((id) =>
            this.resolveString(id, `${logicalId} route table`),
          ),
          privateDns: properties.PrivateDnsEnabled === true,
          statements:
            properties.PolicyDocument === undefined ? undefined : this.statementsOf(properties.PolicyDocument),
        };
      });
  }

  /** Whether a route table sends traffic for anywhere out of the VPC (a NAT or internet gateway). */
  routesOut(routeTableId: string): boolean {
    return Object.values(this.resources).some(
      (resource) =>
        resource.Type === 'AWS::EC2::Route' &&
        this.resolve(resource.Properties?.RouteTableId) === routeTableId &&
        resource.Properties?.DestinationCidrBlock === '0.0.0.0/0' &&
        (resource.Properties?.NatGatewayId !== undefined || resource.Properties?.GatewayId !== undefined),
    );
  }

  /**
   * Resource-based policies by the ARN of the resource they are on: queue policies, secret
   * policies, key policies and bucket policies (by the bucket's ARN; they cover its objects too).
   */
  resourcePolicies(): Map<string, PolicyStatement[]> {
    const policies = new Map<string, PolicyStatement[]>();
    const add = (resourceArn: string, document: unknown) =>
      policies.set(resourceArn, [...(policies.get(resourceArn) ?? []), ...this.statementsOf(document)]);
    for (const [id, resource] of Object.entries(this.resources)) {
      const properties = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::SQS::QueuePolicy':
          for (const queue of properties.Queues as unknown[])
            add(this.getAtt(refId(queue, id), 'Arn'), properties.PolicyDocument);
          break;
        case 'AWS::SecretsManager::ResourcePolicy':
          add(this.resolveString(properties.SecretId, `${id} SecretId`), properties.ResourcePolicy);
          break;
        case 'AWS::KMS::Key':
          add(this.getAtt(id, 'Arn'), properties.KeyPolicy);
          break;
        case 'AWS::S3::BucketPolicy':
          add(this.getAtt(refId(properties.Bucket, id), 'Arn'), properties.PolicyDocument);
          break;
        default:
      }
    }
    return policies;
  }

  /**
   * The customer managed key (its ARN) that encrypts a secret, stream, queue or object (by its
   * bucket's default encryption) of the template, `undefined` when an AWS managed or owned key or
   * S3 itself does.
   */
  encryptionKeyOf(resourceArn: string): string | undefined {
    for (const [id, resource] of Object.entries(this.resources)) {
      const properties = resource.Properties ?? {};
      let keyId: unknown;
      switch (resource.Type) {
        case 'AWS::SecretsManager::Secret':
          if (this.ref(id) === resourceArn) keyId = properties.KmsKeyId;
          break;
        case 'AWS::Kinesis::Stream':
          if (this.getAtt(id, 'Arn') === resourceArn) {
            keyId = (properties.StreamEncryption as { KeyId?: unknown } | undefined)?.KeyId;
          }
          break;
        case 'AWS::SQS::Queue':
          if (this.getAtt(id, 'Arn') === resourceArn) keyId = properties.KmsMasterKeyId;
          break;
        case 'AWS::S3::Bucket':
          if (resourceArn.startsWith(`${this.getAtt(id, 'Arn')}/`)) keyId = this.bucketKeyId(id);
          break;
        default:
          continue;
      }
      if (keyId === undefined) continue;
      const key = this.resolveString(keyId, `${id} key`);
      if (key.startsWith('alias/aws/')) return undefined;
      const templateKey = Object.entries(this.resources).find(
        ([keyLogicalId, candidate]) =>
          candidate.Type === 'AWS::KMS::Key' &&
          (this.getAtt(keyLogicalId, 'Arn') === key || this.ref(keyLogicalId) === key),
      );
      if (templateKey === undefined) throw new Error(`${id} is encrypted with a key from outside the template: ${key}`);
      return this.getAtt(templateKey[0], 'Arn');
    }
    return undefined;
  }

  /** Key schemas of the template's tables, by table name. */
  tableSchemas(): TableSchemas {
    const schemas = new Map<string, { hashKey: string; indexes: Map<string, string> }>();
    const hashOf = (keySchema: unknown, what: string) => {
      const hash = (keySchema as { AttributeName: string; KeyType: string }[]).find((key) => key.KeyType === 'HASH');
      if (hash === undefined) throw new Error(`${what} has no HASH key`);
      return hash.AttributeName;
    };
    for (const [id, resource] of Object.entries(this.resources)) {
      if (resource.Type !== 'AWS::DynamoDB::Table' && resource.Type !== 'AWS::DynamoDB::GlobalTable') continue;
      const properties = resource.Properties ?? {};
      const indexes = new Map<string, string>();
      for (const index of (properties.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown }[]) {
        indexes.set(index.IndexName, hashOf(index.KeySchema, `${id} index ${index.IndexName}`));
      }
      for (const index of (properties.LocalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown }[]) {
        indexes.set(index.IndexName, hashOf(index.KeySchema, `${id} index ${index.IndexName}`));
      }
      schemas.set(this.physicalName(id), { hashKey: hashOf(properties.KeySchema, id), indexes });
    }
    return {
      hashKeyOf: (tableName, indexName) => {
        const name = tableName.startsWith('arn:') ? (tableName.split('/')[1] ?? tableName) : tableName;
        const schema = schemas.get(name);
        if (schema === undefined) throw new Error(`table ${tableName} is not a table of the template`);
        if (indexName === undefined) return schema.hashKey;
        const hashKey = schema.indexes.get(indexName);
        if (hashKey === undefined) throw new Error(`table ${tableName} has no index ${indexName}`);
        return hashKey;
      },
    };
  }

  /** The key of a bucket's default SSE-KMS encryption; `undefined` for SSE-S3 or an AWS managed key. */
  private bucketKeyId(bucketLogicalId: string): unknown {
    const encryption = this.resource(bucketLogicalId).Properties?.BucketEncryption as
      { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: Record<string, unknown> }[] } | undefined;
    const rules = encryption?.ServerSideEncryptionConfiguration ?? [];
    if (rules.length > 1) throw new Error(`${bucketLogicalId} has several default encryption rules`);
    const byDefault = rules[0]?.ServerSideEncryptionByDefault;
    if (byDefault === undefined || byDefault.SSEAlgorithm === 'AES256') return undefined;
    if (byDefault.SSEAlgorithm !== 'aws:kms') {
      throw new Error(`${bucketLogicalId}: the guard does not know encryption ${String(byDefault.SSEAlgorithm)}`);
    }
    return byDefault.KMSMasterKeyID;
  }

  private statementsOf(document: unknown): PolicyStatement[] {
    const resolved = this.resolve(document) as { Statement?: PolicyStatement | PolicyStatement[] } | undefined;
    const statements = resolved?.Statement;
    if (statements === undefined) throw new Error(`a policy document has no Statement: ${JSON.stringify(document)}`);
    return Array.isArray(statements) ? statements : [statements];
  }

  private managedPolicyId(arn: string): string | undefined {
    return Object.entries(this.resources).find(
      ([id, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy' && this.ref(id) === arn,
    )?.[0];
  }

  private routeTableOf(subnetLogicalId: string): string {
    const associations = Object.values(this.resources).filter(
      (resource) =>
        resource.Type === 'AWS::EC2::SubnetRouteTableAssociation' &&
        JSON.stringify(resource.Properties?.SubnetId) === JSON.stringify({ Ref: subnetLogicalId }),
    );
    const [association] = associations;
    if (associations.length !== 1 || association === undefined) {
      throw new Error(`${subnetLogicalId} has no single route table association`);
    }
    return this.resolveString(association.Properties?.RouteTableId, `${subnetLogicalId} route table`);
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.resources[logicalId];
    if (resource === undefined) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  private properties(logicalId: string, type: string): Readonly<Record<string, unknown>> {
    const resource = this.resource(logicalId);
    if (resource.Type !== type) throw new Error(`${logicalId} is a ${resource.Type}, not a ${type}`);
    return resource.Properties ?? {};
  }

  private ref(name: string): string {
    const pseudo: Readonly<Record<string, string>> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'RecoStack',
    };
    const pseudoValue = pseudo[name];
    if (pseudoValue !== undefined) return pseudoValue;
    if (name.startsWith('AWS::')) throw new Error(`the guard cannot resolve the pseudo parameter ${name}`);
    const { Type: type } = this.resource(name);
    const physical = this.physicalName(name);
    switch (type) {
      case 'AWS::SecretsManager::Secret':
        return arnIn('secretsmanager', `secret:${physical}-AbCdEf`);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
      case 'AWS::SageMaker::Endpoint':
        return arnIn('sagemaker', `endpoint/${physical.toLowerCase()}`);
      case 'AWS::StepFunctions::StateMachine':
        return arnIn('states', `stateMachine:${physical}`);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${partition}:iam::${account}:policy/${name}`;
      default:
        return physical;
    }
  }

  private getAtt(id: string, attribute: string): string {
    const { Type: type } = this.resource(id);
    const physical = this.physicalName(id);
    if (attribute === 'Arn') {
      switch (type) {
        case 'AWS::DynamoDB::GlobalTable':
        case 'AWS::DynamoDB::Table':
          return arnIn('dynamodb', `table/${physical}`);
        case 'AWS::Kinesis::Stream':
          return arnIn('kinesis', `stream/${physical}`);
        case 'AWS::SQS::Queue':
          return arnIn('sqs', physical);
        case 'AWS::KMS::Key':
          return arnIn('kms', `key/${id}`);
        case 'AWS::Logs::LogGroup':
          return arnIn('logs', `log-group:${id}:*`);
        case 'AWS::IAM::Role':
          return `arn:${partition}:iam::${account}:role/${id}`;
        case 'AWS::Lambda::Function':
          return arnIn('lambda', `function:${id}`);
        case 'AWS::S3::Bucket':
          return `arn:${partition}:s3:::${physical}`;
        case 'AWS::StepFunctions::StateMachine':
          return this.ref(id);
        default:
          return arnIn('placeholder', `${type}/${id}`);
      }
    }
    if (type === 'AWS::SageMaker::Endpoint' && attribute === 'EndpointName') return physical;
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return physical;
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return this.ref(id);
    if (type === 'AWS::StepFunctions::StateMachine' && attribute === 'Name') return physical;
    return `${id}.${attribute}`;
  }
}

/** Every state named `name` of an ASL definition, in branches and iterators too. */
function statesNamed(definition: unknown, name: string): Record<string, unknown>[] {
  if (typeof definition !== 'object' || definition === null) return [];
  const found: Record<string, unknown>[] = [];
  const states = (definition as { States?: Record<string, unknown> }).States ?? {};
  for (const [stateName, state] of Object.entries(states)) {
    if (stateName === name) found.push(state as Record<string, unknown>);
    const { Branches: branches = [], Iterator: iterator, ItemProcessor: processor } = state as Record<string, unknown>;
    for (const inner of [...(branches as unknown[]), iterator, processor]) found.push(...statesNamed(inner, name));
  }
  return found;
}

/** The logical id in `{"Ref": id}`. */
function refId(value: unknown, what: string): string {
  const id = (value as { Ref?: unknown } | null)?.Ref;
  if (typeof id !== 'string') throw new Error(`${what} is not a Ref: ${JSON.stringify(value)}`);
  return id;
}
