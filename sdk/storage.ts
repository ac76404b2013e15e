/**
 * Where the SDK keeps the few values that must survive a page load: the anonymous id, the
 * identified user id and the session. `localStorage` fits as it is; so does a cookie-backed
 * object on a server that renders pages.
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
 * `localStorage` when the runtime has a usable one (it can throw on access: Safari's private
 * mode, sandboxed frames, storage disabled), otherwise memory.
 */
export function defaultStorage(): RecoStorage {
  try {
    const local = (globalThis as { localStorage?: RecoStorage }).localStorage;
    if (local !== undefined) {
      const probe = '__reco_probe__';
      local.setItem(probe, '1');
      local.removeItem(probe);
      return local;
    }
  } catch {
    // Fall through to memory.
  }
  return memoryStorage();
}

/** Reads a key, treating a throwing storage as empty. */
export function safeGet(storage: RecoStorage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes a key, ignoring a storage that throws (quota, private mode): the SDK keeps working. */
export function safeSet(storage: RecoStorage, key: string, value: string | null): void {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Ignored on purpose.
  }
}
