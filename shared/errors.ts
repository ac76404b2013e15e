/**
 * Errors the API reports to clients. Each carries a machine-readable `reason` and a message a
 * person can act on; {@link httpStatusOf} maps them to status codes in one place.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed: bad JSON, a missing or invalid parameter. */
export class InvalidRequestError extends ApiError {
  readonly status = 400;
}

/** The request body is larger than the API accepts. */
export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
}

/** The body is not of a media type the route reads: a form's `text/plain` where JSON is asked for. */
export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
}

/** The caller's proof of who they are is missing or not good: a user token. */
export class UnauthorizedError extends ApiError {
  readonly status = 401;
}

/** The caller is known but may not do this: a shopper acting for another shopper. */
export class ForbiddenError extends ApiError {
  readonly status = 403;
}

/** No such route. */
export class RouteNotFoundError extends ApiError {
  readonly status = 404;
}

/** The resource the path names does not exist: a model version. */
export class NotFoundError extends ApiError {
  readonly status = 404;
}

/** The request conflicts with the current state: promoting the version that is live. */
export class ConflictError extends ApiError {
  readonly status = 409;
}

/** A dependency without a fallback failed; the client may retry. */
export class DependencyUnavailableError extends ApiError {
  readonly status = 503;
}

export function httpStatusOf(error: unknown): number {
  return error instanceof ApiError ? error.status : 500;
}
