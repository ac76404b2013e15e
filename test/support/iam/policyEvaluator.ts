/**
 * A small IAM policy evaluator for the statement shapes this stack's template uses.
 *
 * Hand-written on purpose: the one maintained evaluator on npm (`@cloud-copilot/iam-simulate`) is
 * AGPL-3.0, which an Apache-2.0 project cannot take on, and it ran the test process out of memory.
 * This one covers exactly what the synthesised policies need, and throws on anything else (a
 * condition operator or key, a policy variable, a principal shape, a missing element) instead of
 * guessing: a policy it cannot judge must fail the guard, never pass it.
 *
 * What it implements:
 * - `Effect` Allow and Deny; an explicit Deny wins over any Allow;
 * - `Action` / `NotAction` with `*` and `?` wildcards, matched without regard to case;
 * - `Resource` / `NotResource` with `*` and `?` wildcards, matched with regard to case;
 * - `Condition` operators StringEquals, StringLike, ArnEquals, ArnLike, Bool and NumericLessThan,
 *   each optionally qualified by `ForAllValues:` or `ForAnyValue:` for multi-valued keys; several
 *   keys in one operator, and several operators, must all hold;
 * - `Principal` (resource-based and VPC endpoint policies only): `*`, `{"AWS": "*"}`, role ARNs and
 *   account roots, and `Service` principals (which never match a function's role).
 */

/** One value or a set of values of a condition key in a request. */
export type ContextValue = string | readonly string[];

/** What IAM authorises: one action on one resource, with the request's condition keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys by name; a key the request does not carry is absent. */
  readonly context: Readonly<Record<string, ContextValue>>;
}

/** A policy statement as it appears in a policy document (tokens already resolved). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
}

/** Who sends the request, for statements that name principals. */
export interface Caller {
  /** ARN of the role the caller acts as. */
  readonly roleArn: string;
  /** The caller's account id. */
  readonly account: string;
}

/**
 * How a statement's principal covers the caller: the caller itself (its role, or anyone), its
 * account as a whole (`arn:…:root` or the bare account id: in a resource policy this delegates to
 * the account's own IAM policies), or not at all.
 */
export type PrincipalMatch = 'caller' | 'account' | 'none';

export type Decision = 'allow' | 'explicitDeny' | 'implicitDeny';

export interface Evaluation {
  readonly decision: Decision;
  /** Allow statements that apply, with how their principal covers the caller ('caller' for identity policies). */
  readonly allows: readonly { readonly statement: PolicyStatement; readonly principal: PrincipalMatch }[];
  /** Deny statements that apply. */
  readonly denies: readonly PolicyStatement[];
}

/**
 * Condition keys this evaluator knows the meaning of. A request builder that fills a key from a
 * call must know what AWS puts in it; a policy naming any other key throws. Some are never filled
 * for the requests the guard builds, which is what AWS does too: `aws:SourceArn` and
 * `aws:SourceAccount` come with a service principal's requests, `cloudwatch:namespace` with
 * `PutMetricData` only.
 */
export const KNOWN_CONDITION_KEYS: ReadonlySet<string> = new Set(
  [
    'dynamodb:LeadingKeys',
    'aws:SecureTransport',
    'aws:SourceArn',
    'aws:SourceAccount',
    'kms:ViaService',
    's3:prefix',
    's3:TlsVersion',
    'cloudwatch:namespace',
    'application-autoscaling:service-namespace',
    'application-autoscaling:scalable-dimension',
  ].map((key) => key.toLowerCase()),
);

type Matcher = (requestValue: string, policyValue: string) => boolean;

const OPERATORS: Readonly<Record<string, Matcher>> = {
  StringEquals: (value, pattern) => value === pattern,
  StringLike: (value, pattern) => wildcardMatch(pattern, value, false),
  // AWS matches ArnEquals and ArnLike alike: each of the six colon-separated parts on its own, wildcards allowed.
  ArnEquals: (value, pattern) => arnMatch(pattern, value),
  ArnLike: (value, pattern) => arnMatch(pattern, value),
  Bool: (value, pattern) => value.toLowerCase() === pattern.toLowerCase(),
  NumericLessThan: (value, pattern) => numberOf(value) < numberOf(pattern),
};

const isNumber = (text: string) => /^-?\d+(\.\d+)?$/.test(text.trim());

/** A request's numeric value; one that is not a number is a request builder's mistake and throws. */
function numberOf(text: string): number {
  if (!isNumber(text)) throw new Error(`${JSON.stringify(text)} is not a number`);
  return Number(text);
}

