#!/usr/bin/env bash
# Regenerates contracts/artifacts/l1.json: the creation bytecode of the L1 contracts that
# `agnt2 deploy` embeds (OptimismPortal, DisputeGameFactory, PermissionedOutputGame,
# SystemConfig, Multicall3), compiled with the project's solc. The e2e suite checks the file
# against a fresh build, so a contract change without a regeneration fails CI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/bin:$PATH"
OUT="${1:-$ROOT/contracts/artifacts/l1.json}"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
(cd "$ROOT/contracts" && forge build --quiet --out "$BUILD/out" --cache-path "$BUILD/cache" src/L1)
mkdir -p "$(dirname "$OUT")"
node - "$BUILD/out" "$OUT" <<'JS'
const fs = require('fs');
const [out, dest] = process.argv.slice(2);
const names = ['DisputeGameFactory', 'Multicall3', 'OptimismPortal', 'PermissionedOutputGame', 'SystemConfig'];
const artifacts = {};
for (const n of names) {
  artifacts[n] = JSON.parse(fs.readFileSync(`${out}/${n}.sol/${n}.json`)).bytecode.object;
}
fs.writeFileSync(dest, JSON.stringify(artifacts, null, 2) + '\n');
JS
echo "wrote $OUT"
