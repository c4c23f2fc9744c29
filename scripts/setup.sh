#!/usr/bin/env bash
# Installs everything ironward needs to build and test on Debian 12 (bookworm), from Debian's
# packages only. Idempotent: packages already present are skipped. Needs root (or sudo).
#   scripts/setup.sh           build dependencies and the tools the quickstart runs
#   scripts/setup.sh --tests   also the host firewalls the test suite drives (ufw, firewalld), which
#                              are installed but never started or enabled on this host (the tests
#                              run them in private network namespaces: tests/host_firewall)
set -euo pipefail
WITH_TESTS=0
[ "${1:-}" = --tests ] && WITH_TESTS=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  # libraries (all from Debian's -dev packages)
  libyaml-cpp-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  libcpp-httplib-dev libsystemd-dev libnftables-dev libgtest-dev libgmock-dev
  # tests: schema validation, the Docker engine for container tests, networking tools
  python3 python3-jsonschema python3-yaml docker.io docker-compose iptables iproute2 nftables
  # fuzzing and sanitizers (clang + its runtimes)
  clang libclang-rt-14-dev
  # promtool for the alert rules and dashboard checks (tests/monitoring)
  prometheus
)
# Node.js + npm for the Bitwarden official-client cross-check; keep a newer node if present.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Only promtool is needed. The package also enables a Prometheus server listening on :9090, which
  # is iron-proxy's default tunnelPort: stop and disable it when this run installed it (a Prometheus
  # that was already there is left alone).
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# ufw is installed disabled (ENABLED=no). firewalld's package starts and enables its service where
# systemd runs: a policy-rc.d forbids the start during the install, and the unit is disabled after,
# so this host's firewall never changes.
if [ "$WITH_TESTS" = 1 ]; then
  fw_missing=()
  for p in ufw firewalld; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || fw_missing+=("$p")
  done
  if [ "${#fw_missing[@]}" -gt 0 ]; then
    echo "setup: installing ${fw_missing[*]} (not started, not enabled)"
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
      $SUDO chmod 755 /usr/sbin/policy-rc.d
      made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends "${fw_missing[@]}" >/dev/null ||
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${fw_missing[@]}" >/dev/null; }
    [ "$made_policy" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
    if [ -d /run/systemd/system ]; then $SUDO systemctl disable firewalld >/dev/null 2>&1 || true; fi
  fi
fi
echo "setup: all build and test dependencies are installed"
