import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { kubeObjects, type Registration, unsecret } from "./mocks";
import { haveStrimziCrds, isStrimzi, NEEDS_STRIMZI, validateManifest } from "./schemas";
import { skipTest } from "./skip";

/** The InputPropertiesError thrown by `build`, or a failed expectation. */
export function thrown(build: () => unknown): pulumi.InputPropertiesError {
  try {
    build();
  } catch (err) {
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    return err as pulumi.InputPropertiesError;
  }
  throw new Error("expected an InputPropertiesError");
}

/** The `reason`s of an InputPropertiesError, in order. */
export function reasons(err: pulumi.InputPropertiesError): string[] {
  return err.errors!.map((e) => e.reason);
}

/**
 * Every Kubernetes object the mocks saw validates against its schema (built-in
 * or upstream CRD). Strimzi's objects need its CRDs, which only an explicit
 * SWITCHYARD_STRIMZI_CRDS_DIR provides: without them every other object is
 * still validated, then the test is skipped with that reason (so call this
 * last in a test).
 */
export async function expectValidManifests(regs: readonly Registration[]): Promise<number> {
  const objects = kubeObjects(regs);
  let unchecked = 0;
  for (const r of objects) {
    const m = unsecret(r.inputs);
    if (isStrimzi(m) && !haveStrimziCrds()) {
      unchecked++;
      continue;
    }
    const errors = await validateManifest(m);
    expect({ object: `${m.kind} ${r.name}`, errors }).toEqual({ object: `${m.kind} ${r.name}`, errors: [] });
  }
  if (unchecked > 0) skipTest(NEEDS_STRIMZI);
  return objects.length;
}
