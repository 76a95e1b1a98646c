import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getJson, kubectl } from "./kube";
import { ROOT } from "./stack";

/**
 * Real NATS processes for the end-to-end tier: a `nats-server` with JetStream
 * and NACK's `jetstream-controller`, both built from the Go module proxy by
 * scripts/toolchain/build-nats.sh, both listening on 127.0.0.1 only. Every
 * process started here is stopped by `stop()`, and killed at the latest when
 * the test process exits.
 */

const started = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

/** Folders of the cached binaries (builds them first when they are not cached yet). */
export function natsBinaries(): { natsServer: string; jetstreamController: string } {
  const out = execFileSync("bash", [join(ROOT, "scripts/toolchain/build-nats.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString("utf8");
  const dirs = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
  return { natsServer: join(dirs["nats-server"]!, "nats-server"), jetstreamController: join(dirs.nack!, "jetstream-controller") };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A started process with its log file. */
export interface Started {
  readonly log: string;
  /** Stops the process (SIGTERM, SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** The last lines of its log, for failure messages. */
  tail(lines?: number): string;
}

export function launch(bin: string, args: readonly string[], dir: string, name: string): { proc: ChildProcess } & Started {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, "a");
  const proc = spawn(bin, [...args], { cwd: dir, env: process.env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  started.add(proc);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const tail = (lines = 40) => {
    try {
      return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  return {
    proc,
    log,
    tail,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      started.delete(proc);
    },
  };
}

/** Polls `url` until it answers 200; fails early when the process exits. */
export async function waitHttp(url: string, p: { proc: ChildProcess } & Started, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) {
      throw new Error(`${what} exited (${p.proc.exitCode ?? p.proc.signalCode}) before it was ready:\n${p.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready at ${url} after ${timeoutMs / 1000}s:\n${p.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface NatsServer extends Started {
  /** Client URL without credentials, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Monitoring endpoint, `127.0.0.1:<port>`. */
  readonly monitoringEndpoint: string;
  readonly user: string;
  readonly password: string;
  readonly storeDir: string;
}

/**
 * Starts `nats-server` with JetStream (file store in a temporary folder) and
 * user/password authentication on free 127.0.0.1 ports; resolves when its
 * health endpoint reports JetStream ready. The credentials live in the config
 * file, never on the command line.
 */
export async function startNatsServer(bin: string): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-nats-"));
  const [port, monitor] = [await freePort(), await freePort()];
  const user = "switchyard-e2e";
  const password = `nats-e2e-${randomBytes(12).toString("hex")}`;
  const storeDir = join(dir, "jetstream");
  const conf = join(dir, "nats.conf");
  writeFileSync(
    conf,
    [
      `server_name: switchyard-e2e`,
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${monitor}"`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)}, max_memory_store: 64MB, max_file_store: 1GB }`,
      `authorization { user: ${JSON.stringify(user)}, password: ${JSON.stringify(password)} }`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const p = launch(bin, ["-c", conf], dir, "nats-server");
  const stop = p.stop;
  const server: NatsServer = {
    ...p,
    url: `nats://127.0.0.1:${port}`,
    monitoringEndpoint: `127.0.0.1:${monitor}`,
    user,
    password,
    storeDir,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHttp(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`, p, "nats-server");
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * Starts NACK's jetstream-controller against the local API server (KUBECONFIG)
 * in control-loop mode, limited to `namespace` so it never touches another
 * test's objects. It connects to NATS only through the `Account` objects
 * (`--crd-connect`); the health probe is its only listener (127.0.0.1).
 */
export async function startNack(bin: string, namespace: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-nack-"));
  const health = await freePort();
  const p = launch(
    bin,
    ["--control-loop", "--crd-connect", `--namespace=${namespace}`, `--health-probe-bind-address=127.0.0.1:${health}`, `--cache-dir=${join(dir, "cache")}`, "--sync-interval=10s"],
    dir,
    "jetstream-controller",
  );
  const stop = p.stop;
  const nack: Started = {
    log: p.log,
    tail: p.tail,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHttp(`http://127.0.0.1:${health}/readyz`, p, "jetstream-controller");
  } catch (e) {
    await nack.stop();
    throw e;
  }
  return nack;
}

/** Polls an async `check` until it returns a truthy value; returns it. */
export async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The kinds NACK watches (and puts finalizers on). */
export const NACK_KINDS = ["accounts.jetstream.nats.io", "streams.jetstream.nats.io", "consumers.jetstream.nats.io"];

/** Removes NACK's finalizers from whatever is left in a namespace, so a failed run cannot wedge the cluster. */
export function releaseNackFinalizers(namespace: string): void {
  for (const kind of NACK_KINDS) {
    let items: any[] = [];
    try {
      items = getJson(["get", kind, "-n", namespace]).items;
    } catch {
      return;
    }
    for (const o of items) {
      if (o.metadata.finalizers?.length) kubectl(["patch", kind, "-n", namespace, o.metadata.name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    }
  }
}
