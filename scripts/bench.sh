#!/usr/bin/env bash
# Every benchmark on the release build (build-release), each printing its table with the
# reference measured in the same run; the tables are also written to build-release/benchmarks.txt.
# Numbers only: nothing here fails on a slow result.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${BUILD_DIR:-build-release}
bash scripts/install-deps.sh >/dev/null
if [[ -f "$builddir/build.ninja" ]]; then
    meson setup --reconfigure "$builddir" >/dev/null
else
    meson setup "$builddir" --buildtype=release >/dev/null
fi
ninja -C "$builddir"
out="$builddir/benchmarks.txt"
{
    echo "# benchmarks of $(git rev-parse --short HEAD 2>/dev/null || echo 'this tree'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
    meson test -C "$builddir" --benchmark --verbose --logbase benchmarklog 2>&1 |
        grep -v -E '^\s*$|^>>> |^ninja|^[0-9]+/[0-9]+ |^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):|^Full log'
} | tee "$out"
echo "tables written to $out"
