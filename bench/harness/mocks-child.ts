/**
 * One program evaluation under Pulumi mocks, in a fresh process:
 *   node mocks-child.js <switchyard|handwritten|grouped> <services> [--digest FILE]
 * Loads the Pulumi SDKs, installs mocks that echo inputs (like
 * test/support/mocks.ts), runs the program inside a stack resource, waits for
 * every registration, and prints its metrics. With --digest it also writes
 * every custom resource as `type` + canonical JSON of its inputs (secrets
 * kept as wire secrets, so secretness must match too), one per line, sorted.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { PROGRAMS, type Program, isProgram, registrationLine, runProgram } from "../programs/program";
import { emit, selfMetrics } from "./measure";

const [side, servicesArg, flag, digestFile] = process.argv.slice(2);
const services = Number(servicesArg);
if (!isProgram(side) || !Number.isInteger(services) || (flag !== undefined && flag !== "--digest")) {
  console.error(`usage: mocks-child.js <${PROGRAMS.join("|")}> <services> [--digest FILE]`);
  process.exit(2);
}
const program: Program = side;

async function main(): Promise<void> {
  const loadStart = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("@pulumi/kubernetes");
  const sdkMs = performance.now() - loadStart;

  let custom = 0;
  let components = 0;
  const lines: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.custom === false) components++;
        else custom++;
        if (digestFile && args.custom !== false) lines.push(registrationLine(args.type, args.inputs));
        const state: Record<string, any> = { ...args.inputs };
        if (args.type.startsWith("kubernetes:") && !args.type.startsWith("pulumi:providers")) {
          const md = args.inputs.metadata ?? {};
          state.metadata = { ...md, name: md.name ?? `${args.name}-0a1b2c3d`, namespace: md.namespace ?? "default" };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    "switchyard-bench",
    "bench",
    false,
  );

  const programStart = performance.now();
  // The program module (and for switchyard, the library) loads inside the measured program phase.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { appSpec } = require("../programs/spec") as typeof import("../programs/spec");
  const spec = appSpec(services, "bench");
  await pulumi.runtime.runInPulumiStack(async () => {
    runProgram(program, spec);
    return undefined;
  });
  await pulumi.runtime.disconnect();
  const programMs = performance.now() - programStart;
  const metrics = selfMetrics();

  if (digestFile) {
    lines.sort();
    writeFileSync(digestFile, lines.join("\n") + "\n");
  }
  emit({
    side,
    services,
    ...metrics,
    sdkMs,
    programMs,
    customResources: custom,
    componentResources: components,
    ...(digestFile ? { digest: createHash("sha256").update(lines.join("\n")).digest("hex") } : {}),
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
