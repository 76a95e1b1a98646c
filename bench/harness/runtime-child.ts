/**
 * One round of one scenario of the runtime part, against a cluster with real
 * nodes (real-a in zone-a, real-b in zone-b), deployed through the real engine
 * (Automation API, inline program), in a fresh process:
 *   node runtime-child.js <zonal|hpa> <round> <image>
 * KUBECONFIG names the cluster; kubectl on PATH matches it.
 *
 * What each scenario does in numbers (replicas, load, durations) is in
 * RUNTIME_SETTINGS (runtime-settings.ts).
 * zonal: a FailoverGroup of the reference application over zone-a and zone-b
 *   (4 replicas, two per zone):
 *   1. `pulumi up`, and each pod's start: created -> Ready (this process's
 *      watch), PodScheduled -> Ready (the pod's condition timestamps), and
 *      the Deployment's creation -> each pod Ready;
 *   2. requests/s through its Service: closed loops of `GET /` to the
 *      ClusterIP, a new connection each; latency percentiles;
 *   3. a rolling update (APP_VERSION v1 -> v2 through `pulumi up`) under
 *      continuous traffic: failed requests, the rollout's duration;
 *   4. zone loss: real-a drained of the group's pods (deleted gracefully:
 *      `kubectl drain --pod-selector --disable-eviction`) under continuous
 *      traffic: failed requests, time until only zone-b answers; then
 *      uncordoned (always) and the time until the group is whole again.
 * hpa: an AutoScaledService (cpuRequest 50m, 50 % CPU target, 1 to 3
 *   replicas, scale-down window 15 s) under CPU load (`GET /work?ms=200`,
 *   open loop): time to desired replicas > 1, to those pods Ready, and after
 *   the load stops, back to one replica.
 * Everything is destroyed at the end (a stack left by a killed run first).
 * Timings are reported, never asserted; only a scenario that cannot proceed
 * (no Ready pods, no Service) fails.
 */
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { AutoScaledService, FailoverGroup } from "@switchyard/pulumi";
import { type Sample, get, loops, openLoop, percentile, tally } from "./http-load";
import { kubeJson, kubectl, kubectlSync, sleep, stopAll, until, watch, watchPods } from "./kube-watch";
import { emit } from "./measure";
import { RUNTIME_PROJECT, RUNTIME_SCENARIOS, RUNTIME_SETTINGS as SETTINGS } from "./runtime-settings";

const [scenario, roundArg, image] = process.argv.slice(2);
const round = Number(roundArg);
if (!(RUNTIME_SCENARIOS as readonly string[]).includes(scenario ?? "") || !Number.isInteger(round) || !image) {
  console.error(`usage: runtime-child.js <${RUNTIME_SCENARIOS.join("|")}> <round> <image>`);
  process.exit(2);
}

const log = (s: string) => process.stderr.write(`[runtime ${scenario} ${round}] ${s}\n`);
const now = () => performance.now();
const s1 = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? "–" : `${(ms / 1000).toFixed(1)} s`);

// ------------------------------------------------------------ interrupts --
/**
 * SIGINT/SIGTERM: kubectl processes (a drain, the watches) are stopped, real-a
 * uncordoned, the running Pulumi operation aborted through the Automation API
 * (the CLI cancels and stops its plugins); once it has ended the process exits
 * 130, reporting nothing and destroying nothing (the parent stops the cluster
 * it started; a later run destroys what is left in the stacks).
 */
let interrupted = false;
const abort = new AbortController();
const cleanups = new Set<() => void>();
let pulumiOp: Promise<unknown> | undefined;
/** A Pulumi operation, known to the signal handler so that it can wait for its cancellation. */
async function pulumiOperation<T>(p: Promise<T>): Promise<T> {
  pulumiOp = p;
  try {
    return await p;
  } finally {
    pulumiOp = undefined;
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    stopAll();
    for (const c of cleanups) {
      try {
        c();
      } catch (e) {
        log(`cleanup on ${signal}: ${String(e)}`);
      }
    }
    abort.abort();
    void (pulumiOp ?? Promise.resolve())
      .catch(() => undefined)
      .finally(() => {
        log(`${signal}: stopped`);
        process.exit(130);
      });
  });
}

