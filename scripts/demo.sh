#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts a local mosquitto and the Kanto-CM
# simulator, creates two demo containers and lists them. Everything runs under $DEMO_DIR and is
# stopped when the script ends (Ctrl-C, or after the demo with --no-wait).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
builddir=${BUILD_DIR:-build}
demo_dir=${DEMO_DIR:-/tmp/kanto-twin-bridge-demo}
port=${DEMO_MQTT_PORT:-18830}
wait_at_end=yes
[[ "${1:-}" == "--no-wait" || -n "${CI:-}" ]] && wait_at_end=no

bash scripts/install-deps.sh
[[ -f "$builddir/build.ninja" ]] || meson setup "$builddir"
ninja -C "$builddir"

sim="$root/$builddir/examples/kanto-cm-sim/kanto-cm-sim"
ctl="$root/$builddir/examples/kanto-cm-ctl/kanto-cm-ctl"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
socket="$demo_dir/container-management.sock"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "mosquitto on 127.0.0.1:$port"
cat > "$demo_dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
user root
log_dest file $demo_dir/mosquitto.log
CONF
mosquitto -c "$demo_dir/mosquitto.conf" & pids+=($!)

step "Kanto-CM simulator on $socket"
"$sim" --socket "$socket" --home "$demo_dir/cm-home" 2>"$demo_dir/kanto-cm-sim.log" & pids+=($!)
for _ in $(seq 100); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || { echo "the simulator did not start:"; cat "$demo_dir/kanto-cm-sim.log"; exit 1; }

step "create two demo containers (one started)"
web=$("$ctl" --socket "$socket" create --name web-frontend --env MODE=demo registry.example.com/acme/web:2.3.1)
"$ctl" --socket "$socket" start "$web"
"$ctl" --socket "$socket" create --name databroker ghcr.io/eclipse/kuksa.val/databroker:0.2.5 >/dev/null

step "containers as Kanto-CM reports them (gRPC List)"
"$ctl" --socket "$socket" list

echo
echo "Logs and state: $demo_dir"
if [[ $wait_at_end == yes ]]; then
    echo "Everything keeps running; press Ctrl-C to stop. Try: $ctl --socket $socket list"
    wait
fi
