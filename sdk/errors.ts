/** An error answer of the API (`{"reason", "message"}` with a 4xx/5xx status). */
export class RecoApiError extends Error {
  override readonly name = 'RecoApiError';

  constructor(
    /** HTTP status of the answer. */
    readonly status: number,
    /** Machine-readable reason from the body (`invalid_api_key`, `invalid_user_token`, …), or `http_<status>`. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for answers worth retrying later with the same request: 429 and 5xx. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The request never got an HTTP answer (offline, DNS, connection reset, aborted). */
export class RecoNetworkError extends Error {
  override readonly name = 'RecoNetworkError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An SDK call was given input the API would reject; thrown at the call site, before anything is
 * queued or sent, and naming the field.
 */
export class RecoValidationError extends TypeError {
  override readonly name = 'RecoValidationError';

  constructor(
    /** The SDK call, e.g. `track.view`. */
    readonly operation: string,
    /** The offending field, e.g. `itemId`. */
    readonly field: string,
    detail: string,
  ) {
    super(`reco ${operation}: ${field} ${detail}`);
  }
}

/** Builds a {@link RecoApiError} from a status and the body text, whatever the body holds. */
export function apiErrorFrom(status: number, bodyText: string): RecoApiError {
  let reason = `http_${status}`;
  let message = `the API answered ${status}`;
  try {
    const body = JSON.parse(bodyText) as { reason?: unknown; message?: unknown } | null;
    if (body !== null && typeof body === 'object') {
      if (typeof body.reason === 'string' && body.reason !== '') reason = body.reason;
      if (typeof body.message === 'string' && body.message !== '') message = body.message;
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): keep the generic reason and message.
  }
  return new RecoApiError(status, reason, message);
}
