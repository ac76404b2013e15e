#!/usr/bin/env node
// Launcher for the `reco` CLI: registers tsx so Node can run the TypeScript sources (and the
// package's `#shared/*` imports) directly, then hands over to cli/reco.ts.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/reco.ts');
process.exitCode = await main(process.argv.slice(2));
