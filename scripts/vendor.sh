#!/usr/bin/env bash
# Copies the built front-end libraries from node_modules/ into webapp/static/vendor/ (committed: the app
# then works offline and a fresh clone needs no npm). Run after changing package.json: bash scripts/vendor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/cytoscape ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
dest=webapp/static/vendor
mkdir -p "$dest"
cp node_modules/cytoscape/dist/cytoscape.min.js "$dest/cytoscape.min.js"
cp node_modules/cytoscape/LICENSE "$dest/cytoscape.LICENSE"
version=$(node -p "require('./node_modules/cytoscape/package.json').version")
printf 'cytoscape %s (MIT) from the npm registry; copied by scripts/vendor.sh\n' "$version" > "$dest/VERSIONS.txt"
echo "vendored cytoscape $version → $dest"
