import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from '../errors.ts';

const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' } as const;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...jsonHeaders, ...headers }, body: JSON.stringify(body) };
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