const SET_QUALIFIERS = ['ForAllValues', 'ForAnyValue'] as const;
type SetQualifier = (typeof SET_QUALIFIERS)[number];

/** Evaluates `statements` (one or more policies, pooled) for `request`. */
export function evaluatePolicy(
  statements: readonly PolicyStatement[],
  request: IamRequest,
  caller?: Caller,
): Evaluation {
  const allows: { statement: PolicyStatement; principal: PrincipalMatch }[] = [];
  const denies: PolicyStatement[] = [];
  for (const statement of statements) {
    // Every statement is checked whole, matching or not: one the evaluator cannot judge fails now.
    checkConditions(statement);
    const principal = principalMatch(statement, caller);
    const action = actionMatches(statement, request.action);
    const resource = resourceMatches(statement, request.resource);
    if (principal === 'none' || !action || !resource) continue;
    if (!conditionsHold(statement, request.context)) continue;
    if (statement.Effect === 'Deny') denies.push(statement);
    else allows.push({ statement, principal });
  }
  const decision: Decision = denies.length > 0 ? 'explicitDeny' : allows.length > 0 ? 'allow' : 'implicitDeny';
  return { decision, allows, denies };
}

function listOf(value: string | readonly string[] | undefined, element: string, statement: PolicyStatement): string[] {
  if (value === undefined) throw new PolicyEvaluationError(`statement has no ${element}`, statement);
  const values = typeof value === 'string' ? [value] : [...value];
  for (const item of values) {
    if (typeof item !== 'string') throw new PolicyEvaluationError(`${element} holds a non-string`, statement);
    if (item.includes('${')) throw new PolicyEvaluationError(`policy variables are not supported: ${item}`, statement);
  }
  return values;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  checkEffect(statement);
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) {
    throw new PolicyEvaluationError('a statement needs exactly one of Action and NotAction', statement);
  }
  const matches = (patterns: string[]) => patterns.some((pattern) => wildcardMatch(pattern, action, true));
  return statement.Action !== undefined
    ? matches(listOf(statement.Action, 'Action', statement))
    : !matches(listOf(statement.NotAction, 'NotAction', statement));
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if ((statement.Resource === undefined) === (statement.NotResource === undefined)) {
    throw new PolicyEvaluationError('a statement needs exactly one of Resource and NotResource', statement);
  }
  const matches = (patterns: string[]) => patterns.some((pattern) => wildcardMatch(pattern, resource, false));
  return statement.Resource !== undefined
    ? matches(listOf(statement.Resource, 'Resource', statement))
    : !matches(listOf(statement.NotResource, 'NotResource', statement));
}

function checkEffect(statement: PolicyStatement): void {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new PolicyEvaluationError(`unknown Effect ${JSON.stringify(statement.Effect)}`, statement);
  }
}

/**
 * How the statement's principal covers the caller. Identity policies (no caller given) must not
 * name principals; resource-based and endpoint policies must.
 */
function principalMatch(statement: PolicyStatement, caller: Caller | undefined): PrincipalMatch {
  if (statement.NotPrincipal !== undefined) throw new PolicyEvaluationError('NotPrincipal is not supported', statement);
  if (caller === undefined) {
    if (statement.Principal !== undefined) {
      throw new PolicyEvaluationError('an identity policy statement names a Principal', statement);
    }
    return 'caller';
  }
  const { Principal: principal } = statement;
  if (principal === undefined)
    throw new PolicyEvaluationError('a resource policy statement has no Principal', statement);
  if (principal === '*') return 'caller';
  if (typeof principal !== 'object' || principal === null) {
    throw new PolicyEvaluationError(`unknown Principal ${JSON.stringify(principal)}`, statement);
  }
  let best: PrincipalMatch = 'none';
  for (const [kind, value] of Object.entries(principal)) {
    const values = typeof value === 'string' ? [value] : (value as unknown[]);
    if (!Array.isArray(values) || values.some((item) => typeof item !== 'string')) {
      throw new PolicyEvaluationError(`unknown Principal ${JSON.stringify(principal)}`, statement);
    }
    if (kind === 'Service') continue;
    if (kind !== 'AWS') throw new PolicyEvaluationError(`Principal kind ${kind} is not supported`, statement);
    for (const name of values as string[]) {
      if (name === '*' || name === caller.roleArn) return 'caller';
      if (name === caller.account || name === `arn:aws:iam::${caller.account}:root`) best = 'account';
      else if (!name.startsWith('arn:aws:iam::')) {
        throw new PolicyEvaluationError(`unknown AWS principal ${name}`, statement);
      }
    }
  }
  return best;
}

