#!/usr/bin/env bash
# Installs every Debian package kanto-twin-bridge needs to build, test and run its demo.
# Idempotent: runs `apt-get update` and `apt-get install` only when something is missing.
set -euo pipefail

packages=(
    build-essential meson ninja-build pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
    libpaho-mqtt-dev libssl-dev openssl
    libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
    libspdlog-dev libfmt-dev doctest-dev libsystemd-dev
    mosquitto mosquitto-clients
    python3 python3-jsonschema
    clang-format clang git help2man systemd
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or install them yourself) and retry" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The mosquitto package starts a system broker on :1883; the project starts its own brokers.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    systemctl stop mosquitto || true
fi
