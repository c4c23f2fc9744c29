#!/usr/bin/env bash
# Installs everything ironward needs to build and test on Debian 12 (bookworm), from Debian's
# packages only. Idempotent: packages already present are skipped. Needs root (or sudo).
set -euo pipefail

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
  # the status page test renders `ironward run`'s page in a real headless browser
  chromium
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
echo "setup: all build and test dependencies are installed"
