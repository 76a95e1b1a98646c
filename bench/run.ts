/**
 * `npm run bench`: what switchyard costs against the same Kubernetes objects
 * written by hand with @pulumi/kubernetes, how deploy time grows with the
 * stack, and rendering to YAML against cdk8s-plus; and (part runtime) how
 * switchyard's services behave on real nodes. Every measurement runs in a
 * fresh child process; the sides of each comparison alternate within every
 * round, and medians are reported. See the README's "Performance" section.
 *
 * Clusters: engine and deploy run against a control plane with fake (kwok)
 * nodes only (SWITCHYARD_REAL_NODES=0, state in .switchyard-bench/, as in
 * every earlier result); runtime against one with real nodes
 * (SWITCHYARD_REAL_NODES=2, state in .switchyard-bench/runtime/). Each is
 * started if it is not running and stopped at the end if this run started it.
 * Only one cluster with real nodes can run per host: the runtime part fails,
 * saying which, when another one's real nodes run.
 *
 * Options:
 *   --quick          N = 10 only, one round of everything (a smoke run); results go to .switchyard-bench/results
 *   --only=a,b       parts to run: mocks, engine, deploy, render, registration, grouped, runtime (default: all)
 *   --rounds=R       rounds of every part (default: mocks 5, engine 3, deploy 1, render 3, registration 3, grouped 3, runtime 3);
 *                    or per part, e.g. --rounds=deploy:2,mocks:3 (the others keep their default)
 *   --out=DIR        where results.json and results.md go (default: bench/results)
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, resolve } from "node:path";
import { RESULT_PREFIX } from "./harness/measure";
import { RUNTIME_SCENARIOS } from "./harness/runtime-settings";
import { type Program } from "./programs/program";
import { SERVICES_PER_GROUP } from "./programs/spec";
import { type Results, markdown } from "./report";

const ROOT = resolve(__dirname, "..", "..");
const BUILD = __dirname;
const STATE = process.env.SWITCHYARD_STATE ?? join(ROOT, ".switchyard-bench");
const WORK = join(STATE, "work");
/** The runtime part's cluster (real nodes): a state folder of its own. */
const RUNTIME_STATE = join(STATE, "runtime");

type Part = "mocks" | "engine" | "deploy" | "render" | "registration" | "grouped" | "runtime";
const PARTS: readonly Part[] = ["mocks", "engine", "deploy", "render", "registration", "grouped", "runtime"];
export type Side = "switchyard" | "handwritten";

