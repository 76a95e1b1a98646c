import type { Input } from "@pulumi/pulumi";
import type { Manifest } from "../model/workload-manifests";
import { brokerQueries } from "./broker-queries";
import { deploymentPods, reEscape, selector } from "./promql";
import type { MonitoredWorkload } from "./targets";

/**
 * The Grafana dashboard of a stack: an overview row (firing switchyard alerts,
 * available vs desired replicas of every service), then a row per service:
 * replicas vs desired, CPU and memory vs requests, and for event services
 * backlog, delivery rate, redeliveries and dead letters. Grafana's classic
 * dashboard JSON model; every query reads only metrics listed in `METRICS`.
 * Pure.
 * @see https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */

export interface DashboardOptions {
  readonly uid: string;
  readonly title: string;
  /** Dashboard tags. @default ["switchyard"] */
  readonly tags?: readonly string[];
}

/** The Prometheus data source, chosen with the dashboard's `datasource` variable. */
const DS = { type: "prometheus", uid: "${datasource}" } as const;
const WIDTH = 24;
const PANEL_HEIGHT = 8;

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
}

interface PanelSpec {
  readonly title: string;
  readonly type: "timeseries" | "table" | "bargauge";
  readonly unit: string;
  readonly targets: readonly Target[];
  readonly description?: string;
  readonly width: number;
  /** Extra panel fields (options, fieldConfig.defaults additions). */
  readonly defaults?: Record<string, unknown>;
  readonly options?: Record<string, unknown>;
  readonly transformations?: readonly Record<string, unknown>[];
}

/** Grafana's `$__rate_interval`: at least four scrape intervals, so rates are never empty. */
const RATE = "$__rate_interval";

function workloadTitle(w: MonitoredWorkload): string {
  return w.member ? `${w.service} (${w.member})` : w.service;
}

