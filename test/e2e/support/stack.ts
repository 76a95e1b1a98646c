import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { LocalWorkspace, type OpMap, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";

export const ROOT = join(__dirname, "..", "..", "..");

/** A uniquely named stack of an inline program, on the local file backend. */
export async function inlineStack(project: string, program: PulumiFn): Promise<Stack> {
  const stackName = `e2e-${randomBytes(3).toString("hex")}`;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: project, program },
    { envVars: envVars(), projectSettings: { name: project, runtime: "nodejs" } },
  );
  return stack;
}

/** A uniquely named stack of the example project at the repository root. */
export async function exampleStack(): Promise<Stack> {
  const stackName = `e2e-example-${randomBytes(3).toString("hex")}`;
  return LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT }, { envVars: envVars() });
}

function envVars(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Operation counts excluding "same". */
export function changes(summary: OpMap | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(summary ?? {})) if (op !== "same" && n) out[op] = n;
  return out;
}