function parseArgs(argv: readonly string[]) {
  const opt = { quick: false, only: new Set<Part>(PARTS), rounds: new Map<Part | "all", number>(), out: undefined as string | undefined };
  for (const a of argv) {
    if (a === "--quick") opt.quick = true;
    else if (a.startsWith("--only=")) {
      const parts = a.slice(7).split(",").filter(Boolean);
      for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`--only: unknown part ${p} (use ${PARTS.join(", ")})`);
      opt.only = new Set(parts as Part[]);
    } else if (a.startsWith("--rounds=")) {
      for (const item of a.slice(9).split(",")) {
        const [part, count] = item.includes(":") ? (item.split(":") as [string, string]) : ["all", item];
        const r = Number(count);
        if (part !== "all" && !PARTS.includes(part as Part)) throw new Error(`--rounds: unknown part ${part} (use ${PARTS.join(", ")})`);
        if (!Number.isInteger(r) || r < 1) throw new Error(`--rounds: ${item}: the count must be a whole number >= 1`);
        opt.rounds.set(part as Part | "all", r);
      }
    } else if (a.startsWith("--out=")) opt.out = resolve(a.slice(6));
    else throw new Error(`unknown option ${a} (see the top of bench/run.ts)`);
  }
  return opt;
}

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** Child processes running now: stopped if the benchmark is interrupted. */
const running = new Set<ReturnType<typeof spawn>>();
let onInterrupt: (() => Promise<void>) | undefined;
/** Set by SIGINT/SIGTERM: no child process starts after it (the part's loop would go on while the running one stops). */
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping ${running.size} child process(es)`);
    // An engine child aborts its Pulumi operation and waits for the CLI to cancel (up to a minute)
    // before the control plane is stopped under it.
    const exited = [...running].map((p) => new Promise<void>((done) => (p.exitCode !== null ? done() : p.once("close", () => done()))));
    for (const p of running) p.kill("SIGTERM");
    const waited = Promise.race([Promise.all(exited), new Promise<void>((done) => setTimeout(done, 60_000).unref())]);
    void waited.then(() => (onInterrupt ?? (async () => undefined))()).finally(() => process.exit(130));
  });
}

/** Runs a child process to completion; returns its result line and its wall time as seen from here. */
function child(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, { echo = false } = {}): Promise<Record<string, any> & { processMs: number }> {
  if (interrupted) return Promise.reject(new Error(`interrupted: ${script} not started`));
  return new Promise((done, fail) => {
    const t0 = performance.now();
    // detached: a process group of its own, so a Ctrl-C in the terminal reaches only this process, which stops the
    // child once. A second SIGINT (terminal plus the Automation API's abort) would make the Pulumi CLI exit at once,
    // leaving its provider plugins running.
    const p = spawn(process.execPath, [join(BUILD, "harness", script), ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(p);
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString("utf8");
      // (a long child's progress, as it comes)
      if (echo) process.stderr.write(d);
    });
    p.on("error", fail);
    p.on("close", (code) => {
      running.delete(p);
      const processMs = performance.now() - t0;
      const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        const tail = (s: string) => s.trimEnd().split("\n").slice(-40).join("\n");
        fail(new Error(`${script} ${args.join(" ")} exited ${code}\n--- stdout ---\n${tail(out)}\n--- stderr ---\n${tail(err)}`));
        return;
      }
      done({ ...JSON.parse(line.slice(RESULT_PREFIX.length)), processMs });
    });
  });
}

function sh(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, [...args], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    p.on("error", fail);
    p.on("close", (code) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

/** Alternating order: even rounds start with the first side, odd rounds with the next (a rotation). */
function order<T>(sides: readonly T[], round: number): T[] {
  const k = round % sides.length;
  return [...sides.slice(k), ...sides.slice(0, k)];
}

// ------------------------------------------------------------------ mocks --

async function equivalence(services: number, other: Program = "handwritten"): Promise<{ customResources: number; digest: string }> {
  const dir = join(WORK, "equivalence");
  mkdirSync(dir, { recursive: true });
  const file = (s: Program) => join(dir, `${services}-${s}.txt`);
  const sy = await child("mocks-child.js", ["switchyard", String(services), "--digest", file("switchyard")]);
  const hw = await child("mocks-child.js", [other, String(services), "--digest", file(other)]);
  if (sy.digest !== hw.digest || sy.customResources !== hw.customResources) {
    const a = readFileSync(file("switchyard"), "utf8").split("\n");
    const b = readFileSync(file(other), "utf8").split("\n");
    const onlyA = a.filter((l) => !b.includes(l)).slice(0, 3);
    const onlyB = b.filter((l) => !a.includes(l)).slice(0, 3);
    throw new Error(
      `EQUIVALENCE FAILED at ${services} services: switchyard registers ${sy.customResources} custom resources, the ${other} program ${hw.customResources}, ` +
        `and their (type, inputs) differ. Full lists: ${file("switchyard")} and ${file(other)}.\n` +
        `only switchyard:\n  ${onlyA.map((l) => l.slice(0, 600)).join("\n  ")}\nonly ${other}:\n  ${onlyB.map((l) => l.slice(0, 600)).join("\n  ")}`,
    );
  }
  log(`mocks: ${services} services: switchyard and ${other} register the same ${sy.customResources} custom resources (type + inputs, sha256 ${String(sy.digest).slice(0, 12)})`);
  return { customResources: sy.customResources, digest: sy.digest };
}

async function mocksPart(sizes: readonly number[], rounds: number, results: Results): Promise<void> {
  // Untimed warm-up of both sides: the first processes read every module from a cold page cache.
  for (const side of ["switchyard", "handwritten"] as const) await child("mocks-child.js", [side, String(sizes[0])]);
  for (const n of sizes) {
    const eq = await equivalence(n);
    const runs: Record<string, any>[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const side of order<Side>(["switchyard", "handwritten"], r)) {
        const m = await child("mocks-child.js", [side, String(n)]);
        runs.push({ round: r, ...m });
        log(`mocks: ${n} services, round ${r + 1}/${rounds}, ${side}: ${Math.round(m.processMs)} ms, program ${Math.round(m.programMs)} ms, CPU ${Math.round(m.cpuMs)} ms, peak RSS ${Math.round(m.peakRssMiB)} MiB`);
      }
    }
    results.mocks.push({ services: n, customResources: eq.customResources, digest: eq.digest, runs });
  }
}

// ----------------------------------------------------------------- engine --

function engine(side: Program, n: number, op: string, stack: string, namespace: string, renderDir?: string, env?: NodeJS.ProcessEnv) {
  return child("engine-child.js", [side, String(n), op, stack, namespace, ...(renderDir ? [renderDir] : [])], env);
}

const short = (s: Program) => ({ switchyard: "sy", handwritten: "hw", grouped: "gr" })[s];

/**
 * One operation (preview, or up when rendering) on a new stack, removed
 * afterwards. The stack is removed first as well: an earlier, killed run may
 * have left state under its name, which would turn "a new stack" into an
 * update of the resources already in it.
 */
async function onNewStack(side: Program, n: number, op: "preview" | "up", stack: string, namespace: string, renderDir?: string, env?: NodeJS.ProcessEnv) {
  try {
    await engine(side, n, "rm", stack, "unused");
    return await engine(side, n, op, stack, namespace, renderDir, env);
  } finally {
    await engine(side, n, "rm", stack, "unused").catch((e) => log(`could not remove stack ${stack}: ${e}`));
  }
}

function sameByType(n: number, what: string, a: Record<string, any>, b: Record<string, any>): void {
  const x = JSON.stringify(a.byType);
  const y = JSON.stringify(b.byType);
  if (x !== y) throw new Error(`EQUIVALENCE FAILED at ${n} services (${what}): switchyard ${x} vs hand-written ${y}`);
}

async function enginePart(sizes: readonly number[], rounds: number, results: Results): Promise<void> {
  // Untimed warm-up of both sides (plugin discovery, first contact with the API server).
  for (const side of ["switchyard", "handwritten"] as const) {
    const stack = `warmup-${short(side)}`;
    await engine(side, sizes[0]!, "preview", stack, `bench-warmup-${short(side)}`).finally(() => engine(side, sizes[0]!, "rm", stack, "unused").catch(() => undefined));
  }
  for (const n of sizes) {
    const runs: Record<string, any>[] = [];
    for (let r = 0; r < rounds; r++) {
      const got: Partial<Record<Side, Record<string, any>>> = {};
      for (const side of order<Side>(["switchyard", "handwritten"], r)) {
        const m = await onNewStack(side, n, "preview", `eval-${short(side)}-${n}-${r}`, `bench-eval-${short(side)}-${n}`);
        got[side] = m;
        runs.push({ round: r, ...m });
        log(`engine preview: ${n} services, round ${r + 1}/${rounds}, ${side}: ${(m.opMs / 1000).toFixed(1)} s, ${m.customResources} resources`);
      }
      sameByType(n, "real-engine preview", got.switchyard!, got.handwritten!);
    }
    results.engine.push({ services: n, customResources: runs[0]!.customResources, runs });
  }
}

async function deployPart(sizes: readonly number[], rounds: number, results: Results): Promise<void> {
  for (const [i, n] of sizes.entries()) {
    const runs: Record<string, any>[] = [];
    for (let r = 0; r < rounds; r++) {
      const got: Partial<Record<Side, Record<string, any>>> = {};
      // Which side goes first alternates between rounds and between sizes.
      for (const side of order<Side>(["switchyard", "handwritten"], r + i)) {
        const stack = `deploy-${short(side)}-${n}`;
        const ns = `bench-${short(side)}-${n}`;
        let deployed = false;
        try {
          const up = await engine(side, n, "up", stack, ns);
          deployed = true;
          const preview = await engine(side, n, "preview", stack, ns);
          const depth = await engine(side, n, "depth", stack, ns);
          const destroy = await engine(side, n, "destroy", stack, ns);
          deployed = false;
          const changes = Object.entries(preview.summary ?? {}).filter(([op, c]) => op !== "same" && c).length;
          if (changes) log(`WARNING: the preview after up of ${stack} shows changes: ${JSON.stringify(preview.summary)}`);
          const run = { round: r, side, up, preview, depth: depth.depth, destroy, previewChanges: changes };
          got[side] = up;
          runs.push(run);
          log(
            `deploy: ${n} services, ${side}: up ${(up.opMs / 1000).toFixed(1)} s (${up.customResources} resources), ` +
              `no-change preview ${(preview.opMs / 1000).toFixed(1)} s, destroy ${(destroy.opMs / 1000).toFixed(1)} s, dependency depth ${depth.depth.depth}`,
          );
        } finally {
          if (deployed) await engine(side, n, "destroy", stack, ns).catch((e) => log(`could not destroy ${stack}: ${e}`));
          await engine(side, n, "rm", stack, "unused").catch((e) => log(`could not remove stack ${stack}: ${e}`));
        }
      }
      sameByType(n, "pulumi up", got.switchyard!, got.handwritten!);
    }
    results.deploy.push({ services: n, runs });
  }
}

// ----------------------------------------------------------------- render --

function countYamlObjects(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) n += readFileSync(p, "utf8").split(/^---$/m).filter((doc) => /^kind:/m.test(doc)).length;
    }
  };
  if (existsSync(dir)) walk(dir);
  return n;
}

/**
 * Render sides: both programs through the engine, once as Pulumi runs by
 * default (the state is saved after every step) and once with
 * PULUMI_SKIP_CHECKPOINTS=true (saved once, at the end: nothing in a cluster
 * can be orphaned by a render, so nothing is lost by it); cdk8s-plus.
 */
const RENDER_SIDES = ["switchyard", "handwritten", "cdk8s-plus", "switchyard:final-state", "handwritten:final-state"] as const;
type RenderSide = (typeof RENDER_SIDES)[number];

async function renderPart(sizes: readonly number[], rounds: number, results: Results): Promise<void> {
  const warm = join(WORK, "render", "warmup");
  await child("cdk8s-child.js", [String(sizes[0]), warm]);
  for (const side of ["switchyard", "handwritten"] as const) {
    const stack = `render-warmup-${short(side)}`;
    await engine(side, sizes[0]!, "up", stack, "bench", warm).finally(() => engine(side, sizes[0]!, "rm", stack, "unused").catch(() => undefined));
  }
  rmSync(warm, { recursive: true, force: true });
  for (const n of sizes) {
    const runs: Record<string, any>[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const side of order<RenderSide>(RENDER_SIDES, r)) {
        const dir = join(WORK, "render", `${side.replace(":", "-")}-${n}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        let m: Record<string, any>;
        if (side === "cdk8s-plus") m = await child("cdk8s-child.js", [String(n), dir]);
        else {
          const [program, mode] = side.split(":") as [Side, string | undefined];
          const env = mode === "final-state" ? { ...process.env, PULUMI_SKIP_CHECKPOINTS: "true" } : process.env;
          m = await onNewStack(program, n, "up", `render-${short(program)}${mode ? "-final" : ""}-${n}-${r}`, "bench", dir, env);
        }
        const objects = countYamlObjects(dir);
        runs.push({ round: r, ...m, side, objects });
        log(`render: ${n} services, round ${r + 1}/${rounds}, ${side}: ${(m.opMs / 1000).toFixed(1)} s, ${objects} YAML objects`);
      }
    }
    results.render.push({ services: n, runs });
  }
}

