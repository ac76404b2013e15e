import { UnknownVersionError } from '../training/errors.ts';
import type {
  LiveModel,
  LockRequest,
  LockResult,
  ModelRegistry,
  ModelVersionRecord,
  SetLiveRequest,
} from '../training/registry.ts';

/** The model registry in memory, with the DynamoDB one's semantics (tests, the local run). */
export class MemoryModelRegistry implements ModelRegistry {
  private readonly versions = new Map<string, ModelVersionRecord>();
  private pointer: LiveModel | undefined;
  private lock: { holder: string; expiresAt: number } | undefined;

  async takeLock({ holder, now, ttlSeconds }: LockRequest): Promise<LockResult> {
    const nowSeconds = Math.floor(now / 1000);
    const held = this.lock;
    if (held !== undefined && held.holder !== holder && held.expiresAt > nowSeconds) {
      return { taken: false, heldBy: held.holder, expiresAt: held.expiresAt };
    }
    this.lock = { holder, expiresAt: nowSeconds + ttlSeconds };
    return { taken: true };
  }

  async releaseLock(holder: string): Promise<boolean> {
    if (this.lock?.holder !== holder) return false;
    this.lock = undefined;
    return true;
  }

  async live(): Promise<LiveModel | undefined> {
    return this.pointer === undefined ? undefined : structuredClone(this.pointer);
  }

  async putVersion(record: ModelVersionRecord): Promise<void> {
    this.versions.set(record.version, structuredClone(record));
  }

  async getVersion(version: string): Promise<ModelVersionRecord | undefined> {
    const record = this.versions.get(version);
    return record === undefined ? undefined : structuredClone(record);
  }

  async listVersions({ limit }: { readonly limit: number }): Promise<readonly ModelVersionRecord[]> {
    return [...this.versions.keys()]
      .sort()
      .reverse()
      .slice(0, limit)
      .map((version) => structuredClone(this.versions.get(version) as ModelVersionRecord));
  }

  async setLive(request: SetLiveRequest): Promise<{ readonly previous?: string }> {
    const record = this.versions.get(request.version);
    if (record === undefined) throw new UnknownVersionError(request.version);
    const previous = this.pointer?.version;
    const before = previous === undefined ? undefined : this.versions.get(previous);
    if (before !== undefined && previous !== request.version) {
      this.versions.set(previous as string, { ...before, status: 'retired', updatedAt: request.since });
    }
    this.versions.set(request.version, {
      ...record,
      status: 'live',
      modelDataUrl: request.modelDataUrl,
      liveSince: request.since,
      updatedAt: request.since,
    });
    this.pointer = structuredClone({
      version: request.version,
      modelDataUrl: request.modelDataUrl,
      endpointName: request.endpointName,
      ...(request.window === undefined ? {} : { window: request.window }),
      since: request.since,
    });
    return previous === undefined ? {} : { previous };
  }
}
