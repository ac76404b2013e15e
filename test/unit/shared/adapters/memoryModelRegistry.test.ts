import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { modelRegistryContract } from '../../../contract/modelRegistry.contract.ts';

modelRegistryContract('memory', async () => new MemoryModelRegistry());
