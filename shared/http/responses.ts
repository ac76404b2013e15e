import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from '../errors.ts';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult {
  return jsonTextResponse(statusCode, JSON.stringify(body), headers);
}

/** A response whose body is JSON already serialised (e.g. a cached answer), sent as it is. */
export function jsonTextResponse(
  statusCode: number,
  json: string,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: json };
}

/**
 * Maps any error to a response. Unknown errors become a bare 500 so internals never leak;
 * the caller logs them.
 */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof ApiError) {
    return jsonResponse(error.status, { reason: error.reason, message: error.message });
  }
  return jsonResponse(500, { reason: 'internal_error', message: 'internal error' });
}
