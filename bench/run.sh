#!/usr/bin/env bash
# npm run bench [-- --quick | --only=mocks,engine,deploy,render | --rounds=R | --out=DIR]
# Builds the package (dist/, if lib/ changed) and the benchmark, sets up the
# offline Pulumi environment and a control plane of its own (state in
# .switchyard-bench/, apart from the tests' .switchyard/), then runs
# bench/run.ts. A control plane the run started is stopped at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export SWITCHYARD_STATE="${SWITCHYARD_BENCH_STATE:-$root/.switchyard-bench}"
# The deploy figures are of the control plane and fake nodes (the bench's
# made-up images cannot run), as in every earlier result.
export SWITCHYARD_REAL_NODES="${SWITCHYARD_REAL_NODES:-0}"
mkdir -p "$SWITCHYARD_STATE"

[ -d node_modules/@pulumi/pulumi ] || npm install --no-audit --no-fund
if [ ! -f dist/index.js ] || [ -n "$(find lib -name '*.ts' -newer dist/index.js -print -quit)" ]; then
  echo "[bench] building dist/ (the programs import @switchyard/pulumi from it)" >&2
  npm run --silent build
fi
rm -rf "$SWITCHYARD_STATE/build"
npx --no-install tsc -p bench/tsconfig.json

# shellcheck source=../scripts/toolchain/pulumi-env.sh
. scripts/toolchain/pulumi-env.sh
# shellcheck source=../scripts/cluster/env.sh
. scripts/cluster/env.sh 2>/dev/null
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
exec node "$SWITCHYARD_STATE/build/run.js" "$@"
