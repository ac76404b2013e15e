import { vi } from 'vitest';

/** One line of CloudWatch Embedded Metric Format, as Powertools Metrics writes it. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/**
 * Everything written to stdout from now on (Powertools Metrics writes through its own `Console`
 * on `process.stdout`), passed through; `emf()` returns the lines that are EMF, parsed.
 */
export function captureStdout(): {
  readonly written: () => string[];
  readonly emf: () => EmfLine[];
  readonly restore: () => void;
} {
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  const written = () => [...chunks];
  const emf = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{"_aws":'))
      .map((line) => JSON.parse(line) as EmfLine);
  return { written, emf, restore: () => write.mockRestore() };
}

/** The metric values of an EMF line (every key that names one of its metrics). */
export function metricValues(line: EmfLine | undefined): Record<string, unknown> {
  if (!line) return {};
  const names = line._aws.CloudWatchMetrics.flatMap((entry) => entry.Metrics.map((metric) => metric.Name));
  return Object.fromEntries(names.map((name) => [name, line[name]]));
}
