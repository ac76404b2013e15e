/** An error answer of the API (`{"reason", "message"}` with a 4xx/5xx status). */
export class RecoApiError extends Error {
  override readonly name = 'RecoApiError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** Machine-readable reason from the body (`invalid_api_key`, `invalid_user_token`, …), or `http_<status>`. */
  readonly reason: string;

  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }

  /** True for answers worth retrying later with the same request: 429 and 5xx. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The request never got an HTTP answer (offline, DNS, CORS, connection reset, timed out, aborted). */
export class RecoNetworkError extends Error {
  override readonly name = 'RecoNetworkError';
  /** `timeout` when the SDK gave up waiting, `network` otherwise. */
  readonly reason: 'network' | 'timeout';

  constructor(message: string, options?: { cause?: unknown; reason?: 'network' | 'timeout' }) {
    super(message, options);
    this.reason = options?.reason ?? 'network';
  }
}

/**
 * An SDK call was given input the API would reject, naming the field. Tracking calls report it through `onError`
 * (or `console.warn`) and drop the event; read calls reject with it; `createRecoClient` throws it.
 */
export class RecoValidationError extends TypeError {
  override readonly name = 'RecoValidationError';
  /** The SDK call, e.g. `track.view`. */
  readonly operation: string;
  /** The offending field, e.g. `itemId`. */
  readonly field: string;
  /** Always `invalid_input`: the machine-readable reason, as on the other errors. */
  readonly reason = 'invalid_input';

  constructor(operation: string, field: string, detail: string) {
    super(`reco ${operation}: ${field} ${detail}`);
    this.operation = operation;
    this.field = field;
  }
}

/** Builds a {@link RecoApiError} from a status and the body text, whatever the body holds. */
export function apiErrorFrom(status: number, bodyText: string): RecoApiError {
  let body: { reason?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // Not JSON (a proxy's HTML error page, say): the generic reason and message.
  }
  const text = (value: unknown) => (typeof value === 'string' && value) || undefined;
  return new RecoApiError(
    status,
    text(body?.reason) ?? `http_${status}`,
    text(body?.message) ?? `the API answered ${status}`,
  );
}
