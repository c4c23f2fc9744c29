#!/bin/bash
# Builds the offline sandbox test image (reference Recipe A) and imports it into the engine at
# $DOCKER_HOST (default unix:///var/run/docker.sock):  build-test-image.sh [IMAGE]
#
# Contents: the host's curl, sh, bash (bash's /dev/tcp gives raw TCP), sleep, cat, env, ls, id, timeout,
# grep, head, echo, touch, rm, mkdir, true, nc (when netcat-openbsd is installed), their shared
# libraries and the CA bundle. No registry or network access needed.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive
IMG=${1:-ironward/test-sandbox:1}
log() { echo "build-test-image: $*" >&2; }

# Debian packages that provide the binaries; installed only when something is missing.
missing=()
command -v curl >/dev/null || missing+=(curl)
[ -d /etc/ssl/certs ] && [ -n "$(ls /etc/ssl/certs 2>/dev/null)" ] || missing+=(ca-certificates)
command -v docker >/dev/null || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends "${missing[@]}" </dev/null >/dev/null ||
    { apt-get update -q -o DPkg::Lock::Timeout=120 </dev/null >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends "${missing[@]}" </dev/null >/dev/null; }
fi

R=$(mktemp -d /tmp/ironward-test-image.XXXXXX)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/{bin,etc,tmp,proc,sys,dev,usr/lib/ssl}
chmod 1777 "$R/tmp"

add_binary() {  # copy a binary and every library (and the ELF loader) it needs, at the same paths
  local b=$1 l
  cp -L "$b" "$R/bin/$(basename "$b")"
  for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$R$l" ] || { mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; }
  done
}
for name in curl sh bash sleep cat env ls id timeout grep head echo touch rm mkdir true; do
  path=$(PATH=/usr/bin:/bin type -P "$name") || { log "error: $name not found on the host"; exit 1; }
  add_binary "$path"
done
if nc_path=$(command -v nc); then
  real=$(readlink -f "$nc_path"); add_binary "$real"
  [ "$(basename "$real")" = nc ] || mv "$R/bin/$(basename "$real")" "$R/bin/nc"
fi

mkdir -p "$R/etc/ssl"
cp -rL /etc/ssl/certs "$R/etc/ssl/certs"
ln -s /etc/ssl/certs "$R/usr/lib/ssl/certs"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"   # /etc/hosts first (host.docker.internal)
echo 'root:x:0:0:root:/:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"

tar -C "$R" -c . | docker import -c 'ENV PATH=/bin:/usr/bin' -c 'CMD ["/bin/sh"]' - "$IMG" >/dev/null
log "imported $IMG"
