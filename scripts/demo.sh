#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts a local mosquitto, the Kanto-CM
# simulator with a few containers and kanto-twin-bridge, triggers the identity like the Leda docs
# (mosquitto_pub on edge/thing/response), shows the twin, then stops a container and shows the
# re-emitted state; last, the update agent applies the Leda tutorial's desired state (one
# mosquitto_pub) and the twin follows. Everything runs under $DEMO_DIR and is stopped when the
# script ends (Ctrl-C, or right after the demo with --no-wait or CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
builddir=${BUILD_DIR:-build}
demo_dir=${DEMO_DIR:-/tmp/kanto-twin-bridge-demo}
wait_at_end=yes
[[ "${1:-}" == "--no-wait" || -n "${CI:-}" ]] && wait_at_end=no

bash scripts/install-deps.sh
[[ -f "$builddir/build.ninja" ]] || meson setup "$builddir"
# Only what the demo runs; the first build compiles gRPC's generated code and takes minutes.
[[ -f "$builddir/bridge/kanto-twin-bridge" ]] || echo "demo: first build: this takes a few minutes"
ninja -C "$builddir" bridge/kanto-twin-bridge bridge/kanto-twin examples/kanto-cm-sim/kanto-cm-sim \
    examples/kanto-cm-sim/kanto-cm-sim-process examples/kanto-cm-ctl/kanto-cm-ctl

