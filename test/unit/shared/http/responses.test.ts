import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#shared/errors.ts';
import { errorResponse, jsonResponse, jsonTextResponse } from '#shared/http/responses.ts';

describe('Function: jsonResponse', () => {
  it('returns the body serialised, with the JSON content type', () => {
    // Act
    const response = jsonResponse(200, { a: 1, b: ['x'] });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"a":1,"b":["x"]}',
    });
  });

  it('returns the extra headers after the content type, a given content type replacing it', () => {
    // Act
    const response = jsonResponse(201, {}, { 'x-cache': 'MISS', 'content-type': 'application/problem+json' });

    // Assess
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json', 'x-cache': 'MISS' });
    expect(Object.keys(response.headers ?? {})).toEqual(['content-type', 'x-cache']);
  });
});

describe('Function: jsonTextResponse', () => {
  it('returns the JSON text as it is, with the headers jsonResponse would send', () => {
    // Prepare
    const json = '{"recommendationId":"r-1","items":[{"itemId":"café","score":0.5}]}';
    const headers = { 'x-cache': 'HIT' };

    // Act
    const response = jsonTextResponse(200, json, headers);

    // Assess
    expect(response.body).toBe(json);
    expect(response).toEqual(jsonResponse(200, JSON.parse(json), headers));
    expect(headers).toEqual({ 'x-cache': 'HIT' });
  });
});

describe('Function: errorResponse', () => {
  it('returns an ApiError as its status, reason and message', () => {
    // Act
    const response = errorResponse(new InvalidRequestError('bad_thing', 'the thing is bad'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ reason: 'bad_thing', message: 'the thing is bad' });
  });

  it('returns a bare 500 for anything else', () => {
    // Act
    const response = errorResponse(new Error('secret'));

    // Assess
    expect(response).toEqual(jsonResponse(500, { reason: 'internal_error', message: 'internal error' }));
  });
});
