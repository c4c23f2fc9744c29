#!/usr/bin/env bash
# Packages an iron-proxy binary (normally the ironward test double) exactly like the upstream
# goreleaser release:
#   OUTROOT/v<VERSION>/iron-proxy_<VERSION>_linux_amd64.tar.gz   (iron-proxy 0755, README.md, LICENSE)
#   OUTROOT/v<VERSION>/checksums.txt                             ("<sha256>  <archive>" lines)
# The archive is deterministic for a given binary (sorted names, mtime 0, root owner, gzip -n),
# so its digest can be pinned. Prints the archive's sha256 on stdout.
#
# Usage: scripts/package-iron-proxy-release.sh BINARY VERSION OUTROOT
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 BINARY VERSION OUTROOT" >&2
  exit 2
fi
binary=$1
version=${2#v}
outroot=$3

if [[ ! -f $binary || ! -x $binary ]]; then
  echo "error: $binary is not an executable file" >&2
  exit 1
fi
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.+][0-9A-Za-z.-]+)?$ ]]; then
  echo "error: version \"$version\" is not of the form X.Y.Z" >&2
  exit 1
fi

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
release_files="$script_dir/../tests/doubles/iron-proxy/release"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$binary" "$stage/iron-proxy"
install -m 0644 "$release_files/README.md" "$stage/README.md"
install -m 0644 "$release_files/LICENSE" "$stage/LICENSE"

archive="iron-proxy_${version}_linux_amd64.tar.gz"
dest="$outroot/v$version"
mkdir -p "$dest"
LC_ALL=C tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$stage" -cf - iron-proxy README.md LICENSE | gzip -n > "$dest/$archive.tmp"
mv "$dest/$archive.tmp" "$dest/$archive"

sha=$(sha256sum "$dest/$archive" | cut -d' ' -f1)
printf '%s  %s\n' "$sha" "$archive" > "$dest/checksums.txt"
echo "$sha"
