#!/usr/bin/env bash
# The sans-I/O cores (kanto/, twin/, deploy/, update_agent/) speak protobuf messages, never gRPC: fails when any of their
# objects was compiled with a gRPC header (as ninja recorded the object's dependencies).
set -euo pipefail
build=${1:?usage: check-core-deps.sh BUILD_DIR}
checked=0
for dir in kanto/libkanto.a.p twin/libtwin.a.p deploy/libdeploy.a.p update_agent/libupdate_agent.a.p; do
    for obj in "$build/$dir"/*.o; do
        [[ -e $obj ]] || { echo "check-core-deps: no objects in $build/$dir: build first" >&2; exit 1; }
        rel=${obj#"$build"/}
        if ninja -C "$build" -t deps "$rel" | grep -E '(^|/)grpc(pp)?/|\.grpc\.pb\.h$' >/dev/null; then
            echo "check-core-deps: $rel includes a gRPC header:" >&2
            ninja -C "$build" -t deps "$rel" | grep -E '(^|/)grpc(pp)?/|\.grpc\.pb\.h$' | head -5 >&2
            exit 1
        fi
        checked=$((checked + 1))
    done
done
echo "check-core-deps: $checked core objects, none compiled with a gRPC header"
