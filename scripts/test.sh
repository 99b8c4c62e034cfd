#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds from scratch if needed, runs meson test
# (unit + system tests with a real mosquitto and the Kanto-CM simulator), prints a summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${BUILD_DIR:-build}

bash scripts/install-deps.sh
if [[ -f "$builddir/build.ninja" ]]; then
    meson setup --reconfigure "$builddir" >/dev/null
else
    meson setup "$builddir"
fi
ninja -C "$builddir"
rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 || rc=$?
python3 scripts/test-summary.py "$builddir/meson-logs/testlog.json"
exit $rc
