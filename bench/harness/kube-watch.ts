/**
 * kubectl for the runtime part: asynchronous calls (the load loops run in the
 * same process, a synchronous call would stall them), and watches that record
 * when this process saw each change (`performance.now()`), so timings have the
 * resolution of the watch, not of the API's one-second timestamps.
 * kubectl is the one on PATH (bench/run.sh puts the cluster's first) and
 * talks to $KUBECONFIG.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";

/** kubectl processes running now (a drain, the watches): stopped by `stopAll()` when the benchmark is interrupted. */
const running = new Set<ChildProcess>();

export function stopAll(): void {
  for (const p of running) p.kill("SIGTERM");
}

export function kubectl(args: readonly string[], timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile("kubectl", [...args], { env: process.env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      running.delete(p);
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    running.add(p);
  });
}

export async function kubeJson(args: readonly string[]): Promise<any> {
  const r = await kubectl([...args, "-o", "json"], 60_000);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** For signal handlers and `finally` blocks that must finish before the process exits. */
export function kubectlSync(args: readonly string[]): string {
  return execFileSync("kubectl", [...args], { env: process.env, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 }).toString("utf8");
}

/**
 * `kubectl get <what> --watch --output-watch-events -o jsonpath=<columns>`:
 * calls `onEvent(type, columns, at)` for every event (ADDED, MODIFIED,
 * DELETED). A column is a path in the object (".metadata.name"); a list
 * (".items[*].name") comes space-separated.
 */
export function watch(what: readonly string[], columns: readonly string[], onEvent: (type: string, cols: string[], at: number) => void) {
  // (kubectl aligns tabs into spaces: the columns are separated by "|", which no name or status holds)
  const template = `{.type}|${columns.map((c) => `{.object${c}}`).join("|")}{"\\n"}`;
  const p = spawn("kubectl", ["get", ...what, "--watch", "--output-watch-events", "-o", `jsonpath=${template}`], {
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(p);
  p.once("exit", () => running.delete(p));
  let buf = "";
  let err = "";
  p.stdout.setEncoding("utf8");
  p.stdout.on("data", (d: string) => {
    const at = performance.now();
    buf += d;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const [type, ...cols] = line.split("|");
      onEvent(type ?? "", cols, at);
    }
  });
  p.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
  let stopped = false;
  return {
    /** stderr of kubectl, if it complained. */
    errors: () => err.trim(),
    exited: () => p.exitCode !== null && !stopped,
    stop() {
      stopped = true;
      p.kill("SIGTERM");
    },
  };
}

export interface PodSeen {
  readonly name: string;
  node: string;
  ready: boolean;
  terminating: boolean;
  gone: boolean;
  /** When this process first saw the pod, and first saw it scheduled and Ready. */
  readonly firstSeen: number;
  scheduledAt?: number;
  readyAt?: number;
}

/** Every pod matching a label selector (all namespaces), as it changes. */
export function watchPods(selector: string, onChange: () => void = () => undefined) {
  const pods = new Map<string, PodSeen>();
  const w = watch(
    ["pods", "--all-namespaces", "-l", selector],
    [".metadata.name", ".spec.nodeName", '.status.conditions[?(@.type=="Ready")].status', ".metadata.deletionTimestamp"],
    (type, [name = "", node = "", ready = "", deleting = ""], at) => {
      let p = pods.get(name);
      if (!p) {
        p = { name, node: "", ready: false, terminating: false, gone: false, firstSeen: at };
        pods.set(name, p);
      }
      p.node = node;
      p.ready = ready === "True";
      p.terminating = deleting !== "";
      if (type === "DELETED") p.gone = true;
      if (node && p.scheduledAt === undefined) p.scheduledAt = at;
      if (p.ready && p.readyAt === undefined) p.readyAt = at;
      onChange();
    },
  );
  return {
    ...w,
    pods,
    /** Pods that exist and are not being deleted. */
    live: () => [...pods.values()].filter((p) => !p.gone && !p.terminating),
    ready: () => [...pods.values()].filter((p) => !p.gone && !p.terminating && p.ready),
  };
}

/** Waits until `check()` holds, polling every `everyMs`; false when `timeoutMs` passed first. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // (a kubectl call that failed once: try again)
    }
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
