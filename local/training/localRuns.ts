import type { StartedRun, TrainingRuns } from '#shared/models/trainingRuns.ts';
import type { PipelineRequest } from '#shared/training/pipeline.ts';
import { describeRun, LocalPipeline, type LocalPipelineRun } from './localPipeline.ts';

/**
 * `POST /v1/admin/train` on the local stack: each start answers at once with the execution's id,
 * and the runs go one after another in the background (the guard's lock would skip an overlapping
 * one anyway). Each run's path, metrics and verdict go to the log.
 */
export class LocalTrainingRuns implements TrainingRuns {
  private queue: Promise<unknown> = Promise.resolve();
  /** Finished runs, oldest first. */
  readonly finished: LocalPipelineRun[] = [];

  constructor(
    private readonly pipeline: LocalPipeline,
    private readonly log: (line: string) => void,
  ) {}

  start(request: PipelineRequest): Promise<StartedRun> {
    const execution = LocalPipeline.execution(request);
    void this.enqueue(request, execution);
    return Promise.resolve({ executionId: execution.executionId, startedAt: execution.startedAt });
  }

  /** Runs now (after any queued run) and returns the finished run: `npm run train:local` and tests. */
  run(request: PipelineRequest): Promise<LocalPipelineRun> {
    return this.enqueue(request, LocalPipeline.execution(request));
  }

  /** Resolves once no run is queued or running. */
  async idle(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  private enqueue(request: PipelineRequest, execution: ReturnType<typeof LocalPipeline.execution>) {
    const next = this.queue
      .catch(() => undefined)
      .then(() => this.pipeline.run(request, execution))
      .then((run) => {
        this.finished.push(run);
        for (const line of describeRun(run)) this.log(`[training] ${line}`);
        return run;
      });
    this.queue = next.catch((error: unknown) => this.log(`[training] ${execution.executionId}: ${String(error)}`));
    return next;
  }
}
