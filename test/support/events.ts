import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { kubeObjects, type Registration, unsecret } from "./mocks";
import { validateManifest } from "./schemas";

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

/** Every Kubernetes object the mocks saw validates against its schema (built-in or upstream CRD). */
export async function expectValidManifests(regs: readonly Registration[]): Promise<number> {
  const objects = kubeObjects(regs);
  for (const r of objects) {
    const m = unsecret(r.inputs);
    const errors = await validateManifest(m);
    expect({ object: `${m.kind} ${r.name}`, errors }).toEqual({ object: `${m.kind} ${r.name}`, errors: [] });
  }
  return objects.length;
}
