#!/usr/bin/env bash
# The whole test suite (unit and system tests: the daemon, the simulator and the tools run
# instrumented too) under AddressSanitizer with LeakSanitizer and UndefinedBehaviorSanitizer, in
# its own build directory (build-asan). Any report fails the test that caused it: a leak at exit
# makes the program exit non-zero, undefined behaviour aborts.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${BUILD_DIR:-build-asan}
bash scripts/install-deps.sh >/dev/null
if [[ ! -f "$builddir/build.ninja" ]]; then
    meson setup "$builddir" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$builddir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 --no-suite style --timeout-multiplier 3 || rc=$?
python3 scripts/test-summary.py "$builddir/meson-logs/testlog.json" | sed 's/^tests:/sanitized tests:/'
exit $rc
