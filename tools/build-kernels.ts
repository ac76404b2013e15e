/** `npm run build:kernels`: regenerates `shared/recommender/kernels/<name>Wasm.ts` from the `.wat` sources. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compileKernel, KERNEL_DIR, KERNELS, renderKernelModule } from './kernels.ts';

for (const name of KERNELS) {
  const binary = await compileKernel(name);
  const path = join(KERNEL_DIR, `${name}Wasm.ts`);
  await writeFile(path, renderKernelModule(name, binary));
  console.log(`${path}: ${binary.length} bytes of WebAssembly`);
}
