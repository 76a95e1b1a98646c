import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Series, parseExposition } from "./exposition";
import { type Started, freePort, launch, waitHttp } from "./nats";
import { ROOT } from "./stack";

/**
 * The real exporters switchyard's alerts and dashboards read, for the
 * end-to-end tier: kube-state-metrics against the local API server and
 * prometheus-nats-exporter against a test's nats-server, both built from the
 * Go module proxy by scripts/toolchain/build-exporters.sh and listening on
 * 127.0.0.1 only. `stop()` stops each one (and the test process kills any
 * left at exit, see support/nats.ts).
 */

/** The cached binaries (from prepare.sh's environment, else built or found by build-exporters.sh). */
export function exporterBinaries(): { kubeStateMetrics: string; natsExporter: string } {
  const { SWITCHYARD_KUBE_STATE_METRICS: ksm, SWITCHYARD_NATS_EXPORTER: nats } = process.env;
  if (ksm && nats) return { kubeStateMetrics: ksm, natsExporter: nats };
  const out = execFileSync("bash", [join(ROOT, "scripts/toolchain/build-exporters.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString("utf8");
  const dirs = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
  return {
    kubeStateMetrics: join(dirs["kube-state-metrics"]!, "kube-state-metrics"),
    natsExporter: join(dirs["prometheus-nats-exporter"]!, "prometheus-nats-exporter"),
  };
}

/** A running exporter and the URL of its metrics. */
export interface Exporter extends Started {
  readonly metricsUrl: string;
  /** One scrape, parsed. */
  scrape(): Promise<Series[]>;
}

async function scrape(url: string): Promise<Series[]> {
  const res = await fetch(url, { headers: { accept: "text/plain;version=0.0.4" }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return parseExposition(await res.text());
}

async function start(bin: string, args: (dir: string) => string[], name: string, ready: string, metricsUrl: string, dir: string): Promise<Exporter> {
  const p = launch(bin, args(dir), dir, name);
  const exporter: Exporter = {
    log: p.log,
    tail: p.tail,
    metricsUrl,
    scrape: () => scrape(metricsUrl),
    async stop() {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHttp(ready, p, name);
  } catch (e) {
    await exporter.stop();
    throw e;
  }
  return exporter;
}

/**
 * kube-state-metrics against the API server of `kubeconfig`, watching only
 * `namespaces` (so other tests' objects never show up), its metrics and its
 * own telemetry on free 127.0.0.1 ports.
 */
export async function startKubeStateMetrics(bin: string, o: { kubeconfig: string; namespaces: readonly string[] }): Promise<Exporter> {
  const [port, telemetry] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "switchyard-ksm-"));
  return start(
    bin,
    () => [
      "--host=127.0.0.1",
      `--port=${port}`,
      "--telemetry-host=127.0.0.1",
      `--telemetry-port=${telemetry}`,
      `--kubeconfig=${o.kubeconfig}`,
      `--namespaces=${o.namespaces.join(",")}`,
    ],
    "kube-state-metrics",
    `http://127.0.0.1:${port}/healthz`,
    `http://127.0.0.1:${port}/metrics`,
    dir,
  );
}

/** prometheus-nats-exporter with every JetStream metric (`-jsz=all`), reading a nats-server's monitoring endpoint (`host:port`). */
export async function startNatsExporter(bin: string, monitoringEndpoint: string): Promise<Exporter> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "switchyard-nats-exporter-"));
  const url = `http://127.0.0.1:${port}/metrics`;
  return start(bin, () => ["-jsz=all", "-addr=127.0.0.1", `-port=${port}`, `http://${monitoringEndpoint}`], "prometheus-nats-exporter", url, url, dir);
}