// ----------------------------------------------------------- registration --

/** The cost of one ComponentResource against one more Kubernetes object, under mocks and under the real engine. */
async function registrationPart(units: number, rounds: number, results: Results): Promise<void> {
  const variants = ["objects", "component", "object"] as const;
  for (const mode of ["mocks", "engine"] as const) {
    const run = (variant: string, r: number) => {
      if (mode === "mocks") return child("registration-child.js", [mode, variant, String(units)]);
      const dir = join(WORK, "registration", variant);
      rmSync(dir, { recursive: true, force: true });
      return child("registration-child.js", [mode, variant, String(units), `registration-${variant}-${r}`, dir]);
    };
    await run("objects", -1); // untimed warm-up
    const runs: Record<string, any>[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const variant of order(variants, r)) {
        const m = await run(variant, r);
        runs.push({ round: r, ...m });
        log(`registration: ${mode}, ${variant} × ${units}, round ${r + 1}/${rounds}: program process CPU ${Math.round(m.cpuMs)} ms, wall ${Math.round(m.opMs)} ms`);
      }
    }
    results.registration.push({ mode, units, runs });
  }
}

// ---------------------------------------------------------------- grouped --

/**
 * switchyard against the hand-written program twice: as it is, and with one
 * plain ComponentResource per service ("grouped", the same components as
 * switchyard registers, with none of its code). grouped / hand-written is what
 * the components cost; switchyard / grouped is switchyard's own code. Under
 * mocks, and in an engine preview whose provider renders YAML (no cluster).
 */
