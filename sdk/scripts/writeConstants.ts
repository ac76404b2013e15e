import { writeFileSync } from 'node:fs';
import { renderApiConstants } from './constants.ts';

writeFileSync(new URL('../apiConstants.ts', import.meta.url), renderApiConstants());
