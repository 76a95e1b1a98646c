/**
 * cdk8s-plus synthesis of the benchmark application, in a fresh process:
 *   node cdk8s-child.js <services> <outdir>
 * Prints the metrics of the whole process (loading cdk8s included, as the
 * render side's includes loading Pulumi) and the number of objects written.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { emit, selfMetrics } from "./measure";

const [servicesArg, outdir] = process.argv.slice(2);
const services = Number(servicesArg);
if (!Number.isInteger(services) || !outdir) {
  console.error("usage: cdk8s-child.js <services> <outdir>");
  process.exit(2);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cdk8sApp } = require("../programs/cdk8s") as typeof import("../programs/cdk8s");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { appSpec } = require("../programs/spec") as typeof import("../programs/spec");
cdk8sApp(appSpec(services, "bench"), outdir).synth();
const metrics = selfMetrics();
let objects = 0;
for (const f of readdirSync(outdir)) {
  if (f.endsWith(".yaml")) objects += readFileSync(join(outdir, f), "utf8").split(/^---$/m).filter((d) => /\bkind:/.test(d)).length;
}
emit({ side: "cdk8s-plus", services, ...metrics, opMs: metrics.wallMs, objects });