function overviewPanels(workloads: readonly MonitoredWorkload[]): PanelSpec[] {
  const services = [...new Set(workloads.map((w) => w.service))];
  const namespaces = [...new Set(workloads.flatMap((w) => (w.namespace !== undefined ? [w.namespace] : [])))];
  const alerts = selector("ALERTS", {
    alertstate: "firing",
    alertname: { re: "Switchyard.+" },
    namespace: namespaces.length ? { re: namespaces.map(reEscape).join("|") } : undefined,
    service: { re: services.map(reEscape).join("|") },
  });
  return [
    {
      title: "Firing alerts",
      type: "table",
      unit: "short",
      width: 12,
      description: "switchyard alerts firing now, by service, alert and severity.",
      targets: [{ expr: `sum by (service, alertname, severity) (${alerts})`, legendFormat: "{{service}} {{alertname}}" }],
      options: { showHeader: true },
      transformations: [{ id: "reduce", options: { reducers: ["lastNotNull"] } }],
    },
    {
      title: "Available replicas / desired",
      type: "bargauge",
      unit: "percentunit",
      width: 12,
      description: "Available replicas as a share of desired replicas, per service (empty while scaled to zero).",
      defaults: { min: 0, max: 1, thresholds: { mode: "absolute", steps: [{ color: "red", value: null }, { color: "orange", value: 0.5 }, { color: "green", value: 1 }] } },
      options: { orientation: "horizontal", displayMode: "basic", reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      targets: workloads.map((w) => {
        const dep = { namespace: w.namespace, deployment: w.deployment };
        const desired = selector("kube_deployment_spec_replicas", dep);
        return { expr: `${selector("kube_deployment_status_replicas_available", dep)} / (${desired} > 0)`, legendFormat: workloadTitle(w) };
      }),
    },
  ];
}

function servicePanels(w: MonitoredWorkload): PanelSpec[] {
  const dep = { namespace: w.namespace, deployment: w.deployment };
  const containers = { namespace: w.namespace, pod: deploymentPods(w.deployment), container: w.container };
  const replicaTargets: Target[] = [
    { expr: selector("kube_deployment_status_replicas_available", dep), legendFormat: "available" },
    { expr: selector("kube_deployment_spec_replicas", dep), legendFormat: "desired" },
  ];
  if (w.autoscaler) {
    replicaTargets.push({
      expr: selector("kube_horizontalpodautoscaler_spec_max_replicas", { namespace: w.namespace, horizontalpodautoscaler: w.autoscaler.name }),
      legendFormat: "max (autoscaler)",
    });
  }
  const panels: PanelSpec[] = [
    { title: "Replicas", type: "timeseries", unit: "short", width: 8, targets: replicaTargets },
    {
      title: "CPU vs request",
      type: "timeseries",
      unit: "cores",
      width: 8,
      targets: [
        { expr: `sum(rate(${selector("container_cpu_usage_seconds_total", containers)}[${RATE}]))`, legendFormat: "used" },
        { expr: `sum(${selector("kube_pod_container_resource_requests", { ...containers, resource: "cpu" })})`, legendFormat: "requested" },
      ],
    },
    {
      title: "Memory vs request",
      type: "timeseries",
      unit: "bytes",
      width: 8,
      targets: [
        { expr: `sum(${selector("container_memory_working_set_bytes", containers)})`, legendFormat: "working set" },
        { expr: `sum(${selector("kube_pod_container_resource_requests", { ...containers, resource: "memory" })})`, legendFormat: "requested" },
      ],
    },
  ];
  const subs = w.subscriptions ?? [];
  if (subs.length) {
    const per = (f: (s: (typeof subs)[number]) => string | undefined, legend = (s: (typeof subs)[number]) => s.durableName): Target[] =>
      subs.flatMap((s) => {
        const expr = f(s);
        return expr ? [{ expr, legendFormat: legend(s) }] : [];
      });
    const q = (s: (typeof subs)[number]) => brokerQueries(s.broker);
    const eventPanels: PanelSpec[] = [
      { title: "Backlog", type: "timeseries", unit: "short", width: 6, description: "Messages waiting, per subscription.", targets: per((s) => q(s).backlog(s)) },
      { title: "Delivery rate", type: "timeseries", unit: "suffix: msg/s", width: 6, description: "Messages delivered per second, per subscription.", targets: per((s) => q(s).deliveryRate(s, RATE)) },
      { title: "Redeliveries", type: "timeseries", unit: "short", width: 6, description: "Messages delivered more than once and not yet acknowledged, per subscription.", targets: per((s) => q(s).redeliveries(s)) },
      {
        title: "Dead letters",
        type: "timeseries",
        unit: "short",
        width: 6,
        description: "Messages held in each dead-letter destination.",
        targets: per((s) => (s.deadLetter !== undefined ? q(s).deadLetters(s.deadLetter) : undefined), (s) => s.deadLetter ?? ""),
      },
    ];
    // A panel whose broker publishes nothing for it (RabbitMQ's delivery counters) is left out.
    panels.push(...eventPanels.filter((p) => p.targets.length));
  }
  return panels;
}

/** The dashboard JSON model. Panel ids, positions and query ids are deterministic. */
export function buildDashboard(workloads: readonly MonitoredWorkload[], o: DashboardOptions): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 0;
  let y = 0;
  const row = (title: string) => {
    panels.push({ id: ++id, type: "row", title, collapsed: false, gridPos: { h: 1, w: WIDTH, x: 0, y }, panels: [] });
    y += 1;
  };
  const place = (specs: readonly PanelSpec[]) => {
    let x = 0;
    for (const p of specs) {
      if (x + p.width > WIDTH) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      panels.push({
        id: ++id,
        type: p.type,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        datasource: { ...DS },
        gridPos: { h: PANEL_HEIGHT, w: p.width, x, y },
        fieldConfig: { defaults: { unit: p.unit, ...(p.defaults ?? {}) }, overrides: [] },
        options: p.options ?? { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "none" } },
        ...(p.transformations ? { transformations: p.transformations.map((t) => ({ ...t })) } : {}),
        targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: { ...DS }, expr: t.expr, legendFormat: t.legendFormat, range: true })),
      });
      x += p.width;
    }
    if (specs.length) y += PANEL_HEIGHT;
  };
  if (workloads.length) {
    row("Overview");
    place(overviewPanels(workloads));
  }
  for (const w of workloads) {
    row(workloadTitle(w));
    place(servicePanels(w));
  }
  return {
    uid: o.uid,
    title: o.title,
    tags: [...(o.tags ?? ["switchyard"])],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-3h", to: "now" },
    refresh: "30s",
    timezone: "browser",
    annotations: { list: [] },
    links: [],
    templating: {
      list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, includeAll: false, multi: false, options: [], refresh: 1, regex: "", skipUrlSync: false }],
    },
    panels,
  };
}

/**
 * The ConfigMap Grafana's dashboard sidecar loads (it watches ConfigMaps with
 * the sidecar label; `folder` goes to the folder annotation).
 */
export function buildDashboardConfigMap(
  dashboard: Input<string>,
  o: {
    readonly name?: string;
    readonly fileName: string;
    readonly namespace?: Input<string>;
    readonly labels: Record<string, string>;
    readonly annotations?: Record<string, string>;
  },
): Manifest {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      ...(o.name ? { name: o.name } : {}),
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
      labels: { ...o.labels },
      ...(o.annotations && Object.keys(o.annotations).length ? { annotations: { ...o.annotations } } : {}),
    },
    data: { [o.fileName]: dashboard },
  };
}
