import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { LocalWorkspace, type OpMap, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";

export const ROOT = join(__dirname, "..", "..", "..");

/** A uniquely named stack of an inline program, on the local file backend (or the stack `stackName`, selected with this program). */
export async function inlineStack(project: string, program: PulumiFn, stackName = `e2e-${randomBytes(3).toString("hex")}`): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: project, program },
    { envVars: envVars(), projectSettings: { name: project, runtime: "nodejs" } },
  );
  return stack;
}

/** A uniquely named stack of the example project at the repository root. */
export async function exampleStack(): Promise<Stack> {
  const stackName = `e2e-example-${randomBytes(3).toString("hex")}`;
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT }, { envVars: envVars() });
  // The reference application's image, built and imported into the real nodes by cluster:up.
  const image = process.env.SWITCHYARD_APP_IMAGE;
  if (!image) throw new Error("SWITCHYARD_APP_IMAGE is not set: scripts/e2e/prepare.sh exports it");
  await stack.setConfig("image", { value: image });
  return stack;
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

/**
 * The stack's state as `pulumi stack export` writes it (secrets encrypted).
 * The Automation API's `exportStack()` decrypts secrets, so it cannot show leaks.
 */
export function exportState(stack: Stack): string {
  return execFileSync("pulumi", ["stack", "export", "--stack", stack.name], {
    cwd: stack.workspace.workDir,
    env: process.env,
    maxBuffer: 256 * 1024 * 1024,
  }).toString("utf8");
}

/** Every string in a value that contains `needle` (or its base64), with its path. */
export function leaks(state: string, needle: string): string[] {
  const forms = [needle, Buffer.from(needle).toString("base64")];
  const found: string[] = [];
  const walk = (o: unknown, path: string): void => {
    if (o && typeof o === "object") for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
    else if (typeof o === "string" && forms.some((f) => o.includes(f))) found.push(path);
  };
  walk(JSON.parse(state), "$");
  return found;
}
