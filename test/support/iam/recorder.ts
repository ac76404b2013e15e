import { AsyncLocalStorage } from 'node:async_hooks';
import { KNOWN_CLIENTS } from './clients.ts';

/** One command an AWS SDK client sent while a function's handler ran. */
export interface RecordedCall {
  /** The function whose handler was running (`functions/<name>/`). */
  readonly functionName: string;
  /** Class name of the client that sent it (see `KNOWN_CLIENTS`), or of an unknown one. */
  readonly client: string;
  /** Class name of the command, e.g. `PutCommand`. */
  readonly command: string;
  /** A copy of the command's input as the code built it (document values for lib-dynamodb). */
  readonly input: Readonly<Record<string, unknown>>;
}

interface Invocation {
  readonly functionName: string;
}

type Send = (this: object, command: { input?: unknown }, ...rest: unknown[]) => unknown;

/**
 * Records every command any AWS SDK v3 client sends while a function's handler runs, attributed
 * to that function (or to whatever name code run another way is checked under) through an async
 * context: wrap each invocation in {@link SdkCallRecorder.as}.
 * Calls outside any invocation (a test's own setup, a poller) are not recorded.
 *
 * It replaces `send` on the base class every client inherits it from (found through the known
 * clients' prototype chains, so a second copy of the SDK core is patched too), and calls the
 * original: the command still goes over the wire to whatever endpoint the client has.
 */
export class SdkCallRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly scope = new AsyncLocalStorage<Invocation>();
  private readonly restores: (() => void)[] = [];

  install(): void {
    if (this.restores.length > 0) throw new Error('the recorder is installed already');
    const owners = new Set<object>();
    for (const { name, prototype: start } of KNOWN_CLIENTS) {
      let prototype: object | null = start;
      while (prototype !== null && !Object.hasOwn(prototype, 'send')) prototype = Object.getPrototypeOf(prototype);
      if (prototype === null) throw new Error(`${name} has no send method`);
      owners.add(prototype);
    }
    const { calls, scope } = this;
    for (const owner of owners) {
      const target = owner as { send: Send };
      const original = target.send;
      target.send = function (this: object, command, ...rest) {
        const invocation = scope.getStore();
        if (invocation !== undefined) calls.push(describe(invocation, this, command));
        return original.call(this, command, ...rest);
      };
      this.restores.push(() => {
        target.send = original;
      });
    }
  }

  uninstall(): void {
    for (const restore of this.restores.splice(0)) restore();
  }

  /** Runs `work` as an invocation of `functionName`: the calls it makes are that function's. */
  as<T>(functionName: string, work: () => T): T {
    return this.scope.run({ functionName }, work);
  }

  /** Wraps a handler so that each invocation runs as `functionName`. */
  wrap<A extends unknown[], R>(functionName: string, handler: (...args: A) => R): (...args: A) => R {
    return (...args) => this.as(functionName, () => handler(...args));
  }

  /** The calls recorded from now on, as a new list. */
  since(): () => RecordedCall[] {
    const start = this.calls.length;
    return () => this.calls.slice(start);
  }
}

function describe(invocation: Invocation, client: object, command: { input?: unknown }): RecordedCall {
  const known = KNOWN_CLIENTS.find(({ prototype }) => Object.prototype.isPrototypeOf.call(prototype, client));
  return {
    ...invocation,
    client: known?.name ?? client.constructor.name,
    command: command.constructor.name,
    input: structuredClone((command.input ?? {}) as Record<string, unknown>),
  };
}
