#!/usr/bin/env bash
# Refresh the axe-core copy the browser tests run (tests/vendor/axe-core): one pinned release from the
# npm registry, checked against the registry's integrity hash, with its licence and a SHA-256 of each file.
# Usage: scripts/vendor_axe.sh [VERSION]   (default: the version pinned in tests/vendor/axe-core/VERSION)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/tests/vendor/axe-core"
version="${1:-$(cat "$dest/VERSION" 2>/dev/null || echo 4.14.1)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
integrity="$(npm view "axe-core@$version" dist.integrity)"
tarball="$(npm pack --silent "axe-core@$version")"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "integrity mismatch for axe-core@$version: registry $integrity, download $got" >&2
  exit 1
fi
tar -xzf "$tarball"
mkdir -p "$dest"
cp package/axe.min.js "$dest/axe.min.js"
cp package/LICENSE "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "$integrity" > "$dest/INTEGRITY"
(cd "$dest" && sha256sum axe.min.js LICENSE > SHA256SUMS)
echo "axe-core $version vendored into tests/vendor/axe-core ($(npm view "axe-core@$version" license))"