async function groupedPart(mockSizes: readonly number[], engineSizes: readonly number[], rounds: number, results: Results): Promise<void> {
  const programs = ["switchyard", "handwritten", "grouped"] as const;
  for (const mode of ["mocks", "engine"] as const) {
    for (const n of mode === "mocks" ? mockSizes : engineSizes) {
      const eq = await equivalence(n, "grouped");
      const run = async (side: Program, r: number) => {
        if (mode === "mocks") return child("mocks-child.js", [side, String(n)]);
        const dir = join(WORK, "grouped", side);
        rmSync(dir, { recursive: true, force: true });
        return onNewStack(side, n, "preview", `grouped-${short(side)}-${n}-${r}`, "bench", dir);
      };
      for (const side of programs) await run(side, -1); // untimed warm-up
      const runs: Record<string, any>[] = [];
      for (let r = 0; r < rounds; r++) {
        const got: Partial<Record<Program, Record<string, any>>> = {};
        for (const side of order(programs, r)) {
          const m = await run(side, r);
          got[side] = m;
          runs.push({ round: r, ...m, side });
          const registered = mode === "mocks" ? m.customResources + m.componentResources : m.summary?.create;
          log(`grouped: ${mode}, ${n} services, round ${r + 1}/${rounds}, ${side}: program process CPU ${Math.round(m.cpuMs)} ms, ${registered} resources registered`);
        }
        if (mode === "engine") {
          sameByType(n, "grouped preview", got.switchyard!, got.handwritten!);
          sameByType(n, "grouped preview", got.switchyard!, got.grouped!);
        }
      }
      results.grouped.push({ mode, services: n, customResources: eq.customResources, runs });
    }
  }
}

