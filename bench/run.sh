#!/usr/bin/env bash
# npm run bench [-- --quick | --only=mocks,engine,deploy,render,registration,grouped,runtime | --rounds=R | --out=DIR]
# Builds the package (dist/, if lib/ changed) and the benchmark, sets up the
# offline Pulumi environment (state in .switchyard-bench/, apart from the
# tests' .switchyard/), then runs bench/run.ts, which starts the clusters its
# parts need and stops those it started: a control plane with fake nodes only
# for engine and deploy (SWITCHYARD_REAL_NODES=0, as in every earlier result:
# the bench's made-up images cannot run), one with real nodes for runtime
# (SWITCHYARD_REAL_NODES=2, state in .switchyard-bench/runtime/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export SWITCHYARD_STATE="${SWITCHYARD_BENCH_STATE:-$root/.switchyard-bench}"
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