sim="$root/$builddir/examples/kanto-cm-sim/kanto-cm-sim"
ctl="$root/$builddir/examples/kanto-cm-ctl/kanto-cm-ctl"
bridge="$root/$builddir/bridge/kanto-twin-bridge"
twin="$root/$builddir/bridge/kanto-twin"
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
# Waits (up to 10 s) until FILE has a line matching PATTERN after its first SKIP lines.
wait_for_line() {
    local file=$1 skip=$2 pattern=$3
    for _ in $(seq 100); do
        tail -n "+$((skip + 1))" "$file" | grep -q -- "$pattern" && return 0
        sleep 0.1
    done
    echo "demo: nothing matching '$pattern' in $file within 10 s" >&2
    return 1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The Leda docs use the default port; take another one if a broker already listens there. Never
# talk to a broker that is not ours: when both ports are taken, stop here.
port=${DEMO_MQTT_PORT:-1883}
if port_busy "$port"; then port=18830; fi
if port_busy "$port"; then
    echo "demo: 127.0.0.1:1883 and 127.0.0.1:18830 are both taken; set DEMO_MQTT_PORT to a free port" >&2
    exit 1
fi
mqtt_opts=()
[[ $port == 1883 ]] || mqtt_opts=(-p "$port")

step "mosquitto on 127.0.0.1:$port"
cat > "$demo_dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
user root
log_dest file $demo_dir/mosquitto.log
CONF
mosquitto -c "$demo_dir/mosquitto.conf" 2>"$demo_dir/mosquitto.err" & pids+=($!)
for _ in $(seq 50); do port_busy "$port" && break; sleep 0.1; done
port_busy "$port" || { echo "demo: mosquitto did not start:" >&2; cat "$demo_dir/mosquitto.err" "$demo_dir/mosquitto.log" >&2 2>/dev/null; exit 1; }

step "Kanto-CM simulator on $socket, with three containers"
"$sim" --socket "$socket" --home "$demo_dir/cm-home" 2>"$demo_dir/kanto-cm-sim.log" & pids+=($!)
for _ in $(seq 100); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || { echo "the simulator did not start:"; cat "$demo_dir/kanto-cm-sim.log"; exit 1; }
web=$("$ctl" --socket "$socket" create --name web-frontend --env MODE=demo registry.example.com/acme/web:2.3.1)
broker=$("$ctl" --socket "$socket" create --name databroker ghcr.io/eclipse/kuksa.val/databroker:0.2.5)
"$ctl" --socket "$socket" create --name not-started localhost:5000/app:1.0 >/dev/null
"$ctl" --socket "$socket" start "$web"
"$ctl" --socket "$socket" start "$broker"
"$ctl" --socket "$socket" list

step "kanto-twin-bridge with a Kanto-CM config.json"
cat > "$demo_dir/config.json" <<CONF
{
  "manager": {"home_dir": "$demo_dir/cm-home"},
  "grpc_server": {"address_path": "$socket"},
  "things": {"enable": false, "home_dir": "$demo_dir/things",
             "features": ["ContainerFactory", "SoftwareUpdatable", "Metrics"]},
  "connection": {"broker_url": "tcp://127.0.0.1:$port"},
  "update_agent": {"enable": false, "system_containers": ["databroker"], "auto_apply": true},
  "twin_bridge": {"things_enable": true, "update_agent_enable": true}
}
CONF
cat "$demo_dir/config.json"
"$bridge" --cfg-file "$demo_dir/config.json" 2>"$demo_dir/bridge.log" & pids+=($!)
mosquitto_sub -h 127.0.0.1 "${mqtt_opts[@]}" -t 'e/#' -v > "$demo_dir/twin.log" & pids+=($!)
mosquitto_sub -h 127.0.0.1 "${mqtt_opts[@]}" -t 'containersupdate/desiredstatefeedback' > "$demo_dir/feedback.log" & pids+=($!)
for _ in $(seq 50); do grep -q 'connected to the MQTT broker' "$demo_dir/bridge.log" && break; sleep 0.1; done

identity='{"deviceId":"dummy-namespace:dummy-gateway:dummy-device-id","tenantId":"dummy-tenant-id"}'
step "the cloud connector's identity, as in the Leda docs"
echo "mosquitto_pub${mqtt_opts[*]:+ ${mqtt_opts[*]}} -t 'edge/thing/response' -m '$identity'"
mosquitto_pub -h 127.0.0.1 "${mqtt_opts[@]}" -t 'edge/thing/response' -m "$identity"
wait_for_line "$demo_dir/twin.log" 0 '"path":"/features/Metrics"'  # the last of the burst

step "the messages published on e/dummy-tenant-id/dummy-namespace:dummy-gateway:dummy-device-id:edge:containers"
python3 scripts/show-twin.py "$demo_dir/twin.log"
seen=$(wc -l < "$demo_dir/twin.log")

thing=dummy-namespace:dummy-gateway:dummy-device-id:edge:containers
step "the twin as a Ditto thing (kanto-twin show applies those messages like Ditto would)"
"$twin" show --broker "tcp://127.0.0.1:$port" --thing "$thing" --wait 1s --identify --device-id dummy-namespace:dummy-gateway:dummy-device-id --tenant-id dummy-tenant-id \
    | head -n 60
echo "  ..."
seen=$(wc -l < "$demo_dir/twin.log")

step "stop web-frontend from the cloud side (kanto-twin call), then the re-emitted state"
echo "kanto-twin call Container:$web stop --thing $thing"
"$twin" call "Container:$web" stop --broker "tcp://127.0.0.1:$port" --thing "$thing"
wait_for_line "$demo_dir/twin.log" "$seen" '"status":"STOPPED"'
python3 scripts/show-twin.py "$demo_dir/twin.log" "$seen"

seen=$(wc -l < "$demo_dir/twin.log")

step "the update agent: the Leda tutorial's desired state (hello-world; databroker is a system container)"
echo "mosquitto_pub${mqtt_opts[*]:+ ${mqtt_opts[*]}} -t containersupdate/desiredstate -f examples/update-agent/hello-world.json"
mosquitto_pub -h 127.0.0.1 "${mqtt_opts[@]}" -t containersupdate/desiredstate -f examples/update-agent/hello-world.json
for _ in $(seq 100); do grep -q '"status":"\(COMPLETED\|INCOMPLETE\)"' "$demo_dir/feedback.log" && break; sleep 0.1; done
python3 - "$demo_dir/feedback.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    p = json.loads(line)["payload"]
    actions = ", ".join(f'{a["component"]["id"]} {a["status"]}' for a in p.get("actions", []))
    print(f'  {p["status"]:<20} {actions}')
PY
"$ctl" --socket "$socket" list
wait_for_line "$demo_dir/twin.log" "$seen" '"name":"hello-world"'
wait_for_line "$demo_dir/twin.log" "$seen" "commands/delete.*/features/Container:$web\""  # web-frontend removed
step "the twin follows"
python3 scripts/show-twin.py "$demo_dir/twin.log" "$seen"

echo
echo "Bridge log: $demo_dir/bridge.log   Twin messages: $demo_dir/twin.log   Update feedback: $demo_dir/feedback.log"
if [[ $wait_at_end == yes ]]; then
    echo "Everything keeps running; press Ctrl-C to stop. Try:"
    echo "  $ctl --socket $socket pause $broker"
    echo "  $twin watch --broker tcp://127.0.0.1:$port --thing $thing"
    echo "  $twin call ContainerFactory create '{\"imageRef\":\"nginx:1.25\",\"start\":true}' --broker tcp://127.0.0.1:$port --thing $thing"
    echo "  mosquitto_sub${mqtt_opts[*]:+ ${mqtt_opts[*]}} -t 'e/#' -v"
    wait
fi
