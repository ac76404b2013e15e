import { AwsJsonError, startAwsJsonStandIn } from './awsJsonStandIn.ts';

interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  status: 'RUNNING' | 'ABORTED';
}

/** A Step Functions stand-in holding the executions started and stopped. */
export interface StepFunctionsStandIn {
  /** Where `AWS_ENDPOINT_URL_SFN` points. */
  readonly url: string;
  /** Lets executions of this state machine start; any other answers `StateMachineDoesNotExist`. */
  createStateMachine(stateMachineArn: string): void;
  /** The executions of a state machine, oldest first. */
  executions(stateMachineArn: string): readonly Readonly<Execution>[];
  stop(): Promise<void>;
}

/**
 * Step Functions on loopback, over its JSON 1.0 protocol: StartExecution (as the admin function's
 * model routes call it), ListExecutions and StopExecution (the teardown's). Executions never run:
 * they stay `RUNNING` until stopped.
 */
export async function startStepFunctionsStandIn(): Promise<StepFunctionsStandIn> {
  const machines = new Map<string, Execution[]>();
  const executionsOf = (stateMachineArn: unknown) => {
    const executions = typeof stateMachineArn === 'string' ? machines.get(stateMachineArn) : undefined;
    if (executions === undefined) {
      throw new AwsJsonError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(stateMachineArn)}'`);
    }
    return executions;
  };
  const summary = (execution: Execution) => ({
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate / 1000,
  });
  const standIn = await startAwsJsonStandIn('AWSStepFunctions', 'application/x-amz-json-1.0', {
    StartExecution: (input) => {
      const stateMachineArn = String(input.stateMachineArn);
      const executions = executionsOf(stateMachineArn);
      const name = String(input.name);
      if (executions.some((execution) => execution.name === name)) {
        throw new AwsJsonError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
      }
      const execution: Execution = {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        stateMachineArn,
        name,
        input: String(input.input ?? '{}'),
        startDate: Date.now(),
        status: 'RUNNING',
      };
      executions.push(execution);
      return { executionArn: execution.executionArn, startDate: execution.startDate / 1000 };
    },
    ListExecutions: (input) => ({
      executions: executionsOf(input.stateMachineArn)
        .filter((execution) => input.statusFilter === undefined || execution.status === input.statusFilter)
        .map(summary),
    }),
    StopExecution: (input) => {
      const execution = [...machines.values()]
        .flat()
        .find((candidate) => candidate.executionArn === input.executionArn);
      if (execution === undefined) {
        throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(input.executionArn)}'`);
      }
      execution.status = 'ABORTED';
      return { stopDate: Date.now() / 1000 };
    },
  });
  return {
    url: standIn.url,
    createStateMachine: (stateMachineArn) => {
      if (!machines.has(stateMachineArn)) machines.set(stateMachineArn, []);
    },
    executions: (stateMachineArn) => machines.get(stateMachineArn) ?? [],
    stop: standIn.stop,
  };
}
