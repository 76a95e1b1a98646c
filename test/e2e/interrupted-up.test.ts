import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { getJson, labelled } from "./support/kube";
import { ROOT, changes, exampleStack } from "./support/stack";

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);

function backendDir(): string {
  const url = process.env.PULUMI_BACKEND_URL ?? "";
  expect(url).toMatch(/^file:\/\/.*[?&]metadata=skip(&|$)/);
  return url.slice("file://".length).split("?")[0]!;
}

function sidecars(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".attrs"));
}

/** Every live descendant of a process (the CLI's plugins run in their own process groups). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const [p, pp] of parentOf) {
      if (pp !== cur) continue;
      out.push(p);
      queue.push(p);
    }
  }
  return out;
}

/**
 * Runs `pulumi up` on the example and, once Deployments are being created, kills
 * the CLI and everything it started (language host, providers) at once, as a
 * crash would.
 */
function killMidDeploy(stackName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stackName], {
      cwd: ROOT,
      env: process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let killed = false;
    const onData = (b: Buffer) => {
      out += b.toString();
      if (!killed && /Deployment\s+\S+\s+creating/.test(out)) {
        killed = true;
        const all = [child.pid!, ...descendants(child.pid!)];
        for (const p of all) {
          try {
            process.kill(p, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => (killed ? resolve(out) : reject(new Error(`pulumi up ended before it could be killed:\n${out}`))));
  });
}

describe("an up killed mid-deploy, then a new up", () => {
  let stack: Stack;
  afterAll(async () => {
    if (!stack) return;
    // A failure right after the kill leaves the dead CLI's lock behind.
    await stack.cancel().catch(() => undefined);
    await stack.destroy({ onOutput: log }).catch(() => undefined);
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
  });

  it("converges: the new up succeeds, a preview shows no changes, and destroy leaves nothing", async () => {
    stack = await exampleStack();
    await stack.setConfig("namespace", { value: stack.name });
    const out = await killMidDeploy(stack.name);
    log(out);
    // The backend writes no `.attrs` sidecars (metadata=skip): those are truncated in place, and a
    // kill at that moment made every later command fail with "failed to load checkpoint: EOF".
    expect(sidecars(backendDir()).filter((f) => f.includes(stack.name))).toEqual([]);
    // A killed CLI cannot release its lock on the backend; `pulumi cancel` is the documented way.
    await expect(stack.up({ onOutput: log })).rejects.toThrow(/currently locked/);
    await stack.cancel();
    const res = await stack.up({ onOutput: log });
    expect(res.summary.result).toBe("succeeded");
    const ns = res.outputs.namespaceName!.value;
    // Exactly one Deployment per service: nothing was created twice.
    const deployments = getJson(["get", "deployments", "-n", ns]).items.map((d: any) => d.metadata.labels["app.kubernetes.io/name"]);
    expect(deployments.sort()).toEqual(["catalog", "checkout", "fulfillment", "web"]);
    expect(changes((await stack.preview({ onOutput: log })).changeSummary)).toEqual({});
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service in (catalog,checkout,web,fulfillment,order-relay)")).toEqual([]);
  });
});
