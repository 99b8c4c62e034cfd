#!/usr/bin/env bash
# Builds the Debian packages from a clean clone of this repository's HEAD (dpkg-buildpackage -b),
# unpacks them into a scratch root and checks their content: the programs (each answers
# --version), the units, the drop-in, the man pages, bash completion, the example configuration and
# the copyright; and nothing of the simulator or the tests. lintian checks them too. Then the
# README's device walkthrough on this machine, the simulator standing in for Kanto-CM: apt installs
# the packages, the installed daemon runs from a config.json, the installed kanto-twin shows the
# twin, apt purges them again (--no-install skips this part). Needs the build dependencies of
# debian/control (scripts/install-deps.sh installs them) and debhelper; root for the walkthrough.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
if ! dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "install ok installed"; then
    apt-get install -y -qq --no-install-recommends debhelper dpkg-dev fakeroot >/dev/null
fi
if ! command -v lintian >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
install=yes
[[ "${1:-}" == "--no-install" ]] && install=no
work=$(mktemp -d)
pids=()
installed=no
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ $installed == yes ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kanto-twin-bridge kanto-twin-bridge-tools >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
git clone -q . "$work/src"
(cd "$work/src" && dpkg-buildpackage -b -us -uc > "$work/build.log" 2>&1) ||
    { tail -n 40 "$work/build.log"; echo "test-packages: dpkg-buildpackage failed"; exit 1; }
root="$work/root"
fail=0
for deb in "$work"/kanto-twin-bridge_*.deb "$work"/kanto-twin-bridge-tools_*.deb; do
    [[ -f "$deb" ]] || { echo "test-packages: missing $(basename "$deb")"; fail=1; continue; }
    dpkg-deb -x "$deb" "$root"
    echo "test-packages: $(basename "$deb"): $(dpkg-deb -f "$deb" Depends | tr -d '\n' | cut -c1-120)..."
done
for f in usr/bin/kanto-twin-bridge usr/bin/kanto-auto-deployer usr/bin/kanto-twin \
    usr/lib/systemd/system/kanto-twin-bridge.service usr/lib/systemd/system/kanto-auto-deployer.service \
    usr/lib/systemd/system/container-management.service.d/kanto-twin-bridge.conf \
    usr/share/man/man1/kanto-twin-bridge.1.gz usr/share/man/man1/kanto-twin.1.gz \
    usr/share/man/man1/kanto-auto-deployer.1.gz \
    usr/share/bash-completion/completions/kanto-twin-bridge usr/share/bash-completion/completions/kanto-twin \
    usr/share/doc/kanto-twin-bridge/config.json usr/share/doc/kanto-twin-bridge/copyright \
    usr/share/doc/kanto-twin-bridge-tools/copyright; do
    [[ -e "$root/$f" ]] || { echo "test-packages: missing /$f"; fail=1; }
done
for p in kanto-twin-bridge kanto-twin kanto-auto-deployer; do
    "$root/usr/bin/$p" --version | grep -q "^$p " || { echo "test-packages: $p --version does not answer"; fail=1; }
