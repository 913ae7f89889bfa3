#!/usr/bin/env bash
# Installs what agnt2's build and tests need, into the project-local .tools/ folder:
#   - libclang-dev (apt) for mdbx-sys bindgen, when missing;
#   - anvil, forge, cast (npm @foundry-rs/*-linux-amd64, pinned);
#   - the Solidity compiler (npm solc, pinned) behind .tools/bin/solc, a wrapper that
#     speaks native solc's `--version` and `--standard-json` so `forge build --use` works offline;
#   - with --js, the JavaScript clients the e2e tests drive (viem, permissionless, the Alto
#     bundler), from tests/js/package-lock.json into tests/js/node_modules.
# Idempotent: re-running it only installs what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
FOUNDRY_VERSION="1.7.1"
SOLC_VERSION="0.8.37"

if ! dpkg -s libclang-dev >/dev/null 2>&1; then
  echo "installing libclang-dev (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libclang-dev >/dev/null
fi

mkdir -p "$TOOLS/bin" "$TOOLS/npm"
want="anvil@$FOUNDRY_VERSION forge@$FOUNDRY_VERSION cast@$FOUNDRY_VERSION solc@$SOLC_VERSION"
if [ "$(cat "$TOOLS/npm/.installed" 2>/dev/null)" != "$want" ]; then
  echo "installing foundry $FOUNDRY_VERSION and solc $SOLC_VERSION (npm) into $TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/npm" \
    "@foundry-rs/anvil-linux-amd64@$FOUNDRY_VERSION" \
    "@foundry-rs/forge-linux-amd64@$FOUNDRY_VERSION" \
    "@foundry-rs/cast-linux-amd64@$FOUNDRY_VERSION" \
    "solc@$SOLC_VERSION" >/dev/null
  echo "$want" > "$TOOLS/npm/.installed"
fi
for t in anvil forge cast; do
  bin="$(find "$TOOLS/npm/node_modules/@foundry-rs/$t-linux-amd64" -type f -name "$t" | head -n1)"
  chmod +x "$bin"
  ln -sf "$bin" "$TOOLS/bin/$t"
done
cp "$ROOT/scripts/solc-wrapper.js" "$TOOLS/bin/solc-wrapper.js"
cat > "$TOOLS/bin/solc" <<WRAP
#!/usr/bin/env bash
NODE_PATH="$TOOLS/npm/node_modules" exec node "$TOOLS/bin/solc-wrapper.js" "\$@"
WRAP
chmod +x "$TOOLS/bin/solc"
"$TOOLS/bin/solc" --version | tail -n1

[ "${1:-}" = "--js" ] || exit 0
JS="$ROOT/tests/js"
lock="$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$JS/node_modules/.agnt2-lock" 2>/dev/null)" != "$lock" ]; then
  echo "installing the JavaScript test clients (npm ci) into tests/js/node_modules"
  (cd "$JS" && npm ci --silent --no-audit --no-fund >/dev/null)
  echo "$lock" > "$JS/node_modules/.agnt2-lock"
fi