// ----------------------------------------------------------------- stack --
function envVars(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

async function openStack(name: string, program: () => Promise<Record<string, unknown>>): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: RUNTIME_PROJECT, program },
    { envVars: envVars(), projectSettings: { name: RUNTIME_PROJECT, runtime: "nodejs" } },
  );
  // One operation per stack at a time: a lock can only be left by an earlier, killed run.
  await stack.cancel().catch(() => undefined);
  // Resources left by an earlier, killed run go first: this round starts from nothing.
  const left = ((await stack.exportStack()).deployment?.resources ?? []).length;
  if (left) {
    log(`destroying ${left} resources an earlier run left in stack ${name}`);
    await pulumiOperation(stack.destroy({ signal: abort.signal }));
  }
  return stack;
}

async function destroyStack(stack: Stack): Promise<number> {
  const t0 = now();
  await pulumiOperation(stack.destroy({ signal: abort.signal }));
  const ms = now() - t0;
  await stack.workspace.removeStack(stack.name, { force: true });
  return ms;
}

function restrictedNamespace(name: string): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(name, {
    metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } },
  });
}

/** `http://<ClusterIP>:<port>` of a Service. */
async function clusterUrl(namespace: string, service: string): Promise<string> {
  const svc = await kubeJson(["get", "service", "-n", namespace, service]);
  return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
}

const iso = (t: string | undefined) => (t ? Date.parse(t) : NaN);

