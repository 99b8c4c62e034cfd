#!/usr/bin/env bash
# What `meson install` puts on a device, checked in a scratch root: the three programs (each answers
# --version), the systemd units, the drop-in for Kanto-CM's unit and the example configuration; and
# nothing of the simulator, its client or the tests.
set -euo pipefail
builddir=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
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
[[ $fail -eq 0 ]] && echo "check-install: $(find "$dest" -type f | wc -l) files under $prefix, as expected"
exit $fail
