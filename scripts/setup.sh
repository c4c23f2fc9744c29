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
fi

# Test-only tools whose packages ship services: ufw and firewalld (tests/host_firewall runs them in
# private namespaces), prometheus (only promtool is used: tests/monitoring; its server would
# listen on :9090, iron-proxy's default tunnelPort) and chromium (headless, for the status page
# test). ufw installs disabled (ENABLED=no); firewalld
# and prometheus start and enable their services where systemd runs: a policy-rc.d forbids any
# start during the install and the units are disabled after, so this host's firewall and ports
# never change. Tools that were already installed are left as they are.
if [ "$WITH_TESTS" = 1 ]; then
  fw_missing=()
  for p in ufw firewalld prometheus chromium; do
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
    if [ "$made_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
    if [ -d /run/systemd/system ]; then
      for unit in firewalld prometheus; do
        if [[ " ${fw_missing[*]} " == *" $unit "* ]]; then $SUDO systemctl disable "$unit" >/dev/null 2>&1 || true; fi
      done
    fi
  fi
fi
echo "setup: all build and test dependencies are installed"
