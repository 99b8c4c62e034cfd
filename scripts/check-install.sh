#!/usr/bin/env bash
# What `meson install` puts on a device, checked in a scratch root: the three programs (each answers
# --version), the systemd units, the drop-in for Kanto-CM's unit and the example configuration; and
# nothing of the simulator, its client or the tests. The units pass systemd-analyze verify.
set -euo pipefail
builddir=$1
dest=$(mktemp -d)
units=$(mktemp -d)
trap 'rm -rf "$dest" "$units"' EXIT
meson install -C "$builddir" --destdir "$dest" --no-rebuild --quiet >/dev/null
prefix=$(meson introspect "$builddir" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root="$dest$prefix"
fail=0
for f in bin/kanto-twin-bridge bin/kanto-twin bin/kanto-auto-deployer \
    lib/systemd/system/kanto-twin-bridge.service lib/systemd/system/kanto-auto-deployer.service \
    lib/systemd/system/container-management.service.d/kanto-twin-bridge.conf \
    share/doc/kanto-twin-bridge/config.json share/doc/kanto-twin-bridge/README.md \
    share/bash-completion/completions/kanto-twin-bridge share/bash-completion/completions/kanto-twin \
    share/bash-completion/completions/kanto-auto-deployer; do
    [[ -f "$root/$f" ]] || { echo "check-install: missing $prefix/$f"; fail=1; }
done
# Man pages are built where help2man is found (not when cross-compiling).
if [[ -f "$builddir/bridge/kanto-twin-bridge.1" ]]; then
    for p in kanto-twin-bridge kanto-twin kanto-auto-deployer; do
        [[ -s "$root/share/man/man1/$p.1" ]] || { echo "check-install: missing the man page of $p"; fail=1; }
    done
fi
for p in kanto-twin-bridge kanto-twin kanto-auto-deployer; do
    [[ -x "$root/bin/$p" ]] && "$root/bin/$p" --version | grep -q "^$p " ||
        { echo "check-install: $p --version does not answer"; fail=1; }
done
extra=$(find "$dest" -type f \( -name 'kanto-cm-*' -o -name '*test*' -o -name 'bench-*' -o -name 'fuzz-*' \) | sed "s|^$dest||")
[[ -z "$extra" ]] || { echo "check-install: development files installed: $extra"; fail=1; }
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$root/share/doc/kanto-twin-bridge/config.json" ||
    { echo "check-install: the example configuration is not valid JSON"; fail=1; }
# systemd-analyze verify on the installed units: the programs at their installed paths, Kanto-CM
# and mosquitto as stand-in units (their programs are not here), the man pages from the scratch root.
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$units/container-management.service.d"
    for u in kanto-twin-bridge kanto-auto-deployer; do
        sed "s|^ExecStart=/usr/bin/|ExecStart=$root/bin/|" "$root/lib/systemd/system/$u.service" >"$units/$u.service"
    done
    sed "s|^ExecStart=/usr/bin/container-management |ExecStart=/bin/true |" \
        "$root/lib/systemd/system/container-management.service.d/kanto-twin-bridge.conf" \
        >"$units/container-management.service.d/kanto-twin-bridge.conf"
    for s in container-management mosquitto; do
        printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n' >"$units/$s.service"
    done
    man=(--man=no)
    [[ -s "$root/share/man/man1/kanto-twin-bridge.1" ]] && man=(--man=yes)
    if ! out=$(SYSTEMD_UNIT_PATH="$units:" MANPATH="$root/share/man" systemd-analyze verify "${man[@]}" \
        "$units/kanto-twin-bridge.service" "$units/kanto-auto-deployer.service" \
        "$units/container-management.service" 2>&1) || [[ -n "$out" ]]; then
        echo "check-install: systemd-analyze verify: $out"
        fail=1
    fi
else
    echo "check-install: systemd-analyze not found, units not verified"
fi
[[ $fail -eq 0 ]] && echo "check-install: $(find "$dest" -type f | wc -l) files under $prefix, as expected"
exit $fail
