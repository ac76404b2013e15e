/**
 * Algorithm name → trainer, model loading, hyperparameter checking, and the `model.tar.gz`
 * SageMaker expects. The tar code is ours: a ustar header is a fixed 512-byte layout and a model
 * directory holds a few flat files, so a dependency would add more than the ~80 lines it saves.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { readArtifact } from './artifact.ts';
import { ComponentModel, readBase, type Component, type ModelBase } from './component.ts';
import { resolveHyperparameters } from './hyperparameters.ts';
import type { Artifact } from './artifact.ts';
import { ContentComponent, contentTrainer } from './algorithms/content.ts';
import { HybridComponent, hybridTrainer } from './algorithms/hybrid.ts';
import { IalsComponent, ialsTrainer } from './algorithms/ials.ts';
import { ItemKnnComponent, itemKnnTrainer } from './algorithms/itemKnn.ts';
import { PopularityComponent, popularityTrainer } from './algorithms/popularity.ts';
import { ALGORITHMS, type AlgorithmName, type Hyperparameters, type Model, type Trainer } from './model.ts';

/** Every trainer, by algorithm name. */
export const trainers: Readonly<Record<AlgorithmName, Trainer>> = {
  hybrid: hybridTrainer,
  ials: ialsTrainer,
  'item-knn': itemKnnTrainer,
  popularity: popularityTrainer,
  content: contentTrainer,
};

const readers: Readonly<Record<AlgorithmName, (artifact: Artifact, base: ModelBase, prefix: string) => Component>> = {
  hybrid: HybridComponent.read,
  ials: IalsComponent.read,
  'item-knn': ItemKnnComponent.read,
  popularity: PopularityComponent.read,
  content: ContentComponent.read,
};

function isAlgorithmName(name: string): name is AlgorithmName {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** The trainer for `name`; the error lists the valid names. */
export function trainerFor(name: string): Trainer {
  if (!isAlgorithmName(name)) throw new Error(`unknown algorithm "${name}"; valid: ${ALGORITHMS.join(', ')}`);
  return trainers[name];
}

/**
 * The trainer's defaults merged with `params`, every name and type checked: an unknown name is
 * an error naming it and the valid ones, a wrong type an error naming the expected type. Numeric
 * and boolean strings are accepted (SageMaker passes every hyperparameter as a string).
 */
export function validateHyperparameters(trainer: Trainer, params: Hyperparameters): Hyperparameters {
  return resolveHyperparameters(trainer.algorithm, trainer.defaults, params);
}

/** Loads a model directory written by `Model.save`, whatever its algorithm. */
export async function loadModel(dir: string): Promise<Model> {
  const artifact = await readArtifact(dir);
  const algorithm = artifact.manifest.algorithm;
  const base = readBase(artifact);
  return new ComponentModel(algorithm, base, readers[algorithm](artifact, base, `${algorithm}.`));
}

const BLOCK = 512;

/** Writes `value` as NUL-terminated octal of `width` bytes (the ustar numeric field format). */
function writeOctal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

/** A ustar header; names over 100 bytes are split into prefix and name at a `/`. */
function tarHeader(path: string, size: number, type: '0' | '5', mode: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', path.length - 2);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155)
      throw new Error(`path too long for tar: ${path}`);
  }
  header.write(name, 0, 100, 'utf8');
  writeOctal(header, 100, 8, mode);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  // mtime 0: the same model directory always packs to the same bytes.
  writeOctal(header, 136, 12, 0);
  header.write('        ', 148, 8, 'ascii');
  header.write(type, 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  header.write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return header;
}

/** Files and directories under `dir`, relative with `/` separators, sorted (so archives are reproducible). */
async function listTree(dir: string, under = ''): Promise<{ path: string; directory: boolean }[]> {
  const entries = (await readdir(join(dir, under), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const listed: { path: string; directory: boolean }[] = [];
  for (const entry of entries) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) {
      listed.push({ path: `${path}/`, directory: true });
      listed.push(...(await listTree(dir, path)));
    } else if (entry.isFile()) {
      listed.push({ path, directory: false });
    }
  }
  return listed;
}

/** Packs a model directory into `tarGzPath` (gzip'd ustar, files at the archive root as SageMaker expects). */
export async function packModel(dir: string, tarGzPath: string): Promise<void> {
  const target = resolve(tarGzPath);
  const blocks: Buffer[] = [];
  for (const { path, directory } of await listTree(dir)) {
    if (directory) {
      blocks.push(tarHeader(path, 0, '5', 0o755));
      continue;
    }
    const absolute = join(dir, ...path.split('/'));
    if (resolve(absolute) === target) continue;
    const content = await readFile(absolute);
    blocks.push(tarHeader(path, content.length, '0', 0o644), content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, await promisify(gzip)(Buffer.concat(blocks)));
}

function readString(header: Buffer, offset: number, width: number): string {
  const field = header.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? width : end).toString('utf8');
}

function readOctal(header: Buffer, offset: number, width: number): number {
  const text = readString(header, offset, width).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/**
 * Unpacks a `model.tar.gz` into `dir`. Regular files and directories only (pax and other
 * headers are skipped); a path that would leave `dir` is an error, not a write.
 */
export async function unpackModel(tarGzPath: string, dir: string): Promise<void> {
  const archive = await promisify(gunzip)(await readFile(tarGzPath));
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  for (let offset = 0; offset + BLOCK <= archive.length;) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    let stored = 0;
    for (let n = 0; n < BLOCK; n++) stored += n >= 148 && n < 156 ? 32 : (header[n] as number);
    if (stored !== readOctal(header, 148, 8)) throw new Error(`${tarGzPath}: corrupt tar header at byte ${offset}`);
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] as number);
    const prefix = readString(header, 345, 155);
    const name = (prefix === '' ? '' : `${prefix}/`) + readString(header, 0, 100);
    const start = offset + BLOCK;
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    const path = posix.normalize(name.replace(/^(\.\/)+/, ''));
    if (path === '.' || path === './') continue;
    const destination = resolve(root, ...path.split('/'));
    const inside = relative(root, destination);
    if (isAbsolute(path) || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw new Error(`${tarGzPath}: entry ${name} points outside the target directory`);
    }
    if (type === '5') {
      await mkdir(destination, { recursive: true });
    } else if (type === '0' || type === '\0') {
      if (start + size > archive.length) throw new Error(`${tarGzPath}: truncated entry ${name}`);
      await mkdir(dirname(destination), { recursive: true });
      await writeFile(destination, archive.subarray(start, start + size));
    }
  }
  // A directory that is not a model would fail later with a vaguer message.
  await stat(join(root, 'manifest.json')).catch(() => {
    throw new Error(`${tarGzPath}: archive has no manifest.json at its root`);
  });
}
