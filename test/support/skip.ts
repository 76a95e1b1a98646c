import { getCurrentTest } from "vitest/suite";

/**
 * Skips the running test and records why in its `meta.skipReason`, which the
 * JSON report keeps: `scripts/test.sh` counts skipped tests by that reason in
 * its summary line. A test skipped without a reason is reported as such.
 */
export function skipTest(reason: string): never {
  const test = getCurrentTest();
  if (!test) throw new Error(`skipTest("${reason}") called outside a running test`);
  (test.meta as { skipReason?: string }).skipReason = reason;
  return test.context.skip(reason);
}