// ---------------------------------------------------------------- runtime --

/**
 * switchyard's services on real nodes (bench/harness/runtime-child.ts): per
 * round, the zonal scenario (pod start, requests/s, a rolling update and a
 * zone loss under traffic) and the hpa scenario (scale-out under CPU load and
 * back), each in a fresh process that destroys what it deployed.
 */
async function runtimePart(cluster: Cluster, rounds: number, results: Results, save: () => void): Promise<void> {
  const other = otherRealNodes(cluster.state);
  if (other) {
    throw new Error(
      `runtime: the real nodes of another local cluster run on this host (state folder ${other}); only one cluster with real nodes can run per host, ` +
        `and this part needs its own. Stop that one (SWITCHYARD_STATE=${other} npm run cluster:down) or wait until it is gone, then run \`npm run bench -- --only=runtime\`. Nothing was started for this part.`,
    );
  }
  await cluster.up();
  const imagesFile = join(cluster.state, "cluster", "run", "images.env");
  const image = existsSync(imagesFile) ? /^app=(.+)$/m.exec(readFileSync(imagesFile, "utf8"))?.[1] : undefined;
  if (!image) throw new Error(`runtime: no app= line in ${imagesFile}: scripts/cluster/up.sh writes it when it imports the reference application's image into the real nodes`);
  log(`runtime: ${rounds} round(s) of ${RUNTIME_SCENARIOS.join(", ")} with ${image} against the cluster in ${cluster.state}`);
  const entries = RUNTIME_SCENARIOS.map((scenario) => ({ scenario, runs: [] as Record<string, any>[] }));
  results.runtime.push(...entries);
  for (let r = 0; r < rounds; r++) {
    for (const e of entries) {
      const m = await child("runtime-child.js", [e.scenario, String(r), image], cluster.env, { echo: true });
      e.runs.push({ round: r, ...m });
      save();
      log(`runtime: round ${r + 1}/${rounds}, ${e.scenario}: ${(m.processMs / 1000).toFixed(0)} s`);
    }
  }
}

