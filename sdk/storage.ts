import { randomId } from './events.ts';

/**
 * Where the SDK keeps what must survive a page load: the anonymous id, the identified user id, the session, the lists
 * read lately (for attribution) and the events not yet delivered. `localStorage` fits as it is; so does a
 * cookie-backed object on a server that renders pages.
 */
export interface RecoStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A storage that lives as long as the object (the default when there is no `localStorage`). */
export function memoryStorage(): RecoStorage {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

/**
 * `localStorage` when the runtime has one, else `undefined`. Reading the property can throw (sandboxed frames, storage
 * disabled); a storage that throws on use later (quota, private modes) only keeps nothing, as every access goes through
 * {@link safeGet} and {@link safeSet} and the client holds its values in memory too.
 */
export function browserStorage(): RecoStorage | undefined {
  try {
    return (globalThis as { localStorage?: RecoStorage }).localStorage;
  } catch {
    return undefined;
  }
}

/** Reads a key, treating a throwing storage as empty. */
export function safeGet(storage: RecoStorage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes a key (removes it for `null`), ignoring a storage that throws (quota, private mode): the SDK goes on. */
export function safeSet(storage: RecoStorage, key: string, value: string | null): void {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Ignored on purpose: the values are also held in memory.
  }
}

const parseList = (text: string | null): unknown[] => {
  try {
    const value: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
};

/** The undelivered events of this page and of earlier ones, as their wire JSON. */
export interface QueueStore {
  /** Takes over the queues every page left behind (this tab's reload, other tabs), oldest page first. */
  adopt(): string[];
  save(events: readonly string[]): void;
  clear(): void;
}

const INDEX = 'reco.queues';

/**
 * Each page keeps its queue under its own key (`reco.queue.<id>`), listed in `reco.queues`, so two tabs never
 * overwrite each other's events. A new page adopts every listed queue: a tab still open keeps its events in memory
 * and lists itself again on its next save, so an event may be sent by two pages, with the same `eventId`, which the
 * API counts once. Nothing is lost, which a single shared key could not promise.
 */
export function queueStore(storage: RecoStorage): QueueStore {
  const key = `reco.queue.${randomId()}`;
  const index = () => parseList(safeGet(storage, INDEX)).filter((k): k is string => typeof k === 'string');
  const list = (keys: readonly string[]) => safeSet(storage, INDEX, keys.length > 0 ? JSON.stringify(keys) : null);
  return {
    adopt() {
      const adopted: string[] = [];
      for (const other of index()) {
        for (const json of parseList(safeGet(storage, other))) if (typeof json === 'string') adopted.push(json);
        safeSet(storage, other, null);
      }
      list([]);
      return [...new Set(adopted)];
    },
    save(events) {
      const keys = index().filter((k) => k !== key);
      if (events.length > 0) {
        safeSet(storage, key, JSON.stringify(events));
        keys.push(key);
      } else {
        safeSet(storage, key, null);
      }
      list(keys);
    },
    clear() {
      this.adopt();
      safeSet(storage, key, null);
    },
  };
}
