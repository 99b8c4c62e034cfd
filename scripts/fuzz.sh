#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each on its committed corpus for
# FUZZ_SECONDS (default 60) seconds. A crash leaves its input in build-fuzz/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if [[ ! -f build-fuzz/build.ninja ]]; then
    CXX=clang++ meson setup build-fuzz -Dfuzzing=true -Dwerror=false >/dev/null
fi
ninja -C build-fuzz tests/fuzz/fuzz-manifest
mkdir -p build-fuzz/corpus-manifest
cp -n tests/fuzz/corpus/manifest/* build-fuzz/corpus-manifest/ 2>/dev/null || true
(cd build-fuzz && ./tests/fuzz/fuzz-manifest -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 corpus-manifest)
