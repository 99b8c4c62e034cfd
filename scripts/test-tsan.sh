#!/usr/bin/env bash
# The adapters under ThreadSanitizer: Paho's and gRPC's threads hand their completions to the
# daemon's single loop, so a data race would show here. Builds build-tsan (GCC, -fsanitize=thread)
# and runs the adapter tests and the end-to-end tests of the daemon, the inspector and the
# simulator, all instrumented. Paho and gRPC themselves are Debian's uninstrumented libraries:
# tests/sanitizers/tsan.supp lists the reports that come from inside them, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${BUILD_DIR:-build-tsan}
bash scripts/install-deps.sh >/dev/null
if [[ ! -f "$builddir/build.ninja" ]]; then
    # Boost.Asio's fences are not modelled by TSan; GCC warns about each (-Wtsan).
    meson setup "$builddir" --buildtype=debug -Db_sanitize=thread -Db_lundef=false -Dcpp_args=-Wno-tsan >/dev/null
fi
ninja -C "$builddir" bridge/kanto-twin-bridge bridge/kanto-twin bridge/kanto-auto-deployer \
    examples/kanto-cm-sim/kanto-cm-sim examples/kanto-cm-sim/kanto-cm-sim-process tests/system-tests
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp"
rc=0
meson test -C "$builddir" --no-rebuild --print-errorlogs --num-processes 2 --timeout-multiplier 4 \
    system-adapters system-twin system-commands system-broker system-update-agent || rc=$?
exit $rc
