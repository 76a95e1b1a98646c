import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { type NatsConnection, StringCodec, connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutoScaledService, EventService, FailoverGroup, NatsJetStream, StackDashboard, Subscription, Topic } from "../../lib";
import { parsePromQL } from "../support/promql";
import { type Exporter, exporterBinaries, startKubeStateMetrics, startNatsExporter } from "./support/exporters";
import { type Series, perturbed, select, show } from "./support/exposition";
import { eventually, kubectl, labelled, podsOf } from "./support/kube";
import { type NatsServer, type Started, natsBinaries, releaseNackFinalizers, startNack, startNatsServer, until } from "./support/nats";
import { type SourcedSelector, deployedQueries, evalComparison, selectorsOf } from "./support/queries";
import { inlineStack } from "./support/stack";
import { ON_FAKE_NODES } from "./support/placement";

/**
 * The alert and dashboard queries switchyard generates select series that the
 * real exporters publish, under the real object names. Two stacks are
 * deployed; their PrometheusRules and dashboard ConfigMap are read back from
 * the API server, every vector selector is extracted with Prometheus's own
 * PromQL grammar, and each is matched (metric name and every label matcher,
 * regexes fully anchored) against one scrape of the exporter that publishes
 * its metric (`METRICS`):
 * - kube-state-metrics 2.20 (built from the Go module proxy) watching the
 *   namespace of an AutoScaledService (HPA, PDB) and a zonal FailoverGroup,
 *   whose pods kwok makes Ready. The comparisons the replica, disruption
 *   budget and autoscaler alerts make are evaluated on the scrape: both sides
 *   meet (same labels) and hold the values declared, so the alerts are silent.
 * - prometheus-nats-exporter 0.20 (-jsz=all, built from the Go module proxy)
 *   reading a real nats-server whose stream and consumer NACK created from an
 *   EventService's subscription; published and partly consumed messages show
 *   up as the exact backlog, ack-pending and ack-floor values the queries read.
 * Not covered here: the cAdvisor metrics of the CPU and memory panels
 * (container_cpu_usage_seconds_total, container_memory_working_set_bytes)
 * come from the kubelet, and kwok runs no kubelet and no container, so no
 * such series exist on this cluster; they are counted and left unchecked, not
 * faked. KEDA does not run either, so the EventService's HPA (KEDA's) has no
 * series; its kube-state-metrics selectors are not checked here.
 */

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const IMAGE = "ghcr.io/acme/observed:1.0.0";
const isKsm = (s: SourcedSelector) => s.exporter.startsWith("kube-state-metrics");
/** Only present while a container waits to restart; checked against the real pods instead. */
const WAITING = "kube_pod_container_status_waiting_reason";

