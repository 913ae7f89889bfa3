#!/usr/bin/env bash
# Builds agnt2 (if needed) and runs the embedded dev chain: genesis/dev.json, the 10 funded dev
# accounts, RPC on 127.0.0.1:8545 (http + ws). Extra arguments go to `agnt2 node`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install-tools.sh"
if [ -z "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$HOME/.cache/agnt2/target"; fi
cd "$ROOT"
cargo build --release -p agnt2-node
exec "$CARGO_TARGET_DIR/release/agnt2" node --dev "$@"
