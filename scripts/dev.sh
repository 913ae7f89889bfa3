#!/usr/bin/env bash
# Builds agnt2 (if needed) and runs the whole devnet: anvil as L1 (port 8546), the L1 contracts
# deployed, the sequencer and the proposer, the 10 dev accounts funded on both layers, L2 RPC on
# 127.0.0.1:8545 (http + ws); .devnet/devnet.json lists the endpoints and addresses. Extra
# arguments go to `agnt2 devnet`. For a chain without an L1, run `agnt2 node --dev`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install-tools.sh"
if [ -z "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$HOME/.cache/agnt2/target"; fi
export PATH="$ROOT/.tools/bin:$PATH"
cd "$ROOT"
cargo build --release -p agnt2-node
exec "$CARGO_TARGET_DIR/release/agnt2" devnet "$@"