// --------------------------------------------------------------- clusters --

/** A local cluster the benchmark uses: its state folder and its number of real nodes. */
class Cluster {
  /** Whether this run started it (then it stops it at the end). */
  started = false;
  constructor(
    readonly what: string,
    readonly state: string,
    readonly realNodes: number,
  ) {}

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, SWITCHYARD_STATE: this.state, SWITCHYARD_REAL_NODES: String(this.realNodes), KUBECONFIG: join(this.state, "cluster", "kubeconfig") };
  }

  async up(): Promise<void> {
    log(`starting ${this.what} in ${this.state} (if it is not running)`);
    this.started ||= !existsSync(join(this.state, "cluster", "run", "kube-apiserver.pid"));
    await sh("bash", ["scripts/cluster/up.sh"], this.env);
  }

  async down(): Promise<void> {
    if (this.started && !process.env.SWITCHYARD_KEEP_CLUSTER) {
      this.started = false;
      log(`stopping ${this.what} this run started`);
      await sh("bash", ["scripts/cluster/down.sh"], this.env).catch((e) => log(`cluster down failed: ${e}`));
    }
  }
}

/** The state folder of another local cluster whose real nodes (containerd per node) run on this host, if any. */
function otherRealNodes(state: string): string | undefined {
  const ours = join(state, "cluster") + "/";
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const i = argv.indexOf("--config");
    if (i < 0 || basename(argv[0] ?? "") !== "containerd") continue;
    const m = /^(.*)\/cluster\/nodes\/real-[^/]+\/containerd\.toml$/.exec(argv[i + 1] ?? "");
    if (m && !argv[i + 1]!.startsWith(ours)) return m[1];
  }
  return undefined;
}

// ------------------------------------------------------------------- main --

