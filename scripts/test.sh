#!/usr/bin/env bash
# The one command that runs every test tier (README: `npm test`):
#   typecheck, lint, the unit tier (mocks + schemas), then the end-to-end tier
#   (real Pulumi engine + local Kubernetes control plane, built on first use).
# Ends with one line: "N passed, N failed, N skipped" summed over all tiers;
# when tests were skipped, the line ends with their reasons in brackets
# ("(6 needs Strimzi's Kafka CRDs, ...)").
# Options: --unit (unit tier only), --e2e (e2e tier only).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tiers=(unit e2e)
case "${1:-}" in
  --unit) tiers=(unit) ;;
  --e2e) tiers=(e2e) ;;
esac

[ -d node_modules/@pulumi/pulumi ] || npm install --no-audit --no-fund
# The upstream CRDs the schema tests and the cluster use, at pinned versions
# (fetched once from the operators' Go modules; warm: milliseconds).
bash scripts/toolchain/fetch-crds.sh >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
out="$root/.switchyard/test-results"
rm -rf "$out" && mkdir -p "$out"
status=0
extra_failed=0

step() { # step NAME CMD... : a check that counts as one test
  if "${@:2}"; then echo "$1" >>"$out/checks-passed"; else echo "$1" >>"$out/checks-failed"; status=1; fi
}
if [ "${tiers[0]}" = unit ]; then
  step typecheck npm run --silent typecheck
  step lint npm run --silent lint
  # The reference application (Go): vet and its unit tests.
  step reference-app bash -c 'cd examples/app && GOTOOLCHAIN=local CGO_ENABLED=0 go vet ./... && GOTOOLCHAIN=local CGO_ENABLED=0 go test ./...'
  step single-pulumi-sdk bash -c '[ "$(npm ls @pulumi/pulumi --all --parseable 2>/dev/null | sort -u | wc -l)" = 1 ]'
fi
for tier in "${tiers[@]}"; do
  rc=0
  npx vitest run --project "$tier" --reporter=default --reporter=json --outputFile.json="$out/$tier.json" || rc=$?
  [ "$rc" = 0 ] || status=1
  if [ ! -s "$out/$tier.json" ]; then
    echo "switchyard: the $tier tier produced no report" >&2
    extra_failed=$((extra_failed + 1))
  elif [ "$rc" != 0 ] && node -e 'const r=require(process.argv[1]); process.exit(r.numFailedTests > 0 || r.testResults.some((x) => x.status === "failed") ? 1 : 0)' "$out/$tier.json"; then
    # The runner failed outside any test (e.g. the e2e setup could not start the cluster).
    echo "switchyard: the $tier tier failed outside its tests (exit $rc)" >&2
    extra_failed=$((extra_failed + 1))
  fi
done

node -e '
const fs = require("fs"); const dir = process.argv[1];
let p = 0, f = Number(process.argv[2]), s = 0;
const reasons = new Map(); // why -> skipped tests
for (const t of ["unit", "e2e"]) {
  const file = `${dir}/${t}.json`;
  if (!fs.existsSync(file)) continue;
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + r.numTodoTests;
  // A suite that failed to load counts as a failure even with no test in it.
  f += r.testResults.filter((x) => x.status === "failed" && x.assertionResults.length === 0).length;
  for (const x of r.testResults) for (const a of x.assertionResults) {
    if (a.status !== "skipped" && a.status !== "pending" && a.status !== "todo") continue;
    const why = a.meta?.skipReason ?? "no reason given";
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
}
const lines = (n) => fs.existsSync(`${dir}/${n}`) ? fs.readFileSync(`${dir}/${n}`, "utf8").trim().split("\n").filter(Boolean).length : 0;
p += lines("checks-passed"); f += lines("checks-failed");
// Skipped tests are counted by the reason they recorded (test/support/skip.ts), in the summary line.
const why = [...reasons].map(([r, n]) => `${n} ${r}`).join("; ");
console.log(`${p} passed, ${f} failed, ${s} skipped` + (s > 0 ? ` (${why})` : ""));
' "$out" "$extra_failed"
exit $status
