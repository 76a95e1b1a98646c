import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { AutoScaledService, FailoverGroup, StackDashboard } from "../../lib";
import { get, traffic, type TrafficResult } from "./support/http";
import { type Series, parseExposition, perturbed, select, show } from "./support/exposition";
import { eventually, getJson, kubectl, labelled, podsOf } from "./support/kube";
import { deployedQueries, selectorsOf } from "./support/queries";
import { inlineStack } from "./support/stack";

/**
 * Runtime behaviour of switchyard's components on real pods: the reference
 * application (examples/app) runs on the local cluster's real nodes (real-a
 * in zone-a, real-b in zone-b: containerd, kubelet, kube-proxy, CoreDNS,
 * metrics-server), deployed by the real engine, each stack in a namespace of
 * its own under Pod Security `restricted`.
 * - An AutoScaledService's HPA scales out on the CPU the test's requests
 *   burn (`GET /work`, a new connection each, so kube-proxy spreads them),
 *   never past `maxReplicas`, and back in once the load stops, with the
 *   scale-down behaviour given through switchyard's `autoscaling.behavior`.
 * - A zonal FailoverGroup keeps answering while zone-a's node is drained
 *   through the Eviction API: the PodDisruptionBudget switchyard derives for
 *   a group over named zones allows one zone's worth of replicas, so the
 *   drain completes although the evicted replicas cannot be scheduled
 *   elsewhere (the hard zone spread keeps them Pending); the zone-b replicas
 *   serve alone, never fewer than the budget's floor; after `uncordon` the
 *   group is whole again. Not one request fails.
 * - The kubelet's cAdvisor series (`/metrics/cadvisor` through the API
 *   server's node proxy) exist for every container of those services, and
 *   every cAdvisor selector of the deployed dashboard selects them.
 * Durations are reported (SWITCHYARD_E2E_VERBOSE, and as test annotations),
 * never asserted: deadlines are generous, the machine has 2 shared cores.
 */

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const IMAGE = process.env.SWITCHYARD_APP_IMAGE ?? "";
const CADVISOR = ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

type Annotate = (message: string, type?: string) => Promise<unknown>;

/** A measured number: printed when verbose, attached to the test as an annotation. */
async function report(annotate: Annotate, message: string): Promise<void> {
  log(`[runtime] ${message}\n`);
  await annotate(message, "measured");
}

function restrictedNamespace(name: string): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(name, { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
}

async function destroyStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.destroy({ onOutput: log }).catch(() => undefined);
  await stack.workspace.removeStack(stack.name).catch(() => undefined);
}

function deleteNamespace(namespace: string): void {
  try {
    kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
  } catch {
    // cluster gone
  }
}

/**
 * kubectl without blocking the event loop (the traffic and load loops run
 * meanwhile: a synchronous call would stall them and their timeouts).
 */