async function main(): Promise<void> {
  const opt = parseArgs(process.argv.slice(2));
  const out = opt.out ?? (opt.quick ? join(STATE, "results") : join(ROOT, "bench", "results"));
  const rounds = (part: Part, dflt: number) => opt.rounds.get(part) ?? opt.rounds.get("all") ?? (opt.quick ? 1 : dflt);
  const sizes = (full: readonly number[]) => (opt.quick ? [SERVICES_PER_GROUP] : full);
  const results: Results = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "", node: process.version },
    library: library(),
    versions: versions(),
    mocks: [],
    engine: [],
    deploy: [],
    render: [],
    registration: [],
    grouped: [],
    runtime: [],
  };
  // With --only, the parts not run are kept from the results already in `out` (each part's runs carry their own dates).
  const previous = join(out, "results.json");
  if (opt.only.size < PARTS.length && existsSync(previous)) {
    const old = JSON.parse(readFileSync(previous, "utf8")) as Results;
    for (const part of PARTS) if (!opt.only.has(part) && old[part]?.length) (results[part] as unknown[]).push(...old[part]);
    // Where each kept part was measured: an earlier run of its own, or the run that wrote the file.
    const kept = PARTS.filter((p) => !opt.only.has(p) && old[p]?.length);
    const earlier = (Array.isArray(old.earlier) ? old.earlier : old.earlier ? [old.earlier] : []) as NonNullable<Results["earlier"]>; // (files written before it was a list)
    // The machine and library of an earlier run: its own when recorded, else the file's (what its header claimed for every part).
    const where = { machine: old.machine, library: old.library };
    const before = earlier.map((e) => ({ ...where, ...e, parts: e.parts.filter((p) => kept.includes(p as Part)) })).filter((e) => e.parts.length);
    const fromLast = kept.filter((p) => !before.some((e) => e.parts.includes(p)));
    results.earlier = [...before, ...(fromLast.length ? [{ command: old.command, date: old.date, parts: fromLast, ...where }] : [])];
  }
  const needsCluster = opt.only.has("engine") || opt.only.has("deploy");
  // The deploy figures are of the control plane and fake nodes (the bench's made-up images cannot run), as in every
  // earlier result; the runtime part runs the reference application on real nodes, in a cluster of its own.
  const fake = new Cluster("the local control plane (fake nodes only)", STATE, 0);
  const real = new Cluster("the runtime part's cluster (real nodes)", RUNTIME_STATE, 2);
  const stopClusters = async () => {
    await fake.down();
    await real.down();
  };
  onInterrupt = stopClusters;
  if (opt.only.has("runtime")) {
    const other = otherRealNodes(RUNTIME_STATE);
    if (other) log(`WARNING: the real nodes of the cluster in ${other} run on this host: the runtime part (the last) will fail unless they are gone by then`);
  }
  // Results are written after every part, so a failure later keeps what was measured.
  const save = () => {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(join(out, "results.md"), markdown(results));
  };
  try {
    if (opt.only.has("mocks")) await mocksPart(sizes([10, 100, 1000]), rounds("mocks", 5), results);
    save();
    if (needsCluster || opt.only.has("render")) await sh("bash", ["scripts/toolchain/build-all.sh", "pulumi", "k8s"]);
    if (needsCluster) await fake.up();
    if (opt.only.has("engine")) await enginePart(sizes([10, 100]), rounds("engine", 3), results);
    save();
    if (opt.only.has("deploy")) await deployPart(opt.quick ? [10] : [10, 50, 100], rounds("deploy", 1), results);
    save();
    if (opt.only.has("render")) await renderPart(sizes([10, 100]), rounds("render", 3), results);
    save();
    if (opt.only.has("registration")) {
      if (!opt.only.has("render") && !needsCluster) await sh("bash", ["scripts/toolchain/build-all.sh", "pulumi", "k8s"]);
      await registrationPart(opt.quick ? 20 : 200, rounds("registration", 3), results);
    }
    save();
    if (opt.only.has("grouped")) {
      if (!opt.only.has("render") && !opt.only.has("registration") && !needsCluster) await sh("bash", ["scripts/toolchain/build-all.sh", "pulumi", "k8s"]);
      await groupedPart(sizes([10, 100, 1000]), sizes([10, 100]), rounds("grouped", 3), results);
    }
    save();
    if (opt.only.has("runtime")) {
      await sh("bash", ["scripts/toolchain/build-all.sh", "pulumi", "k8s", "addons"]);
      // An idle control plane would share the two cores with what the runtime part measures.
      await fake.down();
      await runtimePart(real, rounds("runtime", 3), results, save);
    }
  } finally {
    await stopClusters();
  }
  save();
  process.stdout.write(markdown(results));
  log(`results: ${join(out, "results.md")} and results.json`);
}

/** The commit the library was built from, and whether lib/ had uncommitted changes. */
function library(): { commit: string; libModified: boolean } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    return { commit: git("rev-parse", "HEAD"), libModified: git("status", "--porcelain", "--", "lib") !== "" };
  } catch {
    return { commit: "", libModified: false };
  }
}

function versions(): Record<string, string> {
  const v = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "";
    }
  };
  const env = readFileSync(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
  const pin = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(env)?.[1] ?? "";
  return {
    "@pulumi/pulumi": v("@pulumi/pulumi"),
    "@pulumi/kubernetes": v("@pulumi/kubernetes"),
    cdk8s: v("cdk8s"),
    "cdk8s-plus-33": v("cdk8s-plus-33"),
    "pulumi CLI": pin("PULUMI_VERSION"),
    "pulumi-resource-kubernetes": pin("PULUMI_KUBERNETES_VERSION"),
    kubernetes: pin("KUBERNETES_VERSION"),
  };
}

main().catch((e) => {
  process.stderr.write(`[bench] FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
