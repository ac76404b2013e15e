/**
 * The on-disk form of a model: `manifest.json`, little-endian binary arrays (`<name>.f32`,
 * `<name>.u32`) and JSON files (`<name>.json`) in one directory. Binary arrays load as views on
 * the bytes read, without a per-element copy, so a 100k × 64 factor matrix loads in milliseconds.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { parseDataWindow } from './dataWindow.ts';
import {
  ALGORITHMS,
  type AlgorithmName,
  type DataSummary,
  type Hyperparameters,
  type ModelManifest,
  type TrainingData,
} from './model.ts';

export const MANIFEST_FILE = 'manifest.json';

type FileKind = ModelManifest['files'][string]['kind'];

const EXTENSION: Readonly<Record<FileKind, string>> = { float32: '.f32', uint32: '.u32', json: '.json' };

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Bytes of a typed array in little-endian order (a copy only on big-endian hosts). */
function littleEndianBytes(array: Float32Array | Uint32Array): Buffer {
  const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return LITTLE_ENDIAN_HOST ? bytes : Buffer.from(bytes).swap32();
}

/** Collects the files of a model directory and writes the manifest last, so a manifest means a complete model. */
export class ArtifactWriter {
  readonly #dir: string;
  readonly #files: Record<string, { kind: FileKind; length?: number }> = {};

  constructor(dir: string) {
    this.#dir = dir;
  }

