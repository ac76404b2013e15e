import { randomBytes } from 'node:crypto';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { StartedRun, TrainingRuns } from '../models/trainingRuns.ts';
import type { PipelineRequest } from '../training/pipeline.ts';

/**
 * Starts the training state machine. The execution name says what started it and when
 * (`manual-20261207T190102Z-1a2b3c`), so the console's list reads like the registry.
 */
export class SfnTrainingRuns implements TrainingRuns {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(request: PipelineRequest): Promise<StartedRun> {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const name = `${request.trigger}-${stamp}-${randomBytes(3).toString('hex')}`;
    const output = await this.client.send(
      new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(request) }),
    );
    return {
      executionId: output.executionArn ?? name,
      startedAt: (output.startDate ?? new Date()).toISOString(),
    };
  }
}
