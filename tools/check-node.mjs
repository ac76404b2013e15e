// Stops `npm test`, `npm start` and the like with a plain message when the running Node is older than
// package.json's engines.node, instead of an obscure failure deep in vitest or a stand-in. It must itself run on an
// old Node, so it sticks to syntax and APIs every Node since 14 has.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines || {};
const wanted = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(engines.node || '').trim());
if (wanted === null) {
  process.stderr.write(
    `tools/check-node.mjs understands engines.node of the form ">=X[.Y[.Z]]", got ${engines.node}\n`,
  );
  process.exit(2);
}
const need = [1, 2, 3].map((i) => Number(wanted[i] || 0));
const have = process.versions.node.split('.').map(Number);
let older = false;
for (let i = 0; i < 3; i += 1) {
  if (have[i] !== need[i]) {
    older = have[i] < need[i];
    break;
  }
}
if (older) {
  process.stderr.write(
    [
      `This project needs Node ${engines.node}; this is Node ${process.versions.node} (${process.execPath}).`,
      'From the repository root, put a Node 24 first on PATH (installed from the npm registry into ~/.cache on first',
      'use), then run again:',
      '',
      '  export PATH="$(tools/use-node24.sh):$PATH"',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
