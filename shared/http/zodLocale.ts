import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/*
 * zod's English messages for the schemas built with zod/mini. A bundle holds only the parts of
 * zod/mini its schemas use, a fraction of classic zod's 96 KiB that each function evaluating it
 * paid at cold start. Unlike classic zod, zod/mini sets no locale when imported, and a 400 quotes
 * zod's message for a rule that has none of its own ("quantity: Too small: expected number to be
 * >=1"). Imported for this effect by every module that builds such schemas.
 */
config(en());