// ----------------------------------------------------------------- zonal --
async function zonal(): Promise<Record<string, unknown>> {
  const namespace = `bench-rt-zonal-${round}`;
  // Unique in the cluster: kubectl drain's --pod-selector spans every namespace on the node.
  const name = `rt-zonal-${round}`;
  const selector = `app.kubernetes.io/name=${name}`;
  const state = { version: "v1" };
  const program = async () => {
    const ns = restrictedNamespace(namespace);
    const group = new FailoverGroup(
      name,
      {
        service: { image: image!, env: { APP_VERSION: state.version }, port: 8080, healthPath: "/healthz", namespace: ns.metadata.name, partOf: "bench" },
        zones: [...SETTINGS.zones],
        replicas: SETTINGS.replicas,
      },
      { dependsOn: [ns] },
    );
    return { service: group.serviceName, deployment: group.members[0]!.workload.deployment.metadata.name };
  };
  const node = SETTINGS.drainedNode;
  // A node left cordoned by a killed run would keep zone-a's pods Pending.
  await kubectl(["uncordon", node]);
  const stack = await openStack(`runtime-zonal-${round}`, program);
  const result: Record<string, unknown> = { scenario: "zonal", round, settings: SETTINGS };
  const pods = watchPods(selector);
  let deploymentCreatedAt: number | undefined;
  const rollout = { generation: 0, startedAt: undefined as number | undefined, completeAt: undefined as number | undefined, base: 0 };
  const deployments = watch(
    ["deployments", "--all-namespaces", "-l", selector],
    [".metadata.generation", ".status.observedGeneration", ".spec.replicas", ".status.replicas", ".status.updatedReplicas", ".status.availableReplicas"],
    (type, cols, at) => {
      if (type === "ADDED" && deploymentCreatedAt === undefined) deploymentCreatedAt = at;
      const [gen, observed, want, have, updated, available] = cols.map((c) => Number(c || "0"));
      rollout.generation = gen!;
      if (rollout.base && gen! > rollout.base && rollout.startedAt === undefined) rollout.startedAt = at;
      if (rollout.startedAt !== undefined && rollout.completeAt === undefined && observed! >= gen! && updated === want && have === want && available === want) {
        rollout.completeAt = at;
      }
    },
  );
  cleanups.add(pods.stop);
  cleanups.add(deployments.stop);
  let cordoned = false;
  const uncordon = () => {
    if (!cordoned) return;
    kubectlSync(["uncordon", node]);
    cordoned = false;
  };
  cleanups.add(uncordon);
  try {
    await sleep(1000); // the watches have listed
    // 1. up, and the pods' start.
    const t0 = now();
    const up = await pulumiOperation(stack.up({ signal: abort.signal }));
    const upMs = now() - t0;
    const service = String(up.outputs.service!.value);
    if (!(await until(() => pods.ready().length === SETTINGS.replicas, 180_000))) throw new Error(`${SETTINGS.replicas} Ready pods did not appear (${pods.ready().length} Ready)`);
    const first = [...pods.pods.values()].filter((p) => p.readyAt !== undefined);
    const objects = (await kubeJson(["get", "pods", "-n", namespace, "-l", selector])).items as any[];
    const condition = (p: any, type: string) => iso((p.status?.conditions ?? []).find((c: any) => c.type === type)?.lastTransitionTime);
    const scheduledToReadyMs = objects.map((p) => condition(p, "Ready") - condition(p, "PodScheduled"));
    const perNode: Record<string, number> = {};
    for (const p of objects) perNode[p.spec.nodeName] = (perNode[p.spec.nodeName] ?? 0) + 1;
    result.up = {
      upMs,
      pods: first.length,
      perNode,
      deploymentCreatedMs: deploymentCreatedAt !== undefined ? deploymentCreatedAt - t0 : NaN,
      /** Up start -> each pod Ready, as seen by the watch. */
      upStartToReadyMs: first.map((p) => p.readyAt! - t0),
      /** The Deployment's creation -> each pod Ready (watch). */
      deploymentToReadyMs: first.map((p) => p.readyAt! - (deploymentCreatedAt ?? NaN)),
      /** Pod created -> Ready (watch). */
      createdToReadyMs: first.map((p) => p.readyAt! - p.firstSeen),
      /** PodScheduled -> Ready from the pods' condition timestamps (whole seconds). */
      scheduledToReadyMs,
    };
    log(
      `up ${s1(upMs)}; pods created -> Ready median ${s1(percentile(first.map((p) => p.readyAt! - p.firstSeen), 50))}, ` +
        `Deployment created -> last pod Ready ${s1(Math.max(...first.map((p) => p.readyAt! - (deploymentCreatedAt ?? NaN))))}; per node ${JSON.stringify(perNode)}`,
    );

    // 2. Requests per second through the Service.
    const url = await clusterUrl(namespace, service);
    const ping = await get(`${url}/`);
    if (ping.status !== 200) throw new Error(`GET ${url}/: HTTP ${ping.status}`);
    const warm = loops(`${url}/`, { concurrency: SETTINGS.concurrency });
    await sleep(SETTINGS.warmupSeconds * 1000);
    await warm.stop();
    const cpu0 = process.cpuUsage();
    const tl0 = now();
    const load = loops(`${url}/`, { concurrency: SETTINGS.concurrency });
    await sleep(SETTINGS.seconds * 1000);
    const samples = await load.stop();
    const loadMs = now() - tl0;
    const cpu = process.cpuUsage(cpu0);
    const latencies = samples.filter((s) => s.ok).map((s) => s.ms);
    const t = tally(samples);
    result.throughput = {
      ...t,
      seconds: loadMs / 1000,
      rps: samples.length / (loadMs / 1000),
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      clientCpuPct: ((cpu.user + cpu.system) / 1000 / loadMs) * 100,
    };
    log(`throughput: ${(samples.length / (loadMs / 1000)).toFixed(0)} req/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ${t.failed} failed, answered by ${Object.keys(t.pods).length} pods`);

    // 3. Rolling update under traffic.
    const traffic = loops(`${url}/`, { concurrency: SETTINGS.trafficConcurrency, pauseMs: SETTINGS.trafficPauseMs });
    await sleep(2000);
    rollout.base = rollout.generation;
    state.version = "v2";
    const tu0 = now();
    await pulumiOperation(stack.up({ signal: abort.signal }));
    const rollUpMs = now() - tu0;
    await until(() => rollout.completeAt !== undefined, 180_000);
    await sleep(2000);
    const rollSamples = await traffic.stop();
    const rt = tally(rollSamples);
    const lastOld = Math.max(...rollSamples.filter((s) => s.ok && s.version === "v1").map((s) => s.at));
    const firstNew = Math.min(...rollSamples.filter((s) => s.ok && s.version === "v2").map((s) => s.at));
    result.rollout = {
      ...rt,
      upMs: rollUpMs,
      /** The Deployment's new generation seen -> every replica updated and available (watch). */
      rolloutMs: (rollout.completeAt ?? NaN) - (rollout.startedAt ?? NaN),
      firstNewAnswerMs: firstNew - tu0,
      lastOldAnswerMs: lastOld - tu0,
    };
    log(`rollout: up ${s1(rollUpMs)}, rollout ${s1((rollout.completeAt ?? NaN) - (rollout.startedAt ?? NaN))}; ${rt.requests} requests, ${rt.failed} failed ${rt.failures.join("; ")}`);

    // 4. Zone loss: real-a drained of the group's pods under traffic.
    const nodes = (await kubeJson(["get", "nodes"])).items as any[];
    const zoneOfNode = new Map<string, string>(nodes.map((n) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"]]));
    const zoneOf = (pod: string | undefined) => zoneOfNode.get(pods.pods.get(pod ?? "")?.node ?? "") ?? "";
    const slices = new Map<string, { zone: string; ready: boolean }[]>();
    let zoneBOnlyAt: number | undefined;
    let drainStart = Infinity;
    const sliceWatch = watchSlices(namespace, service, (slice, eps, gone, at) => {
      if (gone) slices.delete(slice);
      else slices.set(slice, eps);
      const ready = [...slices.values()].flat().filter((e) => e.ready);
      if (at > drainStart && zoneBOnlyAt === undefined && ready.length > 0 && ready.every((e) => e.zone === "zone-b")) zoneBOnlyAt = at;
    });
    cleanups.add(sliceWatch.stop);
    const lossTraffic = loops(`${url}/`, { concurrency: SETTINGS.trafficConcurrency, pauseMs: SETTINGS.trafficPauseMs });
    let lossSamples: Sample[] = [];
    let drain = { code: 0, stdout: "", stderr: "" };
    let drainMs = NaN;
    let wholeMs = NaN;
    try {
      await sleep(2000);
      cordoned = true; // drain cordons first
      drainStart = now();
      drain = await kubectl(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--disable-eviction", `--pod-selector=${selector}`, "--timeout=180s"], 240_000);
      drainMs = now() - drainStart;
      await sleep(5000); // zone-b alone
    } finally {
      lossSamples = await lossTraffic.stop();
      const tu = now();
      uncordon();
      if (!interrupted) {
        if (await until(() => pods.ready().length === SETTINGS.replicas && pods.live().length === SETTINGS.replicas, 240_000)) wholeMs = now() - tu;
      }
      sliceWatch.stop();
    }
    if (drain.code !== 0) log(`drain exited ${drain.code}: ${drain.stderr.trim()}`);
    const after = lossSamples.filter((s) => s.at > drainStart);
    const lt = tally(lossSamples);
    const zoneAAnswers = after.filter((s) => s.ok && zoneOf(s.pod) === "zone-a");
    const byZone: Record<string, number> = {};
    for (const s of after) if (s.ok) byZone[zoneOf(s.pod) || "?"] = (byZone[zoneOf(s.pod) || "?"] ?? 0) + 1;
    const beforeZones: Record<string, number> = {};
    for (const s of lossSamples.filter((x) => x.at <= drainStart)) if (s.ok) beforeZones[zoneOf(s.pod) || "?"] = (beforeZones[zoneOf(s.pod) || "?"] ?? 0) + 1;
    result.zoneLoss = {
      ...lt,
      drainExit: drain.code,
      drainMs,
      /** Drain start -> the last answer from a zone-a pod (0: none after the start). */
      lastZoneAAnswerMs: zoneAAnswers.length ? Math.max(...zoneAAnswers.map((s) => s.at)) - drainStart : 0,
      /** Drain start -> every ready endpoint of the Service in zone-b (EndpointSlice watch). */
      endpointsZoneBOnlyMs: (zoneBOnlyAt ?? NaN) - drainStart,
      answersBeforeByZone: beforeZones,
      answersAfterByZone: byZone,
      /** Uncordon -> every replica Ready again (two per zone). */
      uncordonToWholeMs: wholeMs,
    };
    log(
      `zone loss: ${lt.requests} requests, ${lt.failed} failed ${lt.failures.join("; ")}; drain ${s1(drainMs)}, only zone-b endpoints after ${s1((zoneBOnlyAt ?? NaN) - drainStart)}, ` +
        `last zone-a answer ${s1(zoneAAnswers.length ? Math.max(...zoneAAnswers.map((s) => s.at)) - drainStart : 0)}; whole again ${s1(wholeMs)} after uncordon`,
    );
  } finally {
    try {
      uncordon();
    } catch (e) {
      log(`uncordon ${node} failed: ${String(e)}`);
    }
    pods.stop();
    deployments.stop();
    // (also after a failed up: whatever it created goes)
    if (!interrupted) result.destroyMs = await destroyStack(stack);
  }
  return result;
}

/** The endpoints of a Service's EndpointSlices (zone, ready) as they change. */
function watchSlices(namespace: string, service: string, onChange: (slice: string, endpoints: { zone: string; ready: boolean }[], gone: boolean, at: number) => void) {
  return watch(
    ["endpointslices", "-n", namespace, "-l", `kubernetes.io/service-name=${service}`],
    // (two lists, zipped: a jsonpath range fails on a slice without endpoints; every endpoint of a real node has a zone)
    [".metadata.name", ".endpoints[*].zone", ".endpoints[*].conditions.ready"],
    (type, [name = "", zones = "", ready = ""], at) => {
      const r = ready.split(" ");
      const list = zones
        .split(" ")
        .filter(Boolean)
        .map((zone, i) => ({ zone, ready: r[i] === "true" }));
      onChange(name, list, type === "DELETED", at);
    },
  );
}

// ------------------------------------------------------------------- hpa --
async function hpa(): Promise<Record<string, unknown>> {
  const h = SETTINGS.hpa;
  const namespace = `bench-rt-hpa-${round}`;
  const name = `rt-busy-${round}`;
  const selector = `app.kubernetes.io/name=${name}`;
  const program = async () => {
    const ns = restrictedNamespace(namespace);
    const svc = new AutoScaledService(
      name,
      {
        image: image!,
        port: 8080,
        healthPath: "/healthz",
        namespace: ns.metadata.name,
        partOf: "bench",
        resources: { cpuRequest: h.cpuRequest },
        autoscaling: {
          minReplicas: h.minReplicas,
          maxReplicas: h.maxReplicas,
          cpuUtilization: h.cpuUtilization,
          // switchyard's default waits 300 s before scaling in.
          behavior: { scaleDown: { stabilizationWindowSeconds: h.scaleDownWindowSeconds, policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } },
        },
      },
      { dependsOn: [ns] },
    );
    return { service: svc.serviceName, hpa: svc.autoscaler.metadata.name };
  };
  const stack = await openStack(`runtime-hpa-${round}`, program);
  const result: Record<string, unknown> = { scenario: "hpa", round, settings: SETTINGS };
  const hpaState = { desired: 0, current: 0, utilization: NaN, active: false };
  let onChange = () => undefined as void;
  const pods = watchPods(selector, () => onChange());
  cleanups.add(pods.stop);
  let hpaWatch: ReturnType<typeof watch> | undefined;
  try {
    await sleep(1000);
    const t0 = now();
    const up = await pulumiOperation(stack.up({ signal: abort.signal }));
    const upMs = now() - t0;
    const service = String(up.outputs.service!.value);
    const hpaName = String(up.outputs.hpa!.value);
    hpaWatch = watch(
      ["hpa", "-n", namespace, hpaName],
      [".status.desiredReplicas", ".status.currentReplicas", ".status.currentMetrics[0].resource.current.averageUtilization", '.status.conditions[?(@.type=="ScalingActive")].status'],
      (_type, [desired = "", current = "", utilization = "", active = ""]) => {
        hpaState.desired = Number(desired || "0");
        hpaState.current = Number(current || "0");
        hpaState.utilization = utilization === "" ? NaN : Number(utilization);
        hpaState.active = active === "True";
        onChange();
      },
    );
    cleanups.add(hpaWatch.stop);
    if (!(await until(() => pods.ready().length === h.minReplicas, 180_000))) throw new Error("no Ready pod");
    const url = await clusterUrl(namespace, service);
    // metrics-server has the pod's CPU and the HPA controller has read it: scaling can act.
    const metrics = await until(() => hpaState.active && Number.isFinite(hpaState.utilization), 300_000, 250);
    const metricsMs = now() - t0;
    log(`up ${s1(upMs)}; the HPA reads the pod's CPU ${metrics ? `${s1(metricsMs)} after up started` : "NOT within 300 s"}`);

    // Load: open loop, a request every everyMs burning burnMs (about burnMs / everyMs cores).
    const tl = now();
    let desiredAbove1: number | undefined;
    let scaledReady: number | undefined;
    let peakDesired = 0;
    let peakUtilization = 0;
    let peakReady = 0;
    onChange = () => {
      const at = now();
      peakDesired = Math.max(peakDesired, hpaState.desired);
      if (Number.isFinite(hpaState.utilization)) peakUtilization = Math.max(peakUtilization, hpaState.utilization);
      const ready = pods.ready().length;
      peakReady = Math.max(peakReady, ready);
      if (desiredAbove1 === undefined && hpaState.desired > 1) desiredAbove1 = at;
      if (desiredAbove1 !== undefined && scaledReady === undefined && ready >= hpaState.desired && hpaState.desired > 1) scaledReady = at;
    };
    const load = openLoop(`${url}/work?ms=${h.burnMs}`, { everyMs: h.everyMs, maxInFlight: h.maxInFlight });
    cleanups.add(() => void load.stop());
    await until(() => scaledReady !== undefined, 300_000);
    await sleep(h.holdSeconds * 1000);
    const stopped = await load.stop();
    const loadEnd = now();
    const lt = tally(stopped.samples);
    // Scale-in after the load.
    let desired1: number | undefined;
    let oneLeft: number | undefined;
    onChange = () => {
      const at = now();
      if (desired1 === undefined && hpaState.desired === 1) desired1 = at;
      if (oneLeft === undefined && hpaState.desired === 1 && pods.live().length === 1 && [...pods.pods.values()].filter((p) => !p.gone).length === 1) oneLeft = at;
    };
    onChange();
    await until(() => oneLeft !== undefined, 300_000);
    result.hpa = {
      upMs,
      metricsMs,
      load: { ...lt, seconds: (loadEnd - tl) / 1000, skipped: stopped.skipped },
      desiredAbove1Ms: (desiredAbove1 ?? NaN) - tl,
      /** Load start -> as many Ready pods as the HPA first asked for above 1. */
      scaledReadyMs: (scaledReady ?? NaN) - tl,
      peakDesired,
      peakReady,
      peakUtilization,
      /** Load stop -> desired 1; -> one pod left (the others deleted). */
      desired1Ms: (desired1 ?? NaN) - loadEnd,
      oneReplicaMs: (oneLeft ?? NaN) - loadEnd,
    };
    log(
      `load ${lt.requests} requests (${lt.failed} failed); desired > 1 after ${s1((desiredAbove1 ?? NaN) - tl)}, ready after ${s1((scaledReady ?? NaN) - tl)}, ` +
        `peak desired ${peakDesired} at ${peakUtilization}% CPU; after the load: desired 1 after ${s1((desired1 ?? NaN) - loadEnd)}, one pod after ${s1((oneLeft ?? NaN) - loadEnd)}`,
    );
  } finally {
    pods.stop();
    hpaWatch?.stop();
    // (also after a failed up: whatever it created goes)
    if (!interrupted) result.destroyMs = await destroyStack(stack);
  }
  return result;
}

async function main(): Promise<void> {
  const r = scenario === "zonal" ? await zonal() : await hpa();
  emit(r);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(interrupted ? 130 : 1);
  },
);
