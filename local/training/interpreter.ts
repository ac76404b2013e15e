import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** A local stand-in for one Task state: takes the state's effective input, returns its raw result. */
export type LocalTask = (input: unknown) => Promise<unknown>;

export interface LocalExecution {
  readonly definition: StateMachineDefinition;
  /** One stand-in per Task state, by state name: a Task without one would call real AWS. */
  readonly tasks: Readonly<Record<string, LocalTask>>;
  readonly input: unknown;
  /** The context values the interpreter lacks (`$$.Execution.Id`, `StartTime`, `Name`). */
  readonly execution: { readonly id: string; readonly name: string; readonly startTime: string };
}

export interface LocalExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The states entered, in order. */
  readonly path: readonly string[];
  readonly output?: unknown;
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** Names of the states of `type` in the definition (top level: the pipeline has no Map or Parallel). */
export function statesOfType(definition: StateMachineDefinition, type: string): string[] {
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === type)
    .map(([name]) => name);
}

/**
 * Runs a definition in aws-local-stepfunctions with every Task overridden, Wait states and retry
 * intervals at zero (the loops cost nothing locally), and the execution's context passed in.
 */
export async function runLocally(execution: LocalExecution): Promise<LocalExecutionResult> {
  const tasks = statesOfType(execution.definition, 'Task');
  const missing = tasks.filter((name) => !Object.hasOwn(execution.tasks, name));
  if (missing.length > 0) throw new Error(`no local stand-in for the task states ${missing.join(', ')}`);
  const zero = (names: string[]) => Object.fromEntries(names.map((name) => [name, 0]));
  const machine = new StateMachine(execution.definition, {
    validationOptions: { checkArn: false },
  });
  const run = machine.run(execution.input as Parameters<StateMachine['run']>[0], {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        tasks.map((name) => [name, (input: unknown) => (execution.tasks[name] as LocalTask)(input)]),
      ) as never,
      waitTimeOverrides: zero(statesOfType(execution.definition, 'Wait')),
      retryIntervalOverrides: zero(tasks),
    },
    context: {
      Execution: {
        Id: execution.execution.id,
        Name: execution.execution.name,
        StartTime: execution.execution.startTime,
        Input: execution.input as never,
      },
    },
  });
  const path: string[] = [];
  const logging = (async () => {
    for await (const event of run.eventLogs) {
      if (event.type === 'StateEntered') path.push(event.state.name);
    }
  })();
  try {
    const output = await run.result;
    await logging;
    return { status: 'SUCCEEDED', path, output };
  } catch (error) {
    await logging.catch(() => undefined);
    const cause = (error as { cause?: { name?: string; message?: string } }).cause;
    return {
      status: 'FAILED',
      path,
      error: {
        Error: cause?.name ?? (error as Error).name,
        Cause: cause?.message ?? (error as Error).message,
      },
    };
  }
}
