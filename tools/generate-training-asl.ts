/**
 * Writes `infra/generated/training-pipeline.asl.json`, the training state machine's definition as
 * plain ASL for the local run (`local/training/`), from the stack as `cdk synth` builds it (offline,
 * no bundling, no cdk-nag):
 *
 *   npx tsx tools/generate-training-asl.ts
 *
 * The synthesised `DefinitionString` is an `Fn::Join` of tokens; they are resolved to stable
 * placeholders ({@link ASL_PLACEHOLDERS}, {@link placeholderArn}), so the file changes only when
 * the definition does. test/infra/training-asl.test.ts fails when the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CfnResource, type Stack } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import * as prettier from 'prettier';
import { buildApp } from '#infra/build-app.ts';
import { repoRoot } from '#infra/paths.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';

/** Where the generated definition lives. */
export const TRAINING_ASL_FILE: string = path.join(repoRoot, 'infra', 'generated', 'training-pipeline.asl.json');

/** The values that stand for what only a deployment knows. */
export const ASL_PLACEHOLDERS = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  urlSuffix: 'amazonaws.com',
  /** Replaces the model image's asset hash, which changes with every edit of `shared/` or `model/`. */
  imageTag: 'model-image',
} as const;

const { partition, region, account } = ASL_PLACEHOLDERS;

/** How CloudFormation answers `Ref` and `Fn::GetAtt` for a resource type, with the logical id as its name. */
interface TypePlaceholder {
  readonly ref: (id: string) => string;
  readonly attributes: Readonly<Record<string, (id: string) => string>>;
}

const arnOf = (service: string, resource: string): string =>
  `arn:${partition}:${service}:${region}:${account}:${resource}`;

/**
 * Placeholder of a resource of the stack: its logical id as its name (lower-cased for a bucket),
 * inside an ARN of the right shape where CloudFormation returns an ARN.
 */
export const placeholderArn: Readonly<Record<string, TypePlaceholder>> = {
  'AWS::Lambda::Function': { ref: (id) => id, attributes: { Arn: (id) => arnOf('lambda', `function:${id}`) } },
  'AWS::IAM::Role': { ref: (id) => id, attributes: { Arn: (id) => `arn:${partition}:iam::${account}:role/${id}` } },
  'AWS::SNS::Topic': {
    ref: (id) => arnOf('sns', id),
    attributes: { TopicArn: (id) => arnOf('sns', id), TopicName: (id) => id },
  },
  'AWS::S3::Bucket': {
    ref: (id) => id.toLowerCase(),
    attributes: { Arn: (id) => `arn:${partition}:s3:::${id.toLowerCase()}` },
  },
  'AWS::DynamoDB::GlobalTable': { ref: (id) => id, attributes: { Arn: (id) => arnOf('dynamodb', `table/${id}`) } },
  'AWS::SecretsManager::Secret': { ref: (id) => arnOf('secretsmanager', `secret:${id}`), attributes: {} },
  'AWS::KMS::Key': { ref: (id) => id, attributes: { Arn: (id) => arnOf('kms', `key/${id}`) } },
  'AWS::Logs::LogGroup': { ref: (id) => id, attributes: { Arn: (id) => arnOf('logs', `log-group:${id}:*`) } },
};

/** Resolves CloudFormation intrinsics to placeholders; throws on anything it has no placeholder for. */
class PlaceholderResolver {
  private readonly pseudo: Readonly<Record<string, string>>;

  public constructor(
    private readonly types: ReadonlyMap<string, string>,
    stackName: string,
  ) {
    this.pseudo = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::URLSuffix': ASL_PLACEHOLDERS.urlSuffix,
      'AWS::StackName': stackName,
      'AWS::StackId': arnOf('cloudformation', `stack/${stackName}/00000000-0000-0000-0000-000000000000`),
    };
  }

  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (entries.length !== 1 || key === undefined || !(key === 'Ref' || key.startsWith('Fn::'))) {
      return Object.fromEntries(entries.map(([name, item]) => [name, this.resolve(item)]));
    }
    switch (key) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [id, attribute] = argument as [string, string];
        return this.attribute(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        return (this.resolve(items) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, items] = argument as [number | string, unknown];
        return (this.resolve(items) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(this.resolve(text)).split(separator);
      }
      case 'Fn::Sub':
        return this.substitute(argument);
      default:
        throw new Error(`no placeholder for ${key}`);
    }
  }

  private ref(name: string): string {
    const pseudo = this.pseudo[name];
    if (pseudo !== undefined) return pseudo;
    return this.placeholderOf(name).ref(name);
  }

  private attribute(id: string, attribute: string): string {
    const of = this.placeholderOf(id).attributes[attribute];
    if (of === undefined) throw new Error(`no placeholder for ${id}.${attribute} (${this.types.get(id)})`);
    return of(id);
  }

  private placeholderOf(id: string): TypePlaceholder {
    const type = this.types.get(id);
    const placeholder = type === undefined ? undefined : placeholderArn[type];
    if (placeholder === undefined) throw new Error(`no placeholder for ${id} (${type ?? 'not a resource'})`);
    return placeholder;
  }

  private substitute(argument: unknown): string {
    const [template, variables] = (Array.isArray(argument) ? argument : [argument, {}]) as [
      string,
      Record<string, unknown>,
    ];
    return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.hasOwn(variables, name)) return String(this.resolve(variables[name]));
      const [id, attribute] = name.split('.');
      return attribute === undefined ? this.ref(name) : this.attribute(id ?? '', attribute);
    });
  }
}

/** The training state machine's definition with every token resolved to its placeholder. */
export function trainingAsl(stack: RecoStack): Record<string, unknown> {
  const types = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource)
      types.set((stack as Stack).getLogicalId(construct), construct.cfnResourceType);
  }
  const cfn = stack.training.stateMachine.node.defaultChild as CfnStateMachine;
  const resolved = new PlaceholderResolver(types, stack.stackName).resolve(stack.resolve(cfn.definitionString));
  const imageTag = stack.serving.modelEndpoint.image.imageTag;
  const text = String(resolved).replaceAll(`:${imageTag}`, `:${ASL_PLACEHOLDERS.imageTag}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The file's content: {@link trainingAsl} formatted as Prettier formats the repository's JSON. */
export async function formatTrainingAsl(definition: Record<string, unknown>): Promise<string> {
  const config = (await prettier.resolveConfig(TRAINING_ASL_FILE)) ?? {};
  return prettier.format(JSON.stringify(definition), { ...config, filepath: TRAINING_ASL_FILE });
}

/** The app's context as `cdk synth` has it (cdk.json), minus Lambda bundling. */
function synthContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/**
 * Synthesises the stack and returns the generated file's content.
 * @param modelImageDirectory the model image's build context (tests pass a stub; the tag is a placeholder)
 */
export async function generateTrainingAsl(modelImageDirectory?: string): Promise<string> {
  const { stack } = buildApp({
    context: synthContext(),
    nag: false,
    ...(modelImageDirectory === undefined ? {} : { modelImageDirectory }),
  });
  return formatTrainingAsl(trainingAsl(stack));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(TRAINING_ASL_FILE, await generateTrainingAsl());
  console.log(`wrote ${path.relative(repoRoot, TRAINING_ASL_FILE)}`);
}
