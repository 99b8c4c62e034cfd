#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each on its committed corpus for
# FUZZ_SECONDS (default 60) seconds. A crash leaves its input in build-fuzz/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if [[ ! -f build-fuzz/build.ninja ]]; then
    # The libraries under test get coverage instrumentation and sanitizers too, not only the target.
    CXX=clang++ CXXFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
        LDFLAGS="-fsanitize=address,undefined" \
        meson setup build-fuzz -Dfuzzing=true -Dwerror=false >/dev/null
fi
for target in manifest desired-state twin-inbound values config; do
    echo "fuzz: $target for ${seconds} s"
    ninja -C build-fuzz "tests/fuzz/fuzz-$target"
    mkdir -p "build-fuzz/corpus-$target"
    cp -n "tests/fuzz/corpus/$target"/* "build-fuzz/corpus-$target/" 2>/dev/null || true
    (cd build-fuzz && "./tests/fuzz/fuzz-$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 \
        "corpus-$target")
done