function restrictedNamespace(name: string): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(name, { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
}

/** Every selector no series of the scrape matches, with the scrape's series of that metric for comparison. */
function unmatched(selectors: readonly SourcedSelector[], series: readonly Series[]): string[] {
  return selectors
    .filter((s) => select(s, series).length === 0)
    .map((s) => {
      const same = series.filter((x) => x.name === s.metric).slice(0, 5);
      return `${s.source}: ${show(s)} matches nothing; the exporter has ${same.length ? same.map((x) => JSON.stringify(x.labels)).join(" ") : "no such metric"}`;
    });
}

/** The value of the one series a selector (of a single-series query) reads. */
function valueOf(sel: SourcedSelector, series: readonly Series[]): number {
  const got = select(sel, series);
  if (got.length !== 1) throw new Error(`${show(sel)} selects ${got.length} series, expected 1`);
  return got[0]!.value;
}

/** Destroys the stack (unless a test already did) and removes it from the backend. */
async function destroyStack(stack: Stack | undefined, destroyed: boolean): Promise<void> {
  if (!stack) return;
  if (!destroyed) await stack.destroy({ onOutput: log }).catch(() => undefined);
  await stack.workspace.removeStack(stack.name).catch(() => undefined);
}

function deleteNamespace(namespace: string): void {
  try {
    kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
  } catch {
    // cluster gone
  }
}

describe("kube-state-metrics publishes every series the workload alerts and dashboard select", () => {
  const namespace = `e2e-ksm-${randomBytes(3).toString("hex")}`;
  const declared = { minReplicas: 2, maxReplicas: 4, zonalReplicas: 3 };
  let stack: Stack | undefined;
  let ksm: Exporter | undefined;
  let out: Record<string, any> = {};
  let selectors: SourcedSelector[] = [];
  let series: Series[] = [];
  let destroyed = false;

  beforeAll(async () => {
    ksm = await startKubeStateMetrics(exporterBinaries().kubeStateMetrics, { kubeconfig: process.env.KUBECONFIG!, namespaces: [namespace] });
  });

  afterAll(async () => {
    await destroyStack(stack, destroyed);
    deleteNamespace(namespace);
    await ksm?.stop();
  });

  it("up: an AutoScaledService and a zonal FailoverGroup, their pods Ready; kube-state-metrics sees them", async () => {
    stack = await inlineStack("e2e-ksm", async () => {
      const ns = restrictedNamespace(namespace);
      const api = new AutoScaledService(
        "api",
        { image: IMAGE, ...ON_FAKE_NODES, port: 8080, namespace: ns.metadata.name, autoscaling: { minReplicas: declared.minReplicas, maxReplicas: declared.maxReplicas } },
        { dependsOn: [ns] },
      );
      const pay = new FailoverGroup(
        "payments",
        { service: { image: IMAGE, ...ON_FAKE_NODES, port: 8080, namespace: ns.metadata.name }, zones: ["zone-a", "zone-b", "zone-c"], replicas: declared.zonalReplicas },
        { dependsOn: [ns] },
      );
      new StackDashboard("ksm", { namespace: ns.metadata.name, services: [api, pay] });
      return {
        apiDeployment: api.deployment.metadata.name,
        apiHpa: api.autoscaler.metadata.name,
        apiPdb: api.workload.disruptionBudget!.metadata.name,
        payDeployment: pay.members[0]!.workload.deployment.metadata.name,
        payPdb: pay.members[0]!.workload.disruptionBudget!.metadata.name,
      };
    });
    const res = await stack.up({ onOutput: log });
    out = Object.fromEntries(Object.entries(res.outputs).map(([k, v]) => [k, v.value]));
    await eventually(() => podsOf(namespace, "api").filter((p) => p.ready).length === declared.minReplicas, 180_000, "api pods Ready");
    await eventually(() => podsOf(namespace, "payments").filter((p) => p.ready).length === declared.zonalReplicas, 180_000, "payments pods Ready");

    const { rules, dashboard } = deployedQueries(namespace);
    expect(rules.length).toBe(4 + 3); // api: replicas, PDB floor, crash loop, autoscaler; payments: no autoscaler
    selectors = selectorsOf([...rules, ...dashboard]);
    // Until kube-state-metrics has listed everything and the controllers have settled the PDB and HPA status.
    const avail = (d: string) => (s: Series) => s.name === "kube_deployment_status_replicas_available" && s.labels.deployment === d;
    const pdbHealthy = (p: string, n: number) => (s: Series) => s.name === "kube_poddisruptionbudget_status_current_healthy" && s.labels.poddisruptionbudget === p && s.value === n;
    await until(
      async () => {
        series = await ksm!.scrape();
        return (
          series.find(avail(out.apiDeployment))?.value === declared.minReplicas &&
          series.find(avail(out.payDeployment))?.value === declared.zonalReplicas &&
          series.some(pdbHealthy(out.apiPdb, declared.minReplicas)) &&
          series.some(pdbHealthy(out.payPdb, declared.zonalReplicas)) &&
          unmatched(selectors.filter((s) => isKsm(s) && s.metric !== WAITING), series).length === 0
        );
      },
      120_000,
      "kube-state-metrics to report the stack",
    ).catch(() => undefined); // the assertions below say what is missing
    expect(series.filter((s) => s.name === "kube_deployment_spec_replicas").map((s) => s.labels.deployment).sort()).toEqual([out.apiDeployment, out.payDeployment].sort());
  });

  it("every kube-state-metrics selector of every alert and dashboard query selects real series", () => {
    const checked = selectors.filter((s) => isKsm(s) && s.metric !== WAITING);
    expect(unmatched(checked, series)).toEqual([]);
    expect(perturbed(checked).filter((s) => select(s, series).length).map(show)).toEqual([]);
    const metrics = new Set(checked.map((s) => s.metric));
    // The autoscaler and disruption budget selectors are among them, by their real object names.
    for (const m of ["kube_horizontalpodautoscaler_spec_max_replicas", "kube_horizontalpodautoscaler_status_desired_replicas", "kube_poddisruptionbudget_status_current_healthy", "kube_poddisruptionbudget_status_desired_healthy"]) {
      expect(metrics).toContain(m);
    }
    const names = (label: string) => new Set(checked.flatMap((s) => s.matchers.filter((x) => x.label === label).map((x) => x.value)));
    expect(names("horizontalpodautoscaler")).toEqual(new Set([out.apiHpa]));
    expect(names("poddisruptionbudget")).toEqual(new Set([out.apiPdb, out.payPdb]));
    const matched = checked.reduce((n, s) => n + select(s, series).length, 0);
    const cadvisor = selectors.filter((s) => s.exporter.startsWith("kubelet"));
    const prometheus = selectors.filter((s) => s.metric === "ALERTS");
    process.stdout.write(
      `[observability-exporters] kube-state-metrics: ${checked.length} selectors (${metrics.size} metrics) matched ${matched} series; ` +
        `${selectors.filter((s) => s.metric === WAITING).length} ${WAITING} selectors checked against the real pods; ` +
        `not checkable here: ${cadvisor.length} cAdvisor, ${prometheus.length} ALERTS selectors\n`,
    );
    expect(selectors.length).toBe(checked.length + cadvisor.length + prometheus.length + selectors.filter((s) => s.metric === WAITING).length);
  });

  it("the crash-loop selector would select the waiting series of exactly its own Deployment's real pods and container", () => {
    // kube-state-metrics publishes the waiting series with the labels of the pod's container series.
    const waiting = series.filter((s) => s.name === "kube_pod_container_info").map((s) => ({ name: WAITING, labels: { namespace: s.labels.namespace!, pod: s.labels.pod!, uid: s.labels.uid!, container: s.labels.container!, reason: "CrashLoopBackOff" }, value: 1 }));
    expect(waiting).toHaveLength(declared.minReplicas + declared.zonalReplicas);
    const deploymentOf = (pod: string) => {
      const rs = series.find((s) => s.name === "kube_pod_owner" && s.labels.pod === pod && s.labels.owner_kind === "ReplicaSet")!.labels.owner_name;
      return series.find((s) => s.name === "kube_replicaset_owner" && s.labels.replicaset === rs && s.labels.owner_kind === "Deployment")!.labels.owner_name;
    };
    const crash = selectors.filter((s) => s.metric === WAITING && s.source.includes("SwitchyardCrashLooping"));
    expect(crash).toHaveLength(2);
    for (const sel of crash) {
      // The Deployment this rule group watches, as its replica alert names it.
      const group = sel.source.split(" ")[0];
      const replicas = selectors.find((s) => s.source === `${group} SwitchyardReplicasUnavailable` && s.metric === "kube_deployment_spec_replicas")!;
      const deployment = replicas.matchers.find((m) => m.label === "deployment")!.value;
      const own = waiting.filter((w) => deploymentOf(w.labels.pod) === deployment);
      expect(own.length).toBeGreaterThan(0);
      expect(select(sel, waiting).map((w) => w.labels.pod).sort()).toEqual(own.map((w) => w.labels.pod).sort());
      // Any other reason is not a crash loop.
      expect(select(sel, own.map((w) => ({ ...w, labels: { ...w.labels, reason: "ImagePullBackOff" } })))).toEqual([]);
    }
  });

  it("the alerts' comparisons meet on identical labels and read the declared replicas: all silent on the healthy stack", () => {
    const exprs = deployedQueries(namespace).rules.filter((r) => !r.source.includes("SwitchyardCrashLooping"));
    expect(exprs).toHaveLength(5);
    for (const r of exprs) {
      const v = evalComparison(r.expr, series);
      expect(v, `${r.source}: ${r.expr} is not a plain comparison`).toBeDefined();
      expect(v!.pairs, `${r.source}: ${r.expr}: the two sides share no label set`).toBe(1);
      expect(v!.result, `${r.source}: ${r.expr} fires on the healthy stack`).toEqual([]);
    }
    const sel = (source: string, metric: string) => selectors.find((s) => s.source.includes(source) && s.metric === metric)!;
    const apiRules = "SwitchyardAutoscalerAtMax";
    expect(valueOf(sel(apiRules, "kube_horizontalpodautoscaler_spec_max_replicas"), series)).toBe(declared.maxReplicas);
    expect(valueOf(sel(apiRules, "kube_horizontalpodautoscaler_status_desired_replicas"), series)).toBe(declared.minReplicas);
    const replicas = selectors.filter((s) => s.source.includes("SwitchyardReplicasUnavailable") && s.metric === "kube_deployment_spec_replicas");
    const byDeployment = Object.fromEntries(replicas.map((s) => [s.matchers.find((m) => m.label === "deployment")!.value, valueOf(s, series)]));
    expect(byDeployment).toEqual({ [out.apiDeployment]: declared.minReplicas, [out.payDeployment]: declared.zonalReplicas });
    // maxUnavailable 1: the floor is one below the expected pods.
    const floors = selectors.filter((s) => s.metric === "kube_poddisruptionbudget_status_desired_healthy");
    expect(Object.fromEntries(floors.map((s) => [s.matchers.find((m) => m.label === "poddisruptionbudget")!.value, valueOf(s, series)]))).toEqual({
      [out.apiPdb]: declared.minReplicas - 1,
      [out.payPdb]: declared.zonalReplicas - 1,
    });
    // The dashboard's "requested" CPU sums the real requests (100m per pod).
    const cpu = selectors.filter((s) => s.metric === "kube_pod_container_resource_requests" && s.matchers.some((m) => m.label === "resource" && m.value === "cpu"));
    expect(cpu.map((s) => select(s, series).reduce((n, x) => n + x.value, 0)).sort()).toEqual([0.1 * declared.minReplicas, 0.1 * declared.zonalReplicas].sort());
  });

  it("destroy leaves nothing of the stack", async () => {
    await stack!.destroy({ onOutput: log });
    destroyed = true;
    expect(labelled("switchyard.dev/service in (api,payments)").filter((o) => o.namespace === namespace)).toEqual([]);
  });
});

const sc = StringCodec();

describe("prometheus-nats-exporter publishes every JetStream series the event alerts and dashboard select", () => {
  const namespace = `e2e-natsexp-${randomBytes(3).toString("hex")}`;
  const scaling = { maxReplicas: 3, lagPerReplica: 10 };
  let server: NatsServer | undefined;
  let nack: Started | undefined;
  let exporter: Exporter | undefined;
  let nc: NatsConnection | undefined;
  let stack: Stack | undefined;
  let selectors: SourcedSelector[] = [];
  let destroyed = false;

  beforeAll(async () => {
    const bins = natsBinaries();
    server = await startNatsServer(bins.natsServer);
    nack = await startNack(bins.jetstreamController, namespace);
    nc = await connect({ servers: server.url, user: server.user, pass: server.password, name: "switchyard-e2e-exporter" });
  });

  afterAll(async () => {
    await destroyStack(stack, destroyed); // while NACK runs, so it removes its finalizers
    releaseNackFinalizers(namespace);
    deleteNamespace(namespace);
    await nc?.close().catch(() => undefined);
    await exporter?.stop();
    await nack?.stop();
    await server?.stop();
  });

  /** One scrape, once the exporter reports the consumer with `pending` messages waiting. */
  const scrapeWhen = async (pending: number): Promise<Series[]> => {
    let series: Series[] = [];
    await until(
      async () => {
        series = await exporter!.scrape();
        return series.some((s) => s.name === "jetstream_consumer_num_pending" && s.labels.consumer_name === "fulfil" && s.value === pending);
      },
      30_000,
      `the exporter to report ${pending} pending`,
    ).catch(() => undefined);
    return series;
  };
  const the = (metric: string, source: string) => selectors.find((s) => s.metric === metric && s.source.includes(source))!;
  const max = (sel: SourcedSelector, series: readonly Series[]) => Math.max(...select(sel, series).map((s) => s.value));

  it("up: an EventService with a durable subscription, dead letters and KEDA scaling; NACK creates the stream and consumer", async () => {
    const srv = server!;
    stack = await inlineStack("e2e-nats-exporter", async () => {
      const ns = restrictedNamespace(namespace);
      const bus = new NatsJetStream(
        "bus",
        { namespace: ns.metadata.name, existing: { url: srv.url, monitoringEndpoint: srv.monitoringEndpoint, credentials: { username: srv.user, password: pulumi.secret(srv.password) } } },
        { dependsOn: [ns] },
      );
      // The test publishes with its own NATS client, outside the stack: the topic is external.
      const orders = new Topic("orders", { broker: bus, subjects: ["orders.created", "orders.cancelled"], external: true });
      const dlq = new Topic("orders-dlq", { broker: bus, deadLetterFor: orders });
      // Someone reads the dead letters (a dead-letter topic nothing reads is an error of the graph).
      new Subscription("dlq-audit", { topic: dlq, durableName: "dlq-audit" });
      const fulfil = new EventService(
        "fulfil",
        {
          image: IMAGE,
          ...ON_FAKE_NODES,
          namespace: ns.metadata.name,
          subscribes: [{ topic: orders, durableName: "fulfil", filter: "orders.created", ackWait: "10m", maxDeliveries: 3, deadLetter: dlq }],
          scaling,
        },
        { dependsOn: [ns] },
      );
      new StackDashboard("events", { namespace: ns.metadata.name, services: [fulfil] });
      return {};
    });
    await stack.up({ onOutput: log });
    const jsm = await nc!.jetstreamManager();
    await until(async () => (await jsm.consumers.info("orders", "fulfil")).name === "fulfil", 120_000, "NACK to create the consumer").catch((e) => {
      throw new Error(`${e}\n${nack!.tail(30)}`);
    });
    await until(async () => (await jsm.streams.info("orders-dlq")).config.name === "orders-dlq", 60_000, "NACK to create the dead-letter stream");
    const { rules, dashboard } = deployedQueries(namespace);
    selectors = selectorsOf([...rules, ...dashboard]).filter((s) => s.metric.startsWith("jetstream_"));
    exporter = await startNatsExporter(exporterBinaries().natsExporter, srv.monitoringEndpoint);
  });

  it("with a backlog, every jetstream_* selector selects real series, and the backlog alert reads the unconsumed messages", async () => {
    const js = nc!.jetstream();
    for (let i = 0; i < 7; i++) await js.publish("orders.created", sc.encode(JSON.stringify({ order: i })));
    // Outside the consumer's filter: stored in the stream, never pending for the consumer.
    for (let i = 0; i < 2; i++) await js.publish("orders.cancelled", sc.encode(JSON.stringify({ order: i })));
    const series = await scrapeWhen(7);
    expect(unmatched(selectors, series)).toEqual([]);
    expect(perturbed(selectors).filter((s) => select(s, series).length).map(show)).toEqual([]);
    const metrics = new Set(selectors.map((s) => s.metric));
    expect([...metrics].sort()).toEqual([
      "jetstream_consumer_ack_floor_stream_seq",
      "jetstream_consumer_delivered_consumer_seq",
      "jetstream_consumer_num_ack_pending",
      "jetstream_consumer_num_pending",
      "jetstream_consumer_num_redelivered",
      "jetstream_stream_total_messages",
    ]);
    process.stdout.write(
      `[observability-exporters] prometheus-nats-exporter: ${selectors.length} selectors (${metrics.size} metrics) matched ${selectors.reduce((n, s) => n + select(s, series).length, 0)} series\n`,
    );

    const backlog = deployedQueries(namespace).rules.find((r) => r.source.includes("SwitchyardBacklogAboveCapacity"))!;
    expect(backlog.expr).toMatch(new RegExp(`^max\\(jetstream_consumer_num_pending\\{[^}]*\\}\\) > ${scaling.lagPerReplica * scaling.maxReplicas}$`));
    const [sel] = selectorsOf([backlog]);
    expect(max(sel!, series)).toBe(7);
    // The dead-letter stream exists and is empty; the orders stream holds all 9.
    expect(max(the("jetstream_stream_total_messages", "SwitchyardDeadLetters"), series)).toBe(0);
    const ordersTotal = series.find((s) => s.name === "jetstream_stream_total_messages" && s.labels.stream_name === "orders");
    expect(ordersTotal?.value).toBe(9);
    expect(parsePromQL(backlog.expr).errors).toEqual([]);
  });

  it("one message delivered and acknowledged, one delivered and not: the backlog, ack-pending and ack-floor selectors read it", async () => {
    const consumer = await nc!.jetstream().consumers.get("orders", "fulfil");
    const first = await consumer.next({ expires: 5000 });
    expect(first?.seq).toBe(1);
    await first!.ackAck();
    const second = await consumer.next({ expires: 5000 });
    expect(second?.seq).toBe(2); // left unacknowledged (ackWait 10m)
    const series = await scrapeWhen(5);
    expect(unmatched(selectors, series)).toEqual([]);
    expect(max(the("jetstream_consumer_num_pending", "SwitchyardBacklogAboveCapacity"), series)).toBe(5);
    expect(max(the("jetstream_consumer_num_ack_pending", "SwitchyardNotAcknowledging"), series)).toBe(1);
    expect(max(the("jetstream_consumer_ack_floor_stream_seq", "SwitchyardNotAcknowledging"), series)).toBe(1);
    expect(max(the("jetstream_consumer_delivered_consumer_seq", "dashboard Delivery rate"), series)).toBe(2);
    expect(max(the("jetstream_consumer_num_redelivered", "dashboard Redeliveries"), series)).toBe(0);
  });

  it("destroy: NACK deletes the stream and consumer; nothing of the stack is left", async () => {
    await stack!.destroy({ onOutput: log });
    destroyed = true;
    const jsm = await nc!.jetstreamManager();
    await until(async () => (await jsm.streams.names().next()).length === 0, 60_000, "no streams in JetStream");
    expect(labelled("switchyard.dev/service=fulfil").filter((o) => o.namespace === namespace)).toEqual([]);
  });
});