  async #write(name: string, kind: FileKind, bytes: Buffer | string, length?: number): Promise<void> {
    const file = name + EXTENSION[kind];
    if (this.#files[file] !== undefined) throw new Error(`artifact file ${file} written twice`);
    this.#files[file] = length === undefined ? { kind } : { kind, length };
    await mkdir(this.#dir, { recursive: true });
    await writeFile(join(this.#dir, file), bytes);
  }

  float32(name: string, array: Float32Array): Promise<void> {
    return this.#write(name, 'float32', littleEndianBytes(array), array.length);
  }

  uint32(name: string, array: Uint32Array): Promise<void> {
    return this.#write(name, 'uint32', littleEndianBytes(array), array.length);
  }

  json(name: string, value: unknown): Promise<void> {
    return this.#write(name, 'json', JSON.stringify(value));
  }

  /** Writes `manifest.json` listing every file written so far. */
  async finish(manifest: {
    algorithm: AlgorithmName;
    hyperparameters: Hyperparameters;
    data: DataSummary;
    metrics?: Readonly<Record<string, number>>;
    createdAt?: string;
  }): Promise<ModelManifest> {
    const complete: ModelManifest = {
      formatVersion: 1,
      algorithm: manifest.algorithm,
      hyperparameters: manifest.hyperparameters,
      data: manifest.data,
      metrics: manifest.metrics ?? {},
      createdAt: manifest.createdAt ?? new Date().toISOString(),
      files: { ...this.#files },
    };
    await mkdir(this.#dir, { recursive: true });
    await writeFile(join(this.#dir, MANIFEST_FILE), JSON.stringify(complete, null, 2) + '\n');
    return complete;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks `manifest.json`; the error says which field is wrong. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read model manifest ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(parsed)) throw new Error(`${path}: not a JSON object`);
  if (parsed['formatVersion'] !== 1)
    throw new Error(`${path}: unsupported formatVersion ${String(parsed['formatVersion'])}`);
  const algorithm = parsed['algorithm'];
  if (typeof algorithm !== 'string' || !(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new Error(`${path}: unknown algorithm ${JSON.stringify(algorithm)} (valid: ${ALGORITHMS.join(', ')})`);
  }
  if (!isRecord(parsed['files'])) throw new Error(`${path}: files must be an object`);
  if (!isRecord(parsed['hyperparameters'])) throw new Error(`${path}: hyperparameters must be an object`);
  const window = parsed['window'];
  if (window !== undefined) {
    if (!isRecord(window)) throw new Error(`${path}: window must be an object`);
    let checked;
    try {
      checked = parseDataWindow({
        from: { name: 'window.from', value: window['from'] },
        holdoutFrom: { name: 'window.holdoutFrom', value: window['holdoutFrom'] },
        to: { name: 'window.to', value: window['to'] },
      });
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
    }
    if (checked === undefined) throw new Error(`${path}: window must have from, holdoutFrom and to`);
    return { ...(parsed as unknown as ModelManifest), window: checked };
  }
  return parsed as unknown as ModelManifest;
}

/** A loaded model directory: typed views on its binary files and parsed JSON files. */
export class Artifact {
  readonly manifest: ModelManifest;
  readonly #arrays: ReadonlyMap<string, Float32Array | Uint32Array>;
  readonly #json: ReadonlyMap<string, unknown>;

  constructor(
    manifest: ModelManifest,
    arrays: ReadonlyMap<string, Float32Array | Uint32Array>,
    json: ReadonlyMap<string, unknown>,
  ) {
    this.manifest = manifest;
    this.#arrays = arrays;
    this.#json = json;
  }

  has(name: string): boolean {
    return this.#arrays.has(name) || this.#json.has(name);
  }

  float32(name: string): Float32Array {
    const array = this.#arrays.get(name);
    if (!(array instanceof Float32Array)) throw new Error(`model artifact has no float32 file ${name}.f32`);
    return array;
  }

  uint32(name: string): Uint32Array {
    const array = this.#arrays.get(name);
    if (!(array instanceof Uint32Array)) throw new Error(`model artifact has no uint32 file ${name}.u32`);
    return array;
  }

  /** A JSON file's value; its shape is the writer's business, so the caller asserts it. */
  json<T>(name: string): T {
    if (!this.#json.has(name)) throw new Error(`model artifact has no JSON file ${name}.json`);
    return this.#json.get(name) as T;
  }
}

/** Views the bytes as 32-bit elements; copies only when unaligned or on a big-endian host. */
function typedView<T extends Float32Array | Uint32Array>(
  bytes: Buffer,
  make: (buffer: ArrayBufferLike, offset: number, length: number) => T,
  file: string,
): T {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${file}: ${bytes.byteLength} bytes is not a whole number of 4-byte elements`);
  let source = bytes;
  if (!LITTLE_ENDIAN_HOST) source = Buffer.from(bytes).swap32();
  else if (source.byteOffset % 4 !== 0) source = Buffer.from(bytes); // small files share Node's pool at any offset
  if (source.byteOffset % 4 !== 0) {
    const aligned = new Uint8Array(source.byteLength);
    aligned.set(source);
    return make(aligned.buffer, 0, source.byteLength / 4);
  }
  return make(source.buffer, source.byteOffset, source.byteLength / 4);
}

/** Reads a whole model directory (every file the manifest lists, in parallel) and checks array lengths. */
export async function readArtifact(dir: string): Promise<Artifact> {
  const manifest = await readManifest(dir);
  const arrays = new Map<string, Float32Array | Uint32Array>();
  const json = new Map<string, unknown>();
  await Promise.all(
    Object.entries(manifest.files).map(async ([file, { kind, length }]) => {
      const extension = EXTENSION[kind];
      if (extension === undefined || !file.endsWith(extension))
        throw new Error(`${file}: kind ${kind} does not match its name`);
      const name = file.slice(0, -extension.length);
      const bytes = await readFile(join(dir, file));
      if (kind === 'json') {
        json.set(name, JSON.parse(bytes.toString('utf8')));
        return;
      }
      const array =
        kind === 'float32'
          ? typedView(bytes, (b, o, n) => new Float32Array(b, o, n), file)
          : typedView(bytes, (b, o, n) => new Uint32Array(b, o, n), file);
      if (length !== undefined && array.length !== length) {
        throw new Error(`${file}: manifest says ${length} elements, file has ${array.length}`);
      }
      arrays.set(name, array);
    }),
  );
  return new Artifact(manifest, arrays, json);
}

/**
 * Counts and a SHA-256 of the training data, so a manifest says exactly what a model saw.
 * Interactions are hashed in order as `user\titem\ttimestamp\ttype\tvalue\n` (`\tcount` before the
 * newline for a row standing for several events), then the catalogue ids.
 */
export function summarizeData(data: TrainingData): DataSummary {
  const hash = createHash('sha256');
  const users = new Set<string>();
  const items = new Set<string>();
  let chunk = '';
  for (const i of data.interactions) {
    users.add(i.userId);
    items.add(i.itemId);
    const count = i.eventCount === undefined ? '' : `\t${i.eventCount}`;
    chunk += `${i.userId}\t${i.itemId}\t${i.timestamp}\t${i.eventType ?? ''}\t${i.eventValue ?? ''}${count}\n`;
    // Hashing in chunks keeps a million interactions from becoming a million update calls.
    if (chunk.length > 65_536) {
      hash.update(chunk);
      chunk = '';
    }
  }
  for (const entry of data.catalogue) {
    items.add(entry.itemId);
    chunk += `item\t${entry.itemId}\n`;
    if (chunk.length > 65_536) {
      hash.update(chunk);
      chunk = '';
    }
  }
  hash.update(chunk);
  return { users: users.size, items: items.size, interactions: data.interactions.length, sha256: hash.digest('hex') };
}
