/** What the kernels share: the slice of the WebAssembly JS API they use, compiled once per process. */

/** Node's typings leave the WebAssembly JS API out without the DOM lib. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmModule {
  readonly kind: 'module';
}
interface WasmApi {
  validate(binary: Uint8Array): boolean;
  Module: new (binary: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export const PAGE_BYTES = 65_536;

const compiled = new Map<string, WasmModule | null>();

/** A kernel's module, compiled once per process; null where the runtime has no WebAssembly SIMD. */
export function simdModule(base64: string): WasmModule | null {
  let module = compiled.get(base64);
  if (module === undefined) {
    const binary = Buffer.from(base64, 'base64');
    module = wasmApi?.validate(binary) ? new wasmApi.Module(binary) : null;
    compiled.set(base64, module);
  }
  return module;
}

/** A new instance of `module` whose memory holds at least `bytes`. */
export function instantiate<Exports extends { readonly memory: WasmMemory }>(
  module: WasmModule,
  bytes: number,
): Exports {
  const exports = new (wasmApi as WasmApi).Instance(module).exports as Exports;
  const missing = Math.ceil(bytes / PAGE_BYTES) - exports.memory.buffer.byteLength / PAGE_BYTES;
  if (missing > 0) exports.memory.grow(missing);
  return exports;
}
