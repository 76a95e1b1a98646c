import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const optionalPeers = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((n) => pkg.peerDependenciesMeta?.[n]?.optional);
const requiredPeers = Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers.includes(n));
/** What a consumer's install always provides next to the package: its dependencies and required peers. */
const installed = [...Object.keys(pkg.dependencies ?? {}), ...requiredPeers];
let work = "";
let packedFiles: string[] | undefined;

/** Runs a command, failing with its output (tsc reports its errors on stdout). */
function run(file: string, args: string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, stdio: "pipe" }).toString();
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${[file, ...args].join(" ")} failed in ${cwd}:\n${err.stdout?.toString() ?? ""}${err.stderr?.toString() ?? ""}`);
  }
}

/** The paths `npm publish` would put in the tarball (after the build). */
function packed(): string[] {
  packedFiles ??= (JSON.parse(run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], root)) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  return packedFiles;
}

/** Copies a consumer program next to a node_modules that links the built package and the shared Pulumi SDKs. */
function consumer(kind: "cjs" | "esm"): string {
  const dir = join(work, kind);
  cpSync(join(root, "test", "fixtures", `consumer-${kind}`), dir, { recursive: true });
  mkdirSync(join(dir, "node_modules", "@switchyard"), { recursive: true });
  symlinkSync(root, join(dir, "node_modules", "@switchyard", "pulumi"));
  symlinkSync(join(root, "node_modules", "@pulumi"), join(dir, "node_modules", "@pulumi"));
  return dir;
}

/**
 * Copies the strict consumer next to a node_modules holding a copy of the packed
 * files (not a link to the repository, whose node_modules has every optional
 * peer) and links to the package's dependencies and required peers only.
 */
function strictConsumer(): string {
  const dir = join(work, "strict");
  cpSync(join(root, "test", "fixtures", "consumer-strict"), dir, { recursive: true });
  const target = join(dir, "node_modules", "@switchyard", "pulumi");
  for (const f of packed()) {
    mkdirSync(dirname(join(target, f)), { recursive: true });
    cpSync(join(root, f), join(target, f));
  }
  for (const name of installed) {
    mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
    symlinkSync(join(root, "node_modules", name), join(dir, "node_modules", name));
  }
  return dir;
}

beforeAll(() => {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
  work = mkdtempSync(join(tmpdir(), "switchyard-consumers-"));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the built package is consumable from CommonJS and ESM stack programs", () => {
  it.each(["cjs", "esm"] as const)("%s: typechecks against dist/*.d.ts and runs", (kind) => {
    const dir = consumer(kind);
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir, stdio: "pipe" });
    const out = execFileSync(process.execPath, [join(dir, "out", "index.js")], { cwd: dir }).toString();
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ brand: true, created: 9, model: "http" }); // component + 8 children (monitoring included)
  }, 120_000);

  it("strict, without skipLibCheck and without the optional peers: typechecks against the packed .d.ts and runs", () => {
    expect(optionalPeers).toContain("@pulumi/docker");
    const dir = strictConsumer();
    const resolveFrom = createRequire(join(dir, "index.ts"));
    for (const name of requiredPeers) expect(resolveFrom.resolve(`${name}/package.json`)).toContain(name);
    for (const name of optionalPeers) expect(() => resolveFrom.resolve(`${name}/package.json`), `${name} must be unresolvable`).toThrow(/Cannot find module/);
    run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
    const out = run(process.execPath, [join(dir, "out", "index.js")], dir);
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ brand: true, created: 9, built: false, model: "http" });
  }, 120_000);

  it("the packed .d.ts files import only the package's dependencies and required peers", () => {
    const found = new Set<string>();
    for (const f of packed().filter((p) => p.endsWith(".d.ts"))) {
      const text = readFileSync(join(root, f), "utf8");
      for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+|reference\s+types=)["']([^"']+)["']/gm)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!builtinModules.includes(name.replace(/^node:/, ""))) found.add(`${name} (${f})`);
      }
    }
    expect([...found].some((x) => x.startsWith("@pulumi/pulumi "))).toBe(true);
    expect([...found].filter((x) => !installed.includes(x.split(" ")[0]!))).toEqual([]);
  });
});

/*
 * Source maps: dist/**\/*.js.map and *.d.ts.map point at ../lib/**\/*.ts, and the
 * package ships lib/ (package.json `files`) so they resolve inside the tarball:
 * go-to-definition opens the real source and stack traces mapped by Pulumi's
 * runtime (source-map-support) name files the user has.
 */
describe("the packed tarball", () => {
  it("contains the Apache-2.0 LICENSE", () => {
    expect(packed()).toContain("LICENSE");
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it("has no source map that refers to a file outside it", () => {
    const files = new Set(packed());
    const maps = [...files].filter((f) => f.endsWith(".map"));
    const dangling: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(root, m), "utf8")) as { sourceRoot?: string; sources: string[] };
      for (const s of map.sources) {
        const target = posix.normalize(posix.join(posix.dirname(m), map.sourceRoot ?? "", s));
        if (!files.has(target)) dangling.push(`${m} -> ${s}`);
      }
    }
    expect(dangling.slice(0, 5)).toEqual([]);
  });
});
