#!/usr/bin/env bash
# Builds the Debian packages from a clean clone of this repository's HEAD (dpkg-buildpackage -b),
# unpacks them into a scratch root and checks their content: the programs (each answers
# --version), the units, the drop-in, the man pages, bash completion, the example configuration and
# the copyright; and nothing of the simulator or the tests. lintian checks them too. Needs the build dependencies of
# debian/control (scripts/install-deps.sh installs them) and debhelper.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
if ! dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "install ok installed"; then
    apt-get install -y -qq --no-install-recommends debhelper dpkg-dev fakeroot >/dev/null
fi
if ! command -v lintian >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
size=$(stat -c %s "$root/usr/bin/kanto-twin-bridge")
echo "test-packages: the daemon is $((size / 1024)) KiB (stripped; debug symbols in the -dbgsym package)"
[[ $fail -eq 0 ]] && echo "test-packages: OK, $(find "$root" -type f | wc -l) files"
exit $fail
