/**
 * What one registration costs the Pulumi SDK and engine, by kind, in a fresh
 * process:
 *   node registration-child.js <mocks|engine> <variant> <units> [stack renderDir]
 * variant, per unit:
 *   objects    two ConfigMaps
 *   component  a ComponentResource (outputs registered) parenting two ConfigMaps
 *   object     three ConfigMaps
 * so (component - objects) is one component and (object - objects) one more
 * Kubernetes object, on the same base. `mocks` runs the program under Pulumi
 * mocks; `engine` runs `pulumi preview` of a new stack whose Kubernetes
 * provider renders YAML into renderDir (no cluster), and counts the engine
 * events by kind. Reports this process's CPU (where the program runs) and,
 * for the engine, the CPU of the CLI and provider.
 */
import { emit, selfMetrics } from "./measure";

const [mode, variant, unitsArg, stackName, renderDir] = process.argv.slice(2);
const units = Number(unitsArg);
const VARIANTS = ["objects", "component", "object"] as const;
if (
  (mode !== "mocks" && mode !== "engine") ||
  !VARIANTS.includes(variant as (typeof VARIANTS)[number]) ||
  !Number.isInteger(units) ||
  (mode === "engine" && (!stackName || !renderDir))
) {
  console.error("usage: registration-child.js <mocks|engine> <objects|component|object> <units> [stack renderDir]");
  process.exit(2);
}

/* eslint-disable @typescript-eslint/no-require-imports */
const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
/* eslint-enable @typescript-eslint/no-require-imports */

class Unit extends pulumi.ComponentResource {
  constructor(name: string) {
    super("bench:index:Unit", name, {});
    const a = configMap(`${name}-a`, this);
    configMap(`${name}-b`, this);
    this.registerOutputs({ name: a.metadata.name });
  }
}

function configMap(name: string, parent?: import("@pulumi/pulumi").Resource) {
  return new k8s.core.v1.ConfigMap(
    name,
    { metadata: { name, namespace: "bench", labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "bench" } }, data: { "settings.json": JSON.stringify({ name, level: "info", retries: 3 }) } },
    parent ? { parent } : {},
  );
}

function program(): void {
  for (let i = 0; i < units; i++) {
    const u = `u${i}`;
    if (variant === "component") new Unit(u);
    else {
      configMap(`${u}-a`);
      configMap(`${u}-b`);
      if (variant === "object") configMap(`${u}-c`);
    }
  }
}

async function underMocks(): Promise<void> {
  let registrations = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registrations++;
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call(args) {
        return args.inputs;
      },
    },
    "bench-registration",
    "bench",
    false,
  );
  const before = selfMetrics();
  const t0 = performance.now();
  await pulumi.runtime.runInPulumiStack(async () => {
    program();
    return undefined;
  });
  await pulumi.runtime.disconnect();
  const after = selfMetrics();
  emit({ mode, variant, units, opMs: performance.now() - t0, cpuMs: after.cpuMs - before.cpuMs, childCpuMs: 0, registrations });
}

async function underEngine(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const envVars: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) envVars[k] = v;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: stackName!, projectName: "bench-registration", program: async () => program() },
    { envVars, projectSettings: { name: "bench-registration", runtime: "nodejs" } },
  );
  try {
    await stack.setConfig("kubernetes:renderYamlToDirectory", { value: renderDir! });
    const events: Record<string, number> = {};
    const before = selfMetrics();
    const t0 = performance.now();
    await stack.preview({
      onEvent: (e) => {
        const kind = Object.keys(e).find((k) => k.endsWith("Event"));
        if (!kind) return;
        const key = kind === "diagnosticEvent" ? `diagnosticEvent:${e.diagnosticEvent!.severity}` : kind;
        events[key] = (events[key] ?? 0) + 1;
      },
    });
    const opMs = performance.now() - t0;
    const after = selfMetrics();
    emit({ mode, variant, units, opMs, cpuMs: after.cpuMs - before.cpuMs, childCpuMs: after.childCpuMs - before.childCpuMs, events });
  } finally {
    await stack.workspace.removeStack(stack.name, { force: true });
  }
}

(mode === "mocks" ? underMocks() : underEngine()).catch((e) => {
  console.error(e);
  process.exit(1);
});
