#!/usr/bin/env bash
# Builds the .deb from a configured and built ironward build directory and checks it.
# Usage: tests/packaging/deb_test.sh BUILD_DIR
set -euo pipefail
B=$(cd "$1" && pwd)
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null || { echo "SKIP: cpack or dpkg-deb missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$B" && cpack -G DEB -B "$T/out" >"$T/cpack.log" 2>&1) || { cat "$T/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(find "$T/out" -maxdepth 1 -name 'ironward_*.deb' | head -1)
[ -n "$deb" ] || fail "no ironward_*.deb in $T/out"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ironward ./usr/lib/systemd/system/ironward.service ./usr/share/doc/ironward/run.md \
         ./usr/share/doc/ironward/examples/minimal.yaml ./usr/share/bash-completion/completions/ironward \
         ./usr/share/zsh/vendor-completions/_ironward ./usr/share/ironward/grafana-dashboard.json \
         ./usr/share/ironward/prometheus-rules.yaml ./usr/share/doc/ironward/observability.md \
         ./usr/lib/ironward/ironward-http.so; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
grep -q ' ./usr/bin/ironward$' <<<"$(grep '^-rwxr-xr-x' <<<"$contents")" || fail "usr/bin/ironward is not 0755"
# Test doubles never ship: production must not know they exist.
if grep -qiE 'double|iron-proxy_' <<<"$contents"; then fail "a test double is in the package"; fi

control=$(dpkg-deb -f "$deb")
grep -q '^Package: ironward$' <<<"$control" || fail "Package field"
grep -q '^Version: ' <<<"$control" || fail "Version field"
deps=$(dpkg-deb -f "$deb" Depends)
# libssl3 (libcrypto) from shlibdeps; libcurl4, libnftables1 and libsystemd0 are opened with dlopen
# on first use (reconcilers/io/lazy_library.h), named by packaging/cpack.cmake. yaml-cpp is linked
# statically when libyaml-cpp.a exists (CMakeLists.txt), so it is not required here.
# libcpp-httplib from shlibdeps on the run endpoint's module (controller/run/endpoint_server.h).
for lib in libssl3 libcurl4 libnftables1 libsystemd0 libcpp-httplib; do
  grep -q "$lib" <<<"$deps" || fail "Depends lacks $lib: $deps"
done
dpkg-deb -e "$deb" "$T/control"
for s in postinst prerm postrm; do
  [ -x "$T/control/$s" ] || fail "maintainer script $s missing or not executable"
  sh -n "$T/control/$s" || fail "$s is not valid sh"
done
grep -q 'ironward --state-dir /var/lib/ironward down -f /etc/ironward/gateway.yaml' "$T/control/prerm" ||
  fail "prerm does not tear the gateway down on remove"

dpkg-deb -x "$deb" "$T/root"
ver=$("$T/root/usr/bin/ironward" --version)
# Start-up (issue #18): none of the libraries opened on first use is loaded by the binary itself.
needed=$(objdump -p "$T/root/usr/bin/ironward" | awk '/NEEDED/ {print $2}')
if grep -E 'libcurl|libnftables|libsystemd|libcpp-httplib' <<<"$needed"; then fail "the binary links a library it should open on first use"; fi
# The run endpoint's module is found where the package puts it: /usr/bin/../lib/ironward.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -m 700 "$T/state"
"$T/root/usr/bin/ironward" --state-dir "$T/state" run -f "$T/root/usr/share/doc/ironward/examples/minimal.yaml" \
  --metrics-addr "127.0.0.1:$port" >"$T/run.log" 2>&1 &
run_pid=$!
live=""
for _ in $(seq 100); do
  live=$(curl -sf "http://127.0.0.1:$port/livez" 2>/dev/null) && break
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$run_pid" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
[ "$live" = ok ] || { cat "$T/run.log" >&2; fail "the packaged 'ironward run --metrics-addr' did not serve /livez"; }
want=$(dpkg-deb -f "$deb" Version)
grep -qF "${want%%-*}" <<<"$ver" || fail "ironward --version says '$ver', the package is $want"
grep -q '^Type=notify$' "$T/root/usr/lib/systemd/system/ironward.service" || fail "unit is not Type=notify"
bash -n "$T/root/usr/share/bash-completion/completions/ironward" || fail "bash completion does not parse"
grep -q 'reconcile' "$T/root/usr/share/bash-completion/completions/ironward" || fail "bash completion lacks the commands"
grep -q '^#compdef ironward' "$T/root/usr/share/zsh/vendor-completions/_ironward" || fail "zsh completion header"
# The dashboard and rules ship as they are in packaging/ (tests/monitoring checks those), world-readable.
for f in grafana-dashboard.json prometheus-rules.yaml; do
  cmp -s "$T/root/usr/share/ironward/$f" "$(dirname "$0")/../../packaging/$f" || fail "/usr/share/ironward/$f differs from packaging/$f"
  [ "$(stat -c %a "$T/root/usr/share/ironward/$f")" = 644 ] || fail "/usr/share/ironward/$f is not 0644"
done
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/root/usr/share/ironward/grafana-dashboard.json" ||
  fail "the packaged dashboard is not JSON"
if command -v promtool >/dev/null 2>&1; then
  promtool check rules "$T/root/usr/share/ironward/prometheus-rules.yaml" >/dev/null || fail "promtool rejects the packaged rules"
fi
grep -q 'observability.md#ironwardproxydown' "$T/root/usr/share/ironward/prometheus-rules.yaml" &&
  grep -q '^### IronwardProxyDown' "$T/root/usr/share/doc/ironward/observability.md" || fail "the rules' runbook doc is missing"
grep -q '^ExecStart=/usr/bin/ironward ' "$T/root/usr/lib/systemd/system/ironward.service" || fail "ExecStart path"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Only the unit's own syntax: the binary path is checked against the extracted copy's.
  sed "s|/usr/bin/ironward|$T/root/usr/bin/ironward|" "$T/root/usr/lib/systemd/system/ironward.service" >"$T/ironward.service"
  out=$(systemd-analyze verify "$T/ironward.service" 2>&1 || true)
  if grep -iE 'unknown (key|lvalue)|invalid|failed to parse' <<<"$out"; then fail "systemd-analyze: $out"; fi  # With the fleet drop-in of examples/gitops (its %H picks the host's file) on top.
  mkdir "$T/units" "$T/units/ironward.service.d"
  cp "$T/ironward.service" "$T/units/"
  sed "s|/usr/bin/ironward|$T/root/usr/bin/ironward|" "$T/root/usr/share/doc/ironward/examples/gitops/ironward-gitops.conf" \
    >"$T/units/ironward.service.d/gitops.conf"
  out=$(SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify "$T/units/ironward.service" 2>&1 || true)
  if grep -iE 'unknown (key|lvalue)|invalid|failed to|specifier' <<<"$out"; then fail "systemd-analyze (gitops drop-in): $out"; fi
fi
echo "deb: all checks passed"
