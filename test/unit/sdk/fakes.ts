import { api } from '#shared/config/index.ts';
import type { FetchInit, FetchResponse, RecoClock } from '../../../sdk/index.ts';

/** Lets every pending promise chain run (a macrotask turn drains the microtask queue). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A clock whose timers fire only when the test advances it. */
export class FakeClock implements RecoClock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  /** Delays passed to setTimeout, in order. */
  readonly delays: number[] = [];

  constructor(start = Date.parse('2025-03-10T12:00:00.000Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.delays.push(ms);
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

export interface FetchCall {
  readonly url: string;
  readonly init: FetchInit;
  /** The parsed JSON body, if any. */
  readonly json: { events?: Record<string, unknown>[] } & Record<string, unknown>;
}

export type FakeAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that records calls and answers from a script (then from `fallback`). */
export class FakeFetch {
  readonly calls: FetchCall[] = [];
  readonly #script: FakeAnswer[] = [];

  constructor(readonly fallback: (call: FetchCall) => FakeAnswer = acceptAll) {}

  /** Answers for the next calls, in order. */
  answer(...answers: FakeAnswer[]): this {
    this.#script.push(...answers);
    return this;
  }

  readonly fetch = async (url: string, init: FetchInit): Promise<FetchResponse> => {
    const call: FetchCall = { url, init, json: init.body === undefined ? {} : JSON.parse(init.body) };
    this.calls.push(call);
    const answer = this.#script.shift() ?? this.fallback(call);
    if (answer instanceof Error) throw answer;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    const headers = new Map(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: answer.status,
      headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
      text: async () => text,
    };
  };

  /** Every event sent, over all calls. */
  get events(): Record<string, unknown>[] {
    return this.calls.flatMap((c) => c.json.events ?? []);
  }
}

/** The ingest answer taking every event of the request. */
export function acceptAll(call: FetchCall): FakeAnswer {
  return { status: 200, body: { accepted: call.json.events?.length ?? 0, rejected: [] } };
}

export const listBody = {
  recommendationId: 'rec-1',
  modelVersion: 'ials-7',
  items: [{ itemId: 'i1', score: 0.9, reason: 'recommended for you' }],
  degraded: false,
};

/** The API's answer to an expired or unknown user token. */
export const expiredToken = {
  status: 401,
  body: { reason: 'invalid_user_token', message: 'the user token has expired; mint a fresh one' },
};

/**
 * An API that takes only `valid` as user token (or no token at all): other tokens get the 401, events are all
 * accepted and every list route answers {@link listBody}.
 */
export function tokenApi(valid: () => string): (call: FetchCall) => FakeAnswer {
  return (call) => {
    const token = call.init.headers[api.userTokenHeader];
    if (token !== undefined && token !== valid()) return expiredToken;
    return call.url.endsWith(api.routes.events) ? acceptAll(call) : { status: 200, body: listBody };
  };
}

/** A promise with its resolve and reject functions outside. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