/** A statement's conditions as operator, qualifier, key and values; throws on anything unknown. */
function parsedConditions(statement: PolicyStatement) {
  const parsed: { qualifier: SetQualifier | undefined; matcher: Matcher; key: string; patterns: string[] }[] = [];
  for (const [qualifiedOperator, entries] of Object.entries(statement.Condition ?? {})) {
    const [qualifier, operator] = parseOperator(qualifiedOperator, statement);
    const matcher = OPERATORS[operator];
    if (matcher === undefined) {
      throw new PolicyEvaluationError(`condition operator ${qualifiedOperator} is not supported`, statement);
    }
    for (const [key, raw] of Object.entries(entries)) {
      if (!KNOWN_CONDITION_KEYS.has(key.toLowerCase())) {
        throw new PolicyEvaluationError(`condition key ${key} is not known to the evaluator`, statement);
      }
      const patterns = (Array.isArray(raw) ? raw : [raw]).map((value) => {
        if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') {
          throw new PolicyEvaluationError(`condition value of ${key} is not a string`, statement);
        }
        const text = String(value);
        if (text.includes('${'))
          throw new PolicyEvaluationError(`policy variables are not supported: ${text}`, statement);
        if (operator.startsWith('Numeric') && !isNumber(text)) {
          throw new PolicyEvaluationError(`${operator} value of ${key} is not a number: ${text}`, statement);
        }
        return text;
      });
      parsed.push({ qualifier, matcher, key, patterns });
    }
  }
  return parsed;
}

function checkConditions(statement: PolicyStatement): void {
  parsedConditions(statement);
}

function conditionsHold(statement: PolicyStatement, context: IamRequest['context']): boolean {
  return parsedConditions(statement).every(({ qualifier, matcher, key, patterns }) =>
    keyHolds(matcher, qualifier, contextValue(context, key), patterns, key, statement),
  );
}

function parseOperator(qualifiedOperator: string, statement: PolicyStatement): [SetQualifier | undefined, string] {
  const parts = qualifiedOperator.split(':');
  if (parts.length === 1) return [undefined, qualifiedOperator];
  const [qualifier, operator] = parts;
  if (parts.length !== 2 || !(SET_QUALIFIERS as readonly string[]).includes(qualifier ?? '')) {
    throw new PolicyEvaluationError(`condition operator ${qualifiedOperator} is not supported`, statement);
  }
  return [qualifier as SetQualifier, operator as string];
}

/** Condition key names are matched without regard to case. */
function contextValue(context: IamRequest['context'], key: string): ContextValue | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === wanted) return value;
  return undefined;
}

function keyHolds(
  matcher: Matcher,
  qualifier: SetQualifier | undefined,
  value: ContextValue | undefined,
  patterns: readonly string[],
  key: string,
  statement: PolicyStatement,
): boolean {
  const matchesAny = (item: string) => patterns.some((pattern) => matcher(item, pattern));
  if (qualifier === 'ForAllValues') {
    // Every value of the request must match; a request without the key (or with no values) holds.
    if (value === undefined) return true;
    return (typeof value === 'string' ? [value] : value).every(matchesAny);
  }
  if (qualifier === 'ForAnyValue') {
    if (value === undefined) return false;
    return (typeof value === 'string' ? [value] : value).some(matchesAny);
  }
  if (value === undefined) return false;
  if (typeof value !== 'string') {
    throw new PolicyEvaluationError(
      `${key} has several values in the request; a single-valued operator needs ForAllValues or ForAnyValue`,
      statement,
    );
  }
  return matchesAny(value);
}

/** `*` is any run of characters, `?` any one character; everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'si' : 's').test(value);
}

/** ARN parts: `arn`, partition, service, region, account, and the resource (which may hold colons). */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function arnMatch(pattern: string, value: string): boolean {
  const wanted = arnParts(pattern);
  const given = arnParts(value);
  if (wanted === undefined) return wildcardMatch(pattern, value, false);
  if (given === undefined) return false;
  return wanted.every((part, i) => wildcardMatch(part, given[i] as string, false));
}

/** The evaluator met something it cannot judge. */
export class PolicyEvaluationError extends Error {
  constructor(message: string, statement: PolicyStatement) {
    super(`${message} (statement ${JSON.stringify(statement)})`);
    this.name = 'PolicyEvaluationError';
  }
}
