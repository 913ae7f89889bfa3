#!/usr/bin/env bash
# Runs every check and test: the L1 contracts' forge tests, formatting, clippy, unit tests and
# the end-to-end suite, which drives the real `agnt2` binary with real cast/forge/anvil (installed
# into .tools/ by install-tools.sh) and real JavaScript clients (viem, permissionless, Alto; tests/js).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh --js
if [ -z "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$HOME/.cache/agnt2/target"; fi
export PATH="$ROOT/.tools/bin:$PATH"
# The L1 contracts' forge suite (unit, fuzz, invariant; contracts/test), before the Rust build.
(cd contracts && forge test)
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The e2e tests start the node binary; build it (with every test target, so features unify and
# nothing is compiled twice) first, so its build time is not a test timeout.
cargo build --workspace --all-targets
export AGNT2_BIN="$CARGO_TARGET_DIR/debug/agnt2"
cargo test --workspace --all-targets -- --test-threads 2
# The end-to-end suite again with the sequential (reference) block builder; the runs above
# used the default, parallel one.
AGNT2_TEST_BUILDER=sequential cargo test -p agnt2-e2e --all-targets -- --test-threads 2
