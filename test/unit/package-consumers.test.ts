import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
let work = "";

/** Copies a consumer program next to a node_modules that links the built package and the shared Pulumi SDKs. */
function consumer(kind: "cjs" | "esm"): string {
  const dir = join(work, kind);
  cpSync(join(root, "test", "fixtures", `consumer-${kind}`), dir, { recursive: true });
  mkdirSync(join(dir, "node_modules", "@switchyard"), { recursive: true });
  symlinkSync(root, join(dir, "node_modules", "@switchyard", "pulumi"));
  symlinkSync(join(root, "node_modules", "@pulumi"), join(dir, "node_modules", "@pulumi"));
  return dir;
}

describe("the built package is consumable from CommonJS and ESM stack programs", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
    work = mkdtempSync(join(tmpdir(), "switchyard-consumers-"));
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(["cjs", "esm"] as const)("%s: typechecks against dist/*.d.ts and runs", (kind) => {
    const dir = consumer(kind);
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir, stdio: "pipe" });
    const out = execFileSync(process.execPath, [join(dir, "out", "index.js")], { cwd: dir }).toString();
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ brand: true, created: 9, model: "http" }); // component + 8 children (monitoring included)
  }, 120_000);
});
