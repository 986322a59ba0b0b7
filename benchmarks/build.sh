#!/usr/bin/env bash
# Time the book build: a cold build (no _build, empty .cache, so every chapter executes and
# every network retrains) and then a rebuild with nothing changed.
# Targets on a 2-core machine: cold build <= 600 s, unchanged rebuild <= 30 s.
#
# Usage (from anywhere; works on the repository the script lives in):
#   bash benchmarks/build.sh               # uses .venv/bin (make install), else the active python
#   BIN=/path/to/venv/bin bash benchmarks/build.sh
#
# It deletes _build/ and .cache/ of this checkout: run it in a clone if others share yours.
# Exits 1 if a build fails or a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
unset MPLBACKEND   # a non-interactive backend silently drops every figure

if [ -z "${BIN:-}" ]; then
    if [ -x .venv/bin/jupyter-book ]; then BIN=.venv/bin; else BIN="$(dirname "$(command -v python)")"; fi
fi
COLD_TARGET=600
REBUILD_TARGET=30

build() {
    "$BIN/jupyter-book" build . -W --keep-going > "$1" 2>&1
    "$BIN/python" tools/check_site.py _build/html >> "$1" 2>&1
}

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (uncommitted edits)'), $(nproc) cores"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf _build .cache
mkdir -p /tmp/book-build-benchmark
started=$(date +%s.%N)
build /tmp/book-build-benchmark/cold.log || { echo "cold build FAILED, log: /tmp/book-build-benchmark/cold.log"; exit 1; }
cold=$(echo "$(date +%s.%N) - $started" | bc)
echo "load after cold build: $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s.%N)
build /tmp/book-build-benchmark/rebuild.log || { echo "rebuild FAILED, log: /tmp/book-build-benchmark/rebuild.log"; exit 1; }
rebuild=$(echo "$(date +%s.%N) - $started" | bc)
echo "load after rebuild: $(cut -d' ' -f1-3 /proc/loadavg)"

verdict() {  # seconds target
    if (( $(echo "$1 <= $2" | bc) )); then echo PASS; else echo FAIL; fi
}
cold_verdict=$(verdict "$cold" "$COLD_TARGET")
rebuild_verdict=$(verdict "$rebuild" "$REBUILD_TARGET")
echo "execution time per chapter in the cold build (jupyter cache):"
"$BIN/python" - <<'PY'
from jupyter_cache import get_cache
records = get_cache("_build/.jupyter_cache").list_cache_records()
for record in sorted(records, key=lambda r: r.uri):
    print(f"  {record.uri.rsplit('/', 1)[-1]:<40} {record.data.get('execution_seconds', float('nan')):6.1f} s")
PY
printf "cold build (empty _build and .cache): %6.1f s  target <= %d s  %s\n" "$cold" "$COLD_TARGET" "$cold_verdict"
printf "rebuild, nothing changed:             %6.1f s  target <= %d s  %s\n" "$rebuild" "$REBUILD_TARGET" "$rebuild_verdict"
echo "build logs: /tmp/book-build-benchmark/cold.log and rebuild.log"
[ "$cold_verdict" = PASS ] && [ "$rebuild_verdict" = PASS ]
