#!/usr/bin/env bash
# Refreshes the copy of Swagger UI that GET /docs serves from the binary:
# the pinned version of the swagger-ui-dist package from the npm registry,
# its bundle, stylesheet and licence. Raise the version here, run it, and
# commit what changed in api/swagger-ui/.
set -euo pipefail
version=5.35.0
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf "swagger-ui-dist-$version.tgz")
for f in swagger-ui-bundle.js swagger-ui.css LICENSE; do
  cp "$tmp/package/$f" swagger-ui/
done
echo "$version" > swagger-ui/VERSION
echo "Swagger UI $version is in api/swagger-ui/"
