import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { featureStoreContract } from '../../../contract/featureStore.contract.ts';

featureStoreContract('memory', async () => new MemoryFeatureStore());
