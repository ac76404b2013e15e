#!/bin/sh
# Entry point of the reco model image. SageMaker runs the image as `docker run IMAGE train` for
# training jobs, `docker run IMAGE serve` for endpoints and `docker run IMAGE export` for the
# pipeline's processing job (ContainerArguments ["export"]); arguments after the mode go to the
# program (e.g. `serve --port 9000`). `exec` makes node PID 1, so it receives SageMaker's SIGTERM.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
dist="${RECO_DIST_DIR:-$here/dist}"

# V8's default heap limit is far below an ml instance's memory: give Node three quarters of what
# the container may use (the smaller of the cgroup limit and the machine's memory), unless
# NODE_OPTIONS already sets a limit.
heap_flag() {
  case "${NODE_OPTIONS:-}" in *max-old-space-size*) return 0 ;; esac
  limit_kb=''
  if [ -r /proc/meminfo ]; then
    while read -r key value _; do
      if [ "$key" = 'MemTotal:' ]; then
        limit_kb=$value
        break
      fi
    done </proc/meminfo
  fi
  for file in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    [ -r "$file" ] || continue
    bytes=$(cat "$file")
    case "$bytes" in
      '' | max | *[!0-9]*) ;;
      *)
        cgroup_kb=$((bytes / 1024))
        if [ -z "$limit_kb" ] || [ "$cgroup_kb" -lt "$limit_kb" ]; then limit_kb=$cgroup_kb; fi
        ;;
    esac
  done
  if [ -n "$limit_kb" ] && [ "$limit_kb" -gt 0 ]; then echo "--max-old-space-size=$((limit_kb * 3 / 4 / 1024))"; fi
}

mode="${1:-}"
case "$mode" in
  train | serve | export) shift ;;
  *)
    echo "usage: docker run IMAGE train|serve|export [--root DIR] [--port N] [--host H]" >&2
    echo "  train: /opt/ml/input -> /opt/ml/model (failure reason in /opt/ml/output/failure)" >&2
    echo "  serve: GET /ping, POST /invocations on \$SAGEMAKER_BIND_TO_PORT or 8080" >&2
    echo "  export: the lake window in RECO_EXPORT_* -> /opt/ml/processing/output (reason in /opt/ml/output/message)" >&2
    exit 64
    ;;
esac

# shellcheck disable=SC2046 # the heap flag is one word or none
exec node --enable-source-maps $(heap_flag) "$dist/$mode.mjs" "$@"
