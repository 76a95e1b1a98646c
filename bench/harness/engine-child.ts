/**
 * One operation of the real Pulumi engine (Automation API, inline program,
 * local file backend), in a fresh process:
 *   node engine-child.js <switchyard|handwritten|grouped> <services> <op> <stack> <namespace> [renderDir]
 * op: preview | up | destroy | depth | rm. `preview` creates the stack if it
 * does not exist. With renderDir, the stack's default Kubernetes provider
 * renders YAML into that folder instead of talking to a cluster.
 * Prints the operation's metrics: its wall time, this process's CPU (the
 * program runs here), the CPU of the Pulumi CLI and providers it started
 * (they are reaped when the operation ends), and this process's peak RSS.
 */
import { writeFileSync } from "node:fs";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { PROGRAMS, type Program, isProgram, runProgram } from "../programs/program";
import { appSpec, PROJECT } from "../programs/spec";
import { emit, selfMetrics } from "./measure";
import { dependencyDepth } from "./depth";

const [side, servicesArg, op, stackName, namespace, renderDir] = process.argv.slice(2);
const services = Number(servicesArg);
if (
  !isProgram(side) ||
  !Number.isInteger(services) ||
  !["preview", "up", "destroy", "depth", "rm"].includes(op ?? "") ||
  !stackName ||
  !namespace
) {
  console.error(`usage: engine-child.js <${PROGRAMS.join("|")}> <services> <preview|up|destroy|depth|rm> <stack> <namespace> [renderDir]`);
  process.exit(2);
}
const programName: Program = side;

function program(): () => Promise<void> {
  return async () => {
    runProgram(programName, appSpec(services, namespace!));
  };
}

async function openStack(): Promise<Stack> {
  const envVars: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) envVars[k] = v;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: stackName!, projectName: PROJECT, program: program() },
    { envVars, projectSettings: { name: PROJECT, runtime: "nodejs" } },
  );
  if (renderDir) await stack.setConfig("kubernetes:renderYamlToDirectory", { value: renderDir });
  // The bench runs one operation per stack at a time: a lock can only be left by an earlier, killed run.
  await stack.cancel().catch(() => undefined);
  return stack;
}

/** Resets this process's peak RSS (VmHWM), so it reflects the operation only. */
function resetPeakRss(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not permitted: the peak then covers the whole process
  }
}

/** Custom resources (not components, providers or the stack) the operation touched, by type. */
function counter() {
  const byType = new Map<string, number>();
  const ops = new Map<string, number>();
  const onEvent = (e: EngineEvent) => {
    const m = e.resourcePreEvent?.metadata;
    if (!m) return;
    const state = m.new ?? m.old;
    if (!state?.custom || m.type.startsWith("pulumi:providers:")) return;
    byType.set(m.type, (byType.get(m.type) ?? 0) + 1);
    ops.set(m.op, (ops.get(m.op) ?? 0) + 1);
  };
  const total = () => [...byType.values()].reduce((a, b) => a + b, 0);
  return { onEvent, byType, ops, total };
}

/**
 * Interrupting the benchmark (SIGINT/SIGTERM to this process) aborts the
 * operation through the Automation API, which sends SIGINT to the Pulumi CLI:
 * it cancels cleanly and stops its plugins, which run in process groups of
 * their own and would otherwise outlive this process.
 */
const abort = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => abort.abort());

async function main(): Promise<void> {
  const stack = await openStack();
  const c = counter();
  const before = selfMetrics();
  resetPeakRss();
  const t0 = performance.now();
  let summary: Record<string, number> | undefined;
  let depth: ReturnType<typeof dependencyDepth> | undefined;
  switch (op) {
    case "preview": {
      const r = await stack.preview({ onEvent: c.onEvent, signal: abort.signal });
      summary = r.changeSummary as Record<string, number>;
      break;
    }
    case "up": {
      const r = await stack.up({ onEvent: c.onEvent, signal: abort.signal });
      summary = r.summary.resourceChanges as Record<string, number>;
      break;
    }
    case "destroy": {
      const r = await stack.destroy({ onEvent: c.onEvent, signal: abort.signal });
      summary = r.summary.resourceChanges as Record<string, number>;
      break;
    }
    case "depth": {
      depth = dependencyDepth((await stack.exportStack()).deployment);
      break;
    }
    case "rm": {
      await stack.workspace.removeStack(stack.name, { force: true });
      break;
    }
  }
  const opMs = performance.now() - t0;
  const after = selfMetrics();
  emit({
    side,
    services,
    op,
    opMs,
    cpuMs: after.cpuMs - before.cpuMs,
    childCpuMs: after.childCpuMs - before.childCpuMs,
    peakRssMiB: after.peakRssMiB,
    wallMs: after.wallMs,
    ...(summary ? { summary } : {}),
    customResources: c.total(),
    ops: Object.fromEntries(c.ops),
    byType: Object.fromEntries([...c.byType.entries()].sort()),
    ...(depth ? { depth } : {}),
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
