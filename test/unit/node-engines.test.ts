import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { satisfies } from "../support/node-range";

/*
 * Which Node.js versions the project needs, told consistently:
 * - package.json `engines` is what the published package's own code (and its
 *   runtime dependencies) needs: the floor F of `>=F`.
 * - README's Quick start prerequisites name the Node.js version development
 *   needs (the first "Node.js X.Y" there, D >= F), and name every installed
 *   package (package-lock.json `engines.node`) that does not accept D, with its
 *   pinned version when it is a direct development dependency and the Node.js
 *   major it declares: those are the `npm install` EBADENGINE warnings.
 */
const root = join(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: unknown }>;
};
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The Quick start text before its first code block: the prerequisites. */
function prerequisites(): string {
  const start = readme.indexOf("\n## Quick start\n");
  expect(start, "README has a ## Quick start section").toBeGreaterThanOrEqual(0);
  const body = readme.slice(start + "\n## Quick start\n".length);
  return body.slice(0, body.indexOf("```")).replace(/\s+/g, " ");
}

/** Installed packages with an `engines.node` field: [name, version, range, dev]. */
function lockedEngines(): [string, string, string, boolean][] {
  return Object.entries(lock.packages)
    .filter(([path]) => path !== "")
    .flatMap(([path, p]) => {
      const e = p.engines;
      // A few old packages use the long-deprecated array form, which npm ignores.
      const node = e && typeof e === "object" && !Array.isArray(e) ? (e as { node?: string }).node : undefined;
      return node ? [[path.replace(/^.*node_modules\//, ""), p.version ?? "", node, p.dev === true] as [string, string, string, boolean]] : [];
    });
}

const version = (v: string): string => [...v.split("."), "0", "0"].slice(0, 3).join(".");
const compare = (a: string, b: string): number => {
  const [x, y] = [version(a).split(".").map(Number), version(b).split(".").map(Number)];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
};
/** The first Node.js major at or above `from` that a range accepts. */
const firstMajor = (range: string, from: number): number => {
  for (let m = from; m < 100; m++) if (satisfies(`${m}.999.999`, range)) return m;
  throw new Error(`no Node.js major accepts "${range}"`);
};

describe("the supported Node.js versions are stated consistently", () => {
  it("reads engines ranges as npm does", () => {
    expect(satisfies("20.19.0", "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies("22.11.0", "^20.19.0 || >=22.12.0")).toBe(false);
    expect(satisfies("20.20.2", ">=22")).toBe(false);
    expect(satisfies("20.8.0", "^18.18.0 || ^20.9.0 || >=21.1.0")).toBe(false);
    expect(satisfies("20.19.0", "6.* || 8.* || >= 10.*")).toBe(true);
    expect(satisfies("14.16.0", ">=16 || 14 >=14.17")).toBe(false);
    expect(satisfies("8.10.0", ">=9.3.0 || >=8.10.0 <9.0.0")).toBe(true);
  });

  it("engines is a floor that the package's runtime dependencies accept", () => {
    const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node.trim());
    expect(m, `engines.node "${pkg.engines.node}" is a ">=" floor`).not.toBeNull();
    const floor = m![1]!;
    const runtime = lockedEngines().filter(([, , , dev]) => !dev);
    expect(runtime.filter(([, , range]) => !satisfies(floor, range)).map(([n, v, r]) => `${n}@${v} declares node ${r}`)).toEqual([]);
  });

  it("README's prerequisites state the engines floor and the development version, and name every installed package that declares more", () => {
    const text = prerequisites();
    const floor = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node.trim())![1]!;
    expect(text, `the prerequisites state the package's own floor, "Node.js ${floor}"`).toMatch(new RegExp(`Node\\.js ${floor.replace(/\./g, "\\.")}(?![.\\d])`));
    const dev = /Node\.js (\d+(?:\.\d+){0,2})/.exec(text)?.[1];
    expect(dev, "the prerequisites name a Node.js version").toBeDefined();
    expect(compare(dev!, floor), `the development version ${dev} is not below the engines floor ${floor}`).toBeGreaterThanOrEqual(0);

    const missing: string[] = [];
    const seen = new Set<string>();
    for (const [name, installed, range] of lockedEngines()) {
      if (satisfies(version(dev!), range) || seen.has(`${name}@${installed}`)) continue;
      seen.add(`${name}@${installed}`);
      const scope = name.startsWith("@") ? `${name.split("/")[0]}/*` : undefined;
      if (!text.includes(name) && !(scope && text.includes(scope))) missing.push(`${name}@${installed} (node ${range}) is not named`);
      if (pkg.devDependencies[name] === installed && !text.includes(installed)) missing.push(`${name}: the pinned version ${installed} is not named`);
      const major = firstMajor(range, Number(version(dev!).split(".")[0]));
      if (!new RegExp(`Node\\.js ${major}(?![.\\d])`).test(text)) missing.push(`${name}@${installed} declares node ${range}: "Node.js ${major}" is not named`);
    }
    expect(missing).toEqual([]);
  });
});