done
extra=$(find "$root" -type f \( -name 'kanto-cm-*' -o -name '*test*' -o -name 'bench-*' \) | sed "s|^$root||")
[[ -z "$extra" ]] || { echo "test-packages: development files packaged: $extra"; fail=1; }
# lintian: errors and warnings fail; the tags we keep are explained in debian/*.lintian-overrides.
if lintian --version >/dev/null 2>&1; then
    status=0
    tags=$(lintian --fail-on error,warning --display-info "$work"/*.changes 2>&1) || status=$?
    tags=$(grep -v "root privileges" <<<"$tags" || true)
    if [[ $status -ne 0 ]]; then
        echo "$tags"
        echo "test-packages: lintian reports errors or warnings"
        fail=1
    else
        echo "test-packages: lintian: ${tags:-no tags}"
    fi
else
    echo "test-packages: lintian not found, packages not linted"
fi

# Waits up to 10 s for a command to succeed.
await() {
    for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
    return 1
}
walkthrough() {
    local sim_build=${BUILD_DIR:-build} w="$work/walk"
    mkdir -p "$w"
    if [[ ! -x "$sim_build/examples/kanto-cm-sim/kanto-cm-sim" ]]; then
        echo "test-packages: building the simulator for the walkthrough"
        sim_build="$work/sim-build"
        meson setup "$sim_build" "$work/src" -Dtests=false -Dman_pages=disabled >"$w/meson.log" 2>&1 &&
            ninja -C "$sim_build" examples/kanto-cm-sim/kanto-cm-sim examples/kanto-cm-sim/kanto-cm-sim-process \
                examples/kanto-cm-ctl/kanto-cm-ctl >>"$w/meson.log" 2>&1 || { tail -n 20 "$w/meson.log"; return 1; }
    fi
    local sim="$sim_build/examples/kanto-cm-sim/kanto-cm-sim" ctl="$sim_build/examples/kanto-cm-ctl/kanto-cm-ctl"
    if dpkg-query -W -f='${Status}' kanto-twin-bridge 2>/dev/null | grep -q "install ok installed"; then
        echo "test-packages: kanto-twin-bridge is already installed here; the walkthrough would replace it"
        return 1
    fi
    installed=yes
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$work"/kanto-twin-bridge_*.deb \
        "$work"/kanto-twin-bridge-tools_*.deb >"$w/apt.log" 2>&1 || { cat "$w/apt.log"; return 1; }
    # Nothing starts on installation: the integrator enables the unit.
    systemctl is-enabled kanto-twin-bridge >/dev/null 2>&1 && { echo "the unit was enabled"; return 1; }
    [[ -f /usr/share/man/man1/kanto-twin-bridge.1.gz ]] || { echo "no man page"; return 1; }

    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n' "$port" >"$w/mosquitto.conf"
    mosquitto -c "$w/mosquitto.conf" 2>"$w/mosquitto.log" & pids+=($!)
    "$sim" --socket "$w/cm.sock" --home "$w/cm-home" 2>"$w/sim.log" & pids+=($!)
    await test -S "$w/cm.sock" || { cat "$w/sim.log"; return 1; }
    local web
    web=$("$ctl" --socket "$w/cm.sock" create --name web registry.example.com/acme/web:2.3.1)
    "$ctl" --socket "$w/cm.sock" start "$web" >/dev/null
    # The device's config.json as the README has it: Kanto-CM's twin off, the bridge's on.
    cat >"$w/config.json" <<CONF
{
  "manager": {"home_dir": "$w/cm-home"},
  "grpc_server": {"address_path": "$w/cm.sock"},
  "things": {"enable": false, "home_dir": "$w/things"},
  "connection": {"broker_url": "tcp://127.0.0.1:$port"},
  "twin_bridge": {"things_enable": true}
}
CONF
    /usr/bin/kanto-twin-bridge --cfg-file "$w/config.json" 2>"$w/bridge.log" & pids+=($!)
    await grep -q "connected to the MQTT broker" "$w/bridge.log" || { cat "$w/bridge.log"; return 1; }
    kanto-twin show --cfg-file "$w/config.json" --identify --device-id dummy-namespace:dummy-gateway:dummy-device-id \
        --tenant-id dummy-tenant-id >"$w/show.json" 2>"$w/show.err" || { cat "$w/show.err" "$w/bridge.log"; return 1; }
    python3 - "$w/show.json" "$web" <<'PY' || return 1
import json, sys
thing = json.load(open(sys.argv[1]))
state = thing["features"]["Container:" + sys.argv[2]]["properties"]["status"]["state"]["status"]
assert state == "RUNNING", state
PY
    grep -q "WARN\|ERROR" "$w/bridge.log" && { echo "warnings in the bridge's log:"; cat "$w/bridge.log"; return 1; }
    # Rollback as the README says: remove the packages.
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kanto-twin-bridge kanto-twin-bridge-tools >>"$w/apt.log" 2>&1
    installed=no
    [[ ! -e /usr/bin/kanto-twin-bridge && ! -e /usr/lib/systemd/system/kanto-twin-bridge.service ]] ||
        { echo "files left after apt purge"; return 1; }
    echo "test-packages: walkthrough: installed, the installed daemon published the twin (kanto-twin show), purged"
}
if [[ $install == yes && $(id -u) -ne 0 ]]; then
    echo "test-packages: not root: the walkthrough (apt install) is skipped"
elif [[ $install == yes ]]; then
    walkthrough || { echo "test-packages: the walkthrough failed"; fail=1; }
fi

size=$(stat -c %s "$root/usr/bin/kanto-twin-bridge")
echo "test-packages: the daemon is $((size / 1024)) KiB (stripped; debug symbols in the -dbgsym package)"
[[ $fail -eq 0 ]] && echo "test-packages: OK, $(find "$root" -type f | wc -l) files"
exit $fail
