import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const pins = Object.fromEntries(
  readFileSync(join(root, "scripts/toolchain/versions.env"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=") as [string, string]),
);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

describe("toolchain versions match the npm packages", () => {
  it("the Pulumi CLI is built at the version of @pulumi/pulumi", () => {
    expect(pkg.devDependencies["@pulumi/pulumi"]).toBe(pins.PULUMI_VERSION);
  });
  it("the Kubernetes provider is built at the version of @pulumi/kubernetes", () => {
    expect(pkg.devDependencies["@pulumi/kubernetes"]).toBe(pins.PULUMI_KUBERNETES_VERSION);
  });
});