function kubectlAsync(args: readonly string[], timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("kubectl", [...args], { env: process.env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function kubeJson(args: readonly string[]): Promise<any> {
  const r = await kubectlAsync([...args, "-o", "json"], 30_000);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

interface PodState {
  readonly name: string;
  readonly node: string;
  readonly ready: boolean;
  readonly terminating: boolean;
  readonly phase: string;
  /** The scheduler's reason when the pod is not scheduled (e.g. "Unschedulable"). */
  readonly unscheduled?: string;
}

async function podStates(namespace: string, service: string): Promise<PodState[]> {
  const items = (await kubeJson(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${service}`])).items;
  return items.map((p: any) => {
    const conditions: any[] = p.status?.conditions ?? [];
    const scheduled = conditions.find((c) => c.type === "PodScheduled");
    return {
      name: p.metadata.name,
      node: p.spec.nodeName ?? "",
      ready: conditions.some((c) => c.type === "Ready" && c.status === "True"),
      terminating: Boolean(p.metadata.deletionTimestamp),
      phase: p.status?.phase ?? "",
      ...(scheduled?.status === "False" ? { unscheduled: scheduled.reason ?? "" } : {}),
    };
  });
}

/** Runs `fn` about every `everyMs` until stopped; returns the errors it threw. */
function sampler(fn: () => Promise<void>, everyMs = 1000) {
  let running = true;
  const errors: string[] = [];
  const done = (async () => {
    while (running) {
      try {
        await fn();
      } catch (e) {
        errors.push(String(e));
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<string[]> {
      running = false;
      await done;
      return errors;
    },
  };
}

/**
 * Open-loop CPU load: a `GET /work?ms=<burnMs>` every `everyMs` on a new
 * connection (no keep-alive), at most `maxInFlight` at a time.
 */
function cpuLoad(url: string, { everyMs, burnMs, maxInFlight }: { everyMs: number; burnMs: number; maxInFlight: number }) {
  let inFlight = 0;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const pods = new Set<string>();
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (inFlight >= maxInFlight) return;
    inFlight++;
    sent++;
    const p = get(`${url}/work?ms=${burnMs}`, 20_000)
      .then((a) => {
        if (a.status !== 200) throw new Error(`HTTP ${a.status}`);
        pods.add(JSON.parse(a.body).pod);
        ok++;
      })
      .catch(() => {
        failed++;
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { sent, ok, failed, pods };
    },
  };
}

/** `http://<ClusterIP>:<port>` of the Service of a switchyard service. */
function clusterUrl(namespace: string, service: string): string {
  const svc = getJson(["get", "services", "-n", namespace, "-l", `app.kubernetes.io/name=${service}`]).items[0];
  return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
}

/** One scrape of a real node's kubelet cAdvisor endpoint, through the API server's node proxy. */
function cadvisorOf(node: string): Series[] {
  return parseExposition(kubectl(["get", "--raw", `/api/v1/nodes/${node}/proxy/metrics/cadvisor`]));
}

/**
 * cAdvisor series exist for every running container of the service (with
 * `namespace`, `pod`, `container`), and every cAdvisor selector of the
 * queries switchyard deployed for it (PrometheusRules and the dashboard)
 * selects them, and only this service's pods; changing any matcher selects
 * nothing.
 */
async function checkCadvisor(namespace: string, service: string, annotate: Annotate): Promise<void> {
  const deployment = getJson(["get", "deployments", "-n", namespace, "-l", `app.kubernetes.io/name=${service}`]).items[0];
  const container: string = deployment.spec.template.spec.containers[0].name;
  const running = podsOf(namespace, service).filter((p) => p.ready);
  expect(running.length).toBeGreaterThan(0);
  const nodes = [...new Set(running.map((p) => p.node))];
  expect(nodes.every((n) => n.startsWith("real-"))).toBe(true);
  const own = (s: Series) => CADVISOR.includes(s.name) && s.labels.namespace === namespace;
  const missing = (series: readonly Series[]) =>
    running.flatMap((p) => CADVISOR.filter((m) => !series.some((s) => s.name === m && s.labels.pod === p.name && s.labels.container === container && s.labels.namespace === namespace)).map((m) => `${m}{pod="${p.name}",container="${container}"}`));
  const named = (series: readonly Series[]) => series.filter((s) => CADVISOR.includes(s.name) && (s.labels.container ?? "") !== "");
  let series: Series[] = [];
  // A new container's series appear at the kubelet's next cAdvisor housekeeping (10 s). Nodes
  // whose cAdvisor names no container at all 20 s on will not start to: no point waiting longer.
  const t0 = Date.now();
  for (;;) {
    series = nodes.flatMap(cadvisorOf);
    if (missing(series).length === 0 || Date.now() - t0 > 60_000 || (Date.now() - t0 > 20_000 && named(series).length === 0)) break;
    await sleep(2000);
  }
  const absent = missing(series);
  if (absent.length) {
    // Say why: the kubelet's cAdvisor knows the pods' cgroups but not their containers' names.
    const podLevel = series.filter((s) => own(s) && s.labels.container === "").map((s) => s.labels.pod);
    const containerLevel = named(series).length;
    throw new Error(
      `no cAdvisor series for ${absent.join(", ")} on ${nodes.join(", ")}. ` +
        `The nodes publish ${containerLevel} container-level series with a container label, and pod-level series (container="") for ${[...new Set(podLevel)].join(", ") || "none of this service's pods"}. ` +
        (containerLevel === 0
          ? "The kubelet's cAdvisor names no container at all: its containerd factory is not registered (the kubelet log says `Registration of the containerd container factory failed: … /run/containerd/containerd.sock`), because cAdvisor dials its own --containerd endpoint, not the kubelet's containerRuntimeEndpoint; the kubelet needs --containerd=<the node's containerd socket>."
          : ""),
    );
  }
  const { rules, dashboard } = deployedQueries(namespace);
  const selectors = selectorsOf([...rules, ...dashboard]).filter((s) => CADVISOR.includes(s.metric));
  // The dashboard's CPU and memory panels; the alerts read no cAdvisor series.
  expect(selectors.map((s) => s.metric).sort()).toEqual([...CADVISOR].sort());
  const runningNames = running.map((p) => p.name).sort();
  for (const sel of selectors) {
    const got = select(sel, series);
    expect(got.length, `${sel.source}: ${show(sel)} selects nothing`).toBeGreaterThan(0);
    // Every running replica, and nothing but this service's containers.
    expect(runningNames.filter((p) => !got.some((s) => s.labels.pod === p)), `${sel.source}: ${show(sel)} misses running pods`).toEqual([]);
    for (const s of got) {
      expect(s.labels.namespace).toBe(namespace);
      expect(s.labels.container).toBe(container);
      expect(s.labels.pod!.startsWith(`${deployment.metadata.name}-`)).toBe(true);
    }
  }
  expect(perturbed(selectors).filter((s) => select(s, series).length).map(show)).toEqual([]);
  const matched = selectors.reduce((n, s) => n + select(s, series).length, 0);
  await report(annotate, `cAdvisor (${service}): ${selectors.length} selectors matched ${matched} series of ${running.length} running pods on ${nodes.join(", ")}`);
}

describe("AutoScaledService on real CPU: the HPA scales out under load and back in without it", () => {
  const namespace = `e2e-rt-hpa-${randomBytes(3).toString("hex")}`;
  const service = "busy";
  const bounds = { minReplicas: 1, maxReplicas: 3 };
  let stack: Stack | undefined;
  let url = "";
  let hpa = "";

  afterAll(async () => {
    await destroyStack(stack);
    deleteNamespace(namespace);
  });

  const hpaStatus = async () => (await kubeJson(["get", "hpa", "-n", namespace, hpa])).status ?? {};

  it("up: one Ready replica on a real node; metrics-server reports its CPU and the HPA reads it", async ({ annotate }) => {
    expect(IMAGE, "SWITCHYARD_APP_IMAGE is not set: scripts/e2e/prepare.sh exports it").not.toBe("");
    stack = await inlineStack("e2e-runtime-hpa", async () => {
      const ns = restrictedNamespace(namespace);
      const api = new AutoScaledService(
        service,
        {
          image: IMAGE,
          env: { APP_ROLE: "api" },
          port: 8080,
          healthPath: "/healthz",
          namespace: ns.metadata.name,
          resources: { cpuRequest: "50m" },
          autoscaling: {
            ...bounds,
            cpuUtilization: 50,
            // switchyard's default waits 300 s before scaling in; a test cannot.
            behavior: { scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } },
          },
        },
        { dependsOn: [ns] },
      );
      new StackDashboard("runtime-hpa", { namespace: ns.metadata.name, services: [api] });
      return { hpa: api.autoscaler.metadata.name };
    });
    const t0 = Date.now();
    const res = await stack.up({ onOutput: log });
    hpa = res.outputs.hpa!.value;
    const pods = await eventually(() => {
      const p = podsOf(namespace, service);
      return p.length === 1 && p[0]!.ready ? p : undefined;
    }, 180_000, "one Ready replica");
    expect(pods[0]!.node).toMatch(/^real-/);
    url = clusterUrl(namespace, service);
    expect((await get(`${url}/`)).status).toBe(200);
    const spec = getJson(["get", "hpa", "-n", namespace, hpa]).spec;
    expect(spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 15 } } });
    expect(spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
    // metrics.k8s.io has the pod's CPU, and the HPA controller has read it.
    await eventually(() => {
      const m = JSON.parse(kubectl(["get", "--raw", `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods`]));
      return m.items.some((i: any) => i.metadata.name === pods[0]!.name && i.containers.length > 0);
    }, 180_000, "pod metrics from metrics-server");
    const tMetrics = Date.now();
    await eventually(async () => {
      const s = await hpaStatus();
      return (s.conditions ?? []).some((c: any) => c.type === "ScalingActive" && c.status === "True") && s.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined;
    }, 180_000, "the HPA to read the CPU utilization");
    await report(annotate, `hpa up: pods Ready and pod metrics after ${seconds(tMetrics - t0)}, HPA reading them after ${seconds(Date.now() - t0)}`);
  });

  it("under CPU load from many connections the HPA scales out above 1 (never above 3) and more replicas become Ready", async ({ annotate }) => {
    expect(url).not.toBe("");
    // About 0.75 cores of demand: 15 times the 50m request, so desired replicas hit the maximum.
    const load = cpuLoad(url, { everyMs: 200, burnMs: 150, maxInFlight: 12 });
    const t0 = Date.now();
    let maxSeen = 0;
    let maxUtilization = 0;
    let firstDesired = 0;
    let firstReady = 0;
    let atMax = 0;
    const watch = sampler(async () => {
      const s = await hpaStatus();
      maxSeen = Math.max(maxSeen, s.desiredReplicas ?? 0, s.currentReplicas ?? 0);
      maxUtilization = Math.max(maxUtilization, s.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? 0);
      if (!firstDesired && (s.desiredReplicas ?? 0) > 1) firstDesired = Date.now() - t0;
      if (!atMax && (s.desiredReplicas ?? 0) === bounds.maxReplicas) atMax = Date.now() - t0;
      const ready = (await podStates(namespace, service)).filter((p) => p.ready && !p.terminating).length;
      maxSeen = Math.max(maxSeen, ready);
      if (!firstReady && ready > 1) firstReady = Date.now() - t0;
    }, 2000);
    let seen: Awaited<ReturnType<typeof load.stop>>;
    let watchErrors: string[];
    try {
      await eventually(() => firstDesired > 0 && firstReady > 0, 240_000, "the HPA to scale out and a second replica to become Ready");
      // A little longer under load: it may reach the maximum, and must not pass it.
      await eventually(() => atMax > 0, 30_000, "desired replicas at the maximum").catch(() => undefined);
    } finally {
      seen = await load.stop();
      watchErrors = await watch.stop();
    }
    const status = await hpaStatus();
    const readyPods = podsOf(namespace, service).filter((p) => p.ready);
    await report(
      annotate,
      `hpa scale-up: desired > 1 after ${seconds(firstDesired)}, 2+ Ready after ${seconds(firstReady)}, desired at max ${atMax ? `after ${seconds(atMax)}` : "not reached"}; ` +
        `peak CPU utilization ${maxUtilization}% of the request; load: ${seen.sent} requests (${seen.ok} ok, ${seen.failed} failed) answered by ${seen.pods.size} pods; now ${status.currentReplicas}/${status.desiredReplicas} replicas, ${readyPods.length} Ready`,
    );
    expect(watchErrors.length, watchErrors.join("\n")).toBeLessThan(5);
    expect(maxSeen).toBeGreaterThan(1);
    expect(maxSeen).toBeLessThanOrEqual(bounds.maxReplicas);
    expect(maxUtilization).toBeGreaterThan(50);
    expect(status.desiredReplicas).toBeGreaterThan(1);
    expect(status.desiredReplicas).toBeLessThanOrEqual(bounds.maxReplicas);
    expect(readyPods.length).toBeGreaterThan(1);
    expect(readyPods.every((p) => p.node.startsWith("real-"))).toBe(true);
    expect(seen.ok).toBeGreaterThan(0);
  });

  it("without load it scales back in to minReplicas (1) after the 15 s window switchyard was given", async ({ annotate }) => {
    const t0 = Date.now();
    let firstDesired = 0;
    let maxSeen = 0;
    await eventually(async () => {
      const s = await hpaStatus();
      maxSeen = Math.max(maxSeen, s.desiredReplicas ?? 0, s.currentReplicas ?? 0);
      if (!firstDesired && s.desiredReplicas === 1) firstDesired = Date.now() - t0;
      const pods = (await podStates(namespace, service)).filter((p) => !p.terminating);
      return s.desiredReplicas === 1 && s.currentReplicas === 1 && pods.length === 1 && pods[0]!.ready;
    }, 300_000, "the HPA to scale back to 1 replica");
    await report(annotate, `hpa scale-down: desired 1 after ${seconds(firstDesired)}, one replica left after ${seconds(Date.now() - t0)}`);
    expect(maxSeen).toBeLessThanOrEqual(bounds.maxReplicas);
    expect((await get(`${url}/`)).status).toBe(200);
  });

  it("cAdvisor: every container of the service has CPU and memory series, and the dashboard's selectors select them", async ({ annotate }) => {
    await checkCadvisor(namespace, service, annotate);
  });

  it("destroy leaves nothing of the stack", async () => {
    await stack!.destroy({ onOutput: log });
    expect(labelled(`switchyard.dev/service=${service}`).filter((o) => o.namespace === namespace)).toEqual([]);
  });
});

describe("FailoverGroup on real nodes: zone-a drained under continuous traffic, not one request fails", () => {
  const suffix = randomBytes(3).toString("hex");
  const namespace = `e2e-rt-drain-${suffix}`;
  // Unique in the cluster: kubectl drain's --pod-selector spans every namespace on the node.
  const service = `zonal-${suffix}`;
  const replicas = 4;
  const node = "real-a";
  let stack: Stack | undefined;
  let url = "";
  let cordoned = false;

  const uncordon = () => {
    if (!cordoned) return;
    kubectl(["uncordon", node]);
    cordoned = false;
  };

  afterAll(async () => {
    try {
      uncordon();
    } catch {
      // cluster gone
    }
    await destroyStack(stack);
    deleteNamespace(namespace);
  });

  const selector = `app.kubernetes.io/name=${service}`;
  const drain = (extra: readonly string[]) =>
    kubectlAsync(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", `--pod-selector=${selector}`, ...extra], 300_000);
  const pdb = async () => (await kubeJson(["get", "poddisruptionbudgets", "-n", namespace, "-l", selector])).items[0];

  it("up: 4 replicas, 2 in each zone on the real nodes; the PDB allows one disruption", async ({ annotate }) => {
    expect(IMAGE, "SWITCHYARD_APP_IMAGE is not set: scripts/e2e/prepare.sh exports it").not.toBe("");
    stack = await inlineStack("e2e-runtime-drain", async () => {
      const ns = restrictedNamespace(namespace);
      const group = new FailoverGroup(
        service,
        { service: { image: IMAGE, env: { APP_ROLE: "api" }, port: 8080, healthPath: "/healthz", namespace: ns.metadata.name }, zones: ["zone-a", "zone-b"], replicas },
        { dependsOn: [ns] },
      );
      new StackDashboard("runtime-drain", { namespace: ns.metadata.name, services: [group] });
      return {};
    });
    const t0 = Date.now();
    await stack.up({ onOutput: log });
    const pods = await eventually(() => {
      const p = podsOf(namespace, service);
      return p.length === replicas && p.every((x) => x.ready) ? p : undefined;
    }, 180_000, `${replicas} Ready replicas`);
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(`${p.node}/${p.zone}`, (perNode.get(`${p.node}/${p.zone}`) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ "real-a/zone-a": 2, "real-b/zone-b": 2 });
    url = clusterUrl(namespace, service);
    expect((await get(`${url}/`)).status).toBe(200);
    const budget = await eventually(async () => {
      const b = await pdb();
      return b?.status?.currentHealthy === replicas && b.status.disruptionsAllowed === 2 ? b : undefined;
    }, 120_000, "the PDB to allow one zone's worth of disruptions");
    expect(budget.spec).toMatchObject({ maxUnavailable: 2, unhealthyPodEvictionPolicy: "AlwaysAllow" });
    expect(budget.status.desiredHealthy).toBe(replicas - 2);
    await report(annotate, `drain up: ${replicas} Ready replicas after ${seconds(Date.now() - t0)}`);
  });

  it("drain real-a through the Eviction API: the budget lets zone-a's replicas go, zone-b serves alone; uncordoned, the group is whole again", async ({ annotate }) => {
    expect(url).not.toBe("");
    const zoneOf = new Map<string, string>(podsOf(namespace, service).map((p) => [p.name, p.zone]));
    const nodeZone = new Map<string, string>(getJson(["get", "nodes"]).items.map((n: any) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"]]));
    const phases: { name: string; result: TrafficResult; ms: number }[] = [];
    // What the controllers and the scheduler show while the node drains, per phase.
    const EVICTING = "evictions (PDB honoured)";
    let current = "";
    const minReady = new Map<string, number>();
    let maxPending = 0;
    let pdbBreached = "";
    const reasons = new Set<string>();
    const watch = sampler(async () => {
      const stage = current;
      const pods = await podStates(namespace, service);
      for (const p of pods) if (p.node) zoneOf.set(p.name, nodeZone.get(p.node) ?? "");
      const ready = pods.filter((p) => p.ready && !p.terminating).length;
      minReady.set(stage, Math.min(minReady.get(stage) ?? Infinity, ready));
      const pending = pods.filter((p) => p.phase === "Pending" && !p.node);
      maxPending = Math.max(maxPending, pending.length);
      for (const p of pending) if (p.unscheduled) reasons.add(p.unscheduled);
      const b = await pdb();
      if (stage === EVICTING && b.status.currentHealthy < b.status.desiredHealthy && !pdbBreached) pdbBreached = JSON.stringify(b.status);
    }, 1000);
    const phase = async (name: string, body: () => Promise<void>) => {
      current = name;
      const load = traffic(`${url}/`, { concurrency: 2, pauseMs: 40 });
      const t0 = Date.now();
      try {
        await body();
      } finally {
        phases.push({ name, result: await load.stop(), ms: Date.now() - t0 });
      }
    };
    let evicting = { code: 0, stdout: "", stderr: "" };
    let watchErrors: string[] = [];
    try {
      cordoned = true; // drain cordons first
      // 1. Through the Eviction API, as `kubectl drain` does by default. The evicted replicas'
      //    replacements cannot be scheduled (zone-a has no other usable node, and the hard spread
      //    forbids a third replica in zone-b); the budget (one zone's worth) lets both go.
      await phase(EVICTING, async () => {
        await sleep(2000);
        evicting = await drain(["--timeout=120s"]);
        await sleep(2000);
      });
      // 2. Zone-a has no replica: every answer comes from zone-b.
      await phase("zone-b alone", () => sleep(5000));
      const alone = await podStates(namespace, service);
      watchErrors = await watch.stop();

      log(`[runtime] drain with evictions (exit ${evicting.code}):\n${evicting.stdout}${evicting.stderr}\n`);
      const evictOut = evicting.stdout + evicting.stderr;
      expect(evicting.code, evictOut).toBe(0); // the drain completed through the budget
      expect(evictOut).toMatch(/evicted/);
      expect(pdbBreached, "the PDB's healthy pods fell below its floor while it was honoured").toBe("");
      // While evictions went through the budget, at most one zone's worth was missing.
      expect(minReady.get(EVICTING)).toBeGreaterThanOrEqual(replicas - 2);
      // The evicted replicas' replacements wait: they cannot go to zone-a, and not to zone-b.
      expect(alone.filter((p) => !p.terminating && p.node === "").length).toBe(2);
      expect([...reasons]).toEqual(["Unschedulable"]);
      expect(alone.filter((p) => p.ready && !p.terminating).map((p) => zoneOf.get(p.name))).toEqual(["zone-b", "zone-b"]);
      const zoneB = phases.find((p) => p.name === "zone-b alone")!.result;
      expect(zoneB.ok).toBeGreaterThan(0);
      expect(new Set([...zoneB.pods.keys()].map((p) => zoneOf.get(p)))).toEqual(new Set(["zone-b"]));
    } finally {
      await watch.stop().catch(() => undefined);
      // 4. Always uncordon; the Pending replicas go back to zone-a.
      await phase("uncordoned, back to 4", async () => {
        const r = await kubectlAsync(["uncordon", node]);
        if (r.code === 0) cordoned = false;
        await eventually(async () => {
          const pods = await podStates(namespace, service);
          return pods.length === replicas && pods.every((p) => p.ready && !p.terminating);
        }, 240_000, `${replicas} Ready replicas again`);
      });
      const failed = phases.reduce((n, p) => n + p.result.failed, 0);
      const total = phases.reduce((n, p) => n + p.result.ok + p.result.failed, 0);
      await report(
        annotate,
        `drain: ${total} requests, ${failed} failed; ` +
          phases.map((p) => `${p.name}: ${p.result.ok} ok/${p.result.failed} failed in ${seconds(p.ms)} by ${p.result.pods.size} pods`).join("; ") +
          `; refused evictions: ${(evicting.stdout + evicting.stderr).match(/violate the pod's disruption budget/g)?.length ?? 0}; fewest Ready replicas per phase ${JSON.stringify(Object.fromEntries(minReady))}, most Pending ${maxPending}`,
      );
    }
    expect(watchErrors.length, watchErrors.join("\n")).toBeLessThan(5);
    for (const p of phases) expect(p.result.failures, `${p.name}: failed requests`).toEqual([]);
    const back = podsOf(namespace, service);
    expect(back.filter((p) => p.ready).map((p) => p.zone).sort()).toEqual(["zone-a", "zone-a", "zone-b", "zone-b"]);
    expect(getJson(["get", "node", node]).spec.unschedulable ?? false).toBe(false);
  });

  it("cAdvisor: every container of the group has CPU and memory series, and the dashboard's selectors select them", async ({ annotate }) => {
    await checkCadvisor(namespace, service, annotate);
  });

  it("destroy leaves nothing of the stack", async () => {
    await stack!.destroy({ onOutput: log });
    expect(labelled(`switchyard.dev/service=${service}`).filter((o) => o.namespace === namespace)).toEqual([]);
  });
});
