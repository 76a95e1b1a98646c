import { describe, expect, it } from "vitest";
import {
  ALERT_KEYS,
  METRICS,
  type MonitoredWorkload,
  type ResolvedPort,
  buildDashboard,
  buildRuleGroup,
  deriveAlerts,
  mergeMonitoring,
  resolveMonitoring,
  validateMonitoring,
} from "../../lib";
import { PORTS, api, billing, others } from "../support/monitored";
import { parsePromQL, withoutGrafanaVariables } from "../support/promql";

const defaults = () => resolveMonitoring({}, PORTS)!;

describe("alerts derived from the declared contract", () => {
  it("an event service on NATS: exact rules, thresholds from lagPerReplica x maxReplicas", () => {
    const rules = deriveAlerts(billing, defaults());
    const base = { service: "billing", namespace: "shop", team: "payments" };
    const sub = { ...base, subscription: "billing-orders" };
    const consumer = 'stream_name="ORDERS",consumer_name="billing-orders"';
    expect(rules.map(({ alert, expr, for: f, labels }) => ({ alert, expr, for: f, labels }))).toEqual([
      {
        alert: "SwitchyardReplicasUnavailable",
        expr: 'kube_deployment_status_replicas_available{namespace="shop",deployment="billing-1a2b3c4d"} < kube_deployment_spec_replicas{namespace="shop",deployment="billing-1a2b3c4d"}',
        for: "15m",
        labels: { severity: "warning", ...base },
      },
      {
        alert: "SwitchyardBelowDisruptionFloor",
        expr: 'kube_poddisruptionbudget_status_current_healthy{namespace="shop",poddisruptionbudget="billing-pdb-5e6f7a8b"} < kube_poddisruptionbudget_status_desired_healthy{namespace="shop",poddisruptionbudget="billing-pdb-5e6f7a8b"}',
        for: "5m",
        labels: { severity: "critical", ...base },
      },
      {
        alert: "SwitchyardCrashLooping",
        expr: 'max_over_time(kube_pod_container_status_waiting_reason{namespace="shop",pod=~"billing-1a2b3c4d-[a-z0-9]+-[a-z0-9]+",container="billing",reason="CrashLoopBackOff"}[5m]) >= 1',
        for: "5m",
        labels: { severity: "warning", ...base },
      },
      {
        alert: "SwitchyardAutoscalerAtMax",
        expr: 'kube_horizontalpodautoscaler_status_desired_replicas{namespace="shop",horizontalpodautoscaler="keda-hpa-billing-scaler-9c0d1e2f"} >= kube_horizontalpodautoscaler_spec_max_replicas{namespace="shop",horizontalpodautoscaler="keda-hpa-billing-scaler-9c0d1e2f"}',
        for: "15m",
        labels: { severity: "warning", ...base },
      },
      {
        alert: "SwitchyardBacklogAboveCapacity",
        expr: `max(jetstream_consumer_num_pending{${consumer}}) > 500`,
        for: "10m",
        labels: { severity: "critical", ...sub },
      },
      {
        alert: "SwitchyardDeadLetters",
        expr: 'max(jetstream_stream_total_messages{stream_name="ORDERS_DLQ"}) > 0',
        for: "1m",
        labels: { severity: "warning", ...sub },
      },
      {
        alert: "SwitchyardNotAcknowledging",
        expr: `max(jetstream_consumer_num_ack_pending{${consumer}}) > 0 and max(changes(jetstream_consumer_ack_floor_stream_seq{${consumer}}[5m])) == 0`,
        for: "10m",
        labels: { severity: "critical", ...sub },
      },
    ]);
    const backlog = rules.find((r) => r.alert === "SwitchyardBacklogAboveCapacity")!;
    expect(backlog.annotations).toEqual({
      summary: "billing: backlog above capacity on billing-orders",
      description: "{{ $value }} messages wait for billing-orders on ORDERS, more than 500 (lagPerReplica x maxReplicas).",
      runbook: "The backlog exceeds what maxReplicas x lagPerReplica can work off: check consumer errors and processing time, raise maxReplicas, or throttle publishers.",
    });
  });

  it("Kafka and RabbitMQ subscriptions read their exporters' metrics", () => {
    const kafka = deriveAlerts({ ...api, autoscaler: undefined, subscriptions: [{ durableName: "ledger", broker: "kafka", topic: "payments", consumer: "ledger", capacity: 600, deadLetter: "payments-dlq" }] }, defaults());
    const exprs = (rules: typeof kafka) => Object.fromEntries(rules.filter((r) => r.labels.subscription).map((r) => [r.alert, r.expr]));
    expect(exprs(kafka)).toEqual({
      SwitchyardBacklogAboveCapacity: 'sum(kafka_consumergroup_lag{consumergroup="ledger",topic="payments"}) > 600',
      SwitchyardDeadLetters: 'sum(kafka_topic_partition_current_offset{topic="payments-dlq"}) - sum(kafka_topic_partition_oldest_offset{topic="payments-dlq"}) > 0',
      SwitchyardNotAcknowledging: 'sum(kafka_consumergroup_lag{consumergroup="ledger",topic="payments"}) > 0 and sum(changes(kafka_consumergroup_current_offset{consumergroup="ledger",topic="payments"}[5m])) == 0',
    });
    const rabbit = deriveAlerts({ ...api, subscriptions: [{ durableName: "audit", broker: "rabbitmq", topic: "audit", consumer: "audit.audit", capacity: 100, deadLetter: "audit-dlq" }] }, defaults());
    // rabbitmq_prometheus has no per-queue view of a dead-letter exchange: no dead-letter alert.
    expect(exprs(rabbit)).toEqual({
      SwitchyardBacklogAboveCapacity: 'sum(rabbitmq_queue_messages_ready{queue="audit.audit"}) > 100',
      SwitchyardNotAcknowledging: 'sum(rabbitmq_queue_messages_unacked{queue="audit.audit"}) > 0 and sum(changes(rabbitmq_queue_messages_unacked{queue="audit.audit"}[5m])) == 0',
    });
  });

  it("derives only what was declared: no PDB, no autoscaler, no scaling -> no such alerts", () => {
    const fixed: MonitoredWorkload = { service: "worker", namespace: "jobs", deployment: "worker-44444444", container: "worker", replicas: 2, subscriptions: [{ durableName: "w", broker: "nats", topic: "JOBS", consumer: "w" }] };
    expect(deriveAlerts(fixed, defaults()).map((r) => r.alert)).toEqual(["SwitchyardReplicasUnavailable", "SwitchyardCrashLooping", "SwitchyardNotAcknowledging"]);
    // An explicit backlog threshold applies to every subscription, scaled or not.
    const withThreshold = resolveMonitoring({ alerts: { backlogAboveCapacity: { threshold: 250 } } }, PORTS)!;
    expect(deriveAlerts(fixed, withThreshold).find((r) => r.alert === "SwitchyardBacklogAboveCapacity")!.expr).toBe('max(jetstream_consumer_num_pending{stream_name="JOBS",consumer_name="w"}) > 250');
  });

  it("every threshold, severity and label can be overridden, and every alert turned off", () => {
    const m = resolveMonitoring(
      {
        alerts: { replicasUnavailable: { for: "30m", severity: "info" }, crashLooping: false, backlogAboveCapacity: { threshold: 1000, severity: "warning" } },
        alertLabels: { pager: "payments-oncall" },
        runbookBaseUrl: "https://runbooks.example.com/shop/",
      },
      PORTS,
    )!;
    const rules = deriveAlerts(billing, m);
    expect(rules.map((r) => r.alert)).not.toContain("SwitchyardCrashLooping");
    const replicas = rules.find((r) => r.alert === "SwitchyardReplicasUnavailable")!;
    expect([replicas.for, replicas.labels.severity, replicas.labels.pager]).toEqual(["30m", "info", "payments-oncall"]);
    expect(replicas.annotations.runbook_url).toBe("https://runbooks.example.com/shop/SwitchyardReplicasUnavailable");
    const backlog = rules.find((r) => r.alert === "SwitchyardBacklogAboveCapacity")!;
    expect([backlog.expr.endsWith("> 1000"), backlog.labels.severity]).toEqual([true, "warning"]);
    expect(resolveMonitoring({ alerts: false }, PORTS)!.alerts).toEqual({});
    expect(deriveAlerts(billing, resolveMonitoring({ alerts: Object.fromEntries(ALERT_KEYS.map((k) => [k, false])) }, PORTS)!)).toEqual([]);
  });

  it("a FailoverGroup member names its group and labels its alerts; no namespace -> names alone", () => {
    const member: MonitoredWorkload = { service: "checkout", member: "east", deployment: "checkout-east-55555555", container: "checkout", replicas: 4 };
    const group = buildRuleGroup(member, defaults());
    expect(group.name).toBe("switchyard-checkout-east");
    expect(group.rules[0]).toMatchObject({
      expr: 'kube_deployment_status_replicas_available{deployment="checkout-east-55555555"} < kube_deployment_spec_replicas{deployment="checkout-east-55555555"}',
      labels: { severity: "warning", service: "checkout", member: "east" },
    });
    expect(group.rules[0]!.labels).not.toHaveProperty("namespace");
  });
});

describe("stack settings under service settings", () => {
  it("merges field by field; false at either level turns monitoring off", () => {
    const stack = { labels: { release: "kps" }, alerts: { crashLooping: false as const }, alertLabels: { env: "prod" } };
    expect(mergeMonitoring(stack, { alertLabels: { team_channel: "#pay" }, alerts: { deadLetters: { for: "0s" } } })).toEqual({
      metrics: {},
      alerts: { crashLooping: false, deadLetters: { for: "0s" } },
      labels: { release: "kps" },
      alertLabels: { env: "prod", team_channel: "#pay" },
    });
    expect(mergeMonitoring(false, undefined)).toBe(false);
    expect(mergeMonitoring(stack, false)).toBe(false);
    expect(mergeMonitoring(false, {})).toEqual({ metrics: {}, alerts: {}, labels: {}, alertLabels: {} });
  });

  it("scrapes the `metrics` port when declared, else the first port; none without ports", () => {
    const ports: ResolvedPort[] = [...PORTS, { name: "metrics", port: 9102, servicePort: 9102, protocol: "TCP" }];
    expect(resolveMonitoring({}, ports)!.scrape).toEqual({ port: "metrics", path: "/metrics", interval: "30s", scheme: "http" });
    expect(resolveMonitoring({}, PORTS)!.scrape!.port).toBe("http");
    expect(resolveMonitoring({}, [])!.scrape).toBeUndefined();
    expect(resolveMonitoring({}, PORTS)!.scrapedBy).toEqual({ podLabels: { "app.kubernetes.io/name": "prometheus" }, namespace: "*" });
    expect(resolveMonitoring({ scrapedBy: false }, PORTS)!.scrapedBy).toBeUndefined();
  });
});

describe("monitoring validation names the property, the value and the fix", () => {
  const messages = (m: Parameters<typeof validateMonitoring>[0], ports = PORTS) => validateMonitoring(m, ports).list.map((p) => p.message);

  it("durations, severities, thresholds, ports, paths, labels and URLs", () => {
    expect(
      messages({
        metrics: { port: "admin", path: "metrics", interval: "30 s", scrapeTimeout: "1.5s" },
        alerts: { crashLooping: { for: "5 minutes", severity: "page" as never }, backlogAboveCapacity: { threshold: 0 }, diskFull: {} } as never,
        labels: { "bad key!": "x", release: "has spaces" },
        alertLabels: { "team-channel": "x", severity: "page" },
        runbookBaseUrl: "runbooks.example.com",
      }),
    ).toEqual([
      '`monitoring.metrics.port` ("admin") is not a port of this service (ports: "http"). Use one of them or add the port to `ports`.',
      '`monitoring.metrics.path` ("metrics") must start with "/". Use "/metrics".',
      '`monitoring.metrics.interval` ("30 s") must be a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first). Fix the value.',
      '`monitoring.metrics.scrapeTimeout` ("1.5s") must be a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first). Fix the value.',
      '`monitoring.alerts.crashLooping.for` ("5 minutes") must be a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first). Fix the value.',
      '`monitoring.alerts.crashLooping.severity` ("page") must be "critical", "warning" or "info".',
      "`monitoring.alerts.backlogAboveCapacity.threshold` (0) must be a whole number of messages >= 1.",
      "`monitoring.alerts.diskFull` is not an alert switchyard derives (alerts: replicasUnavailable, belowDisruptionFloor, crashLooping, autoscalerAtMax, backlogAboveCapacity, deadLetters, notAcknowledging). Remove it or fix the name.",
      '`monitoring.labels` key "bad key!" is not a valid Kubernetes label key. Use e.g. "release".',
      '`monitoring.labels.release` ("has spaces") is not a valid Kubernetes label value (<= 63 characters: letters, digits, "-", "_", ".", starting and ending with a letter or digit).',
      '`monitoring.alertLabels` key "team-channel" is not a valid Prometheus label name (letters, digits and "_", not starting with a digit or "__"). Rename it, e.g. "team_channel".',
      '`monitoring.alertLabels.severity` would replace the label "severity" that switchyard sets on every alert. Set it through its own setting (`alerts.<name>.severity`) or use another label name.',
      '`monitoring.runbookBaseUrl` ("runbooks.example.com") must be an http(s) URL, e.g. "https://runbooks.example.com/switchyard".',
    ]);
  });

  it("a metrics port on a service without ports", () => {
    expect(messages({ metrics: { port: "metrics" } }, [])).toEqual([
      '`monitoring.metrics.port` ("metrics") is set but the service declares no `ports`, so there is no Service to scrape. Add the port to `ports` or set `monitoring.metrics` to false.',
    ]);
  });

  it("accepts every default, `false`, and Prometheus durations like 1h30m and 0s", () => {
    expect(messages(undefined)).toEqual([]);
    expect(messages(false)).toEqual([]);
    expect(messages({ alerts: { deadLetters: { for: "0s" }, replicasUnavailable: { for: "1h30m" } }, metrics: { interval: "15s" } })).toEqual([]);
  });
});

describe("every query reads only metrics its exporters publish, with their labels", () => {
  const workloads: MonitoredWorkload[] = [billing, ...others];
  const check = (query: string) => {
    const { errors, selectors } = parsePromQL(withoutGrafanaVariables(query));
    expect(errors, query).toEqual([]);
    expect(selectors.length, query).toBeGreaterThan(0);
    for (const s of selectors) {
      const known = METRICS[s.metric];
      expect(known, `${s.metric} in ${query}`).toBeDefined();
      for (const m of s.matchers) {
        if (s.metric === "ALERTS") continue; // carries the alert's own labels
        expect(known!.labels, `${s.metric}{${m.label}} in ${query}`).toContain(m.label);
      }
    }
    return selectors;
  };

  it("alert expressions", () => {
    const metrics = new Set<string>();
    for (const w of workloads) for (const r of deriveAlerts(w, defaults())) for (const s of check(r.expr)) metrics.add(s.metric);
    expect(metrics.size).toBeGreaterThan(10);
  });

  it("dashboard queries; every catalogued metric is used by a rule or the dashboard", () => {
    const used = new Set<string>();
    const dashboard = buildDashboard(workloads, { uid: "u", title: "t" }) as { panels: { targets?: { expr: string }[] }[] };
    for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const s of check(t.expr)) used.add(s.metric);
    for (const w of workloads) for (const r of deriveAlerts(w, defaults())) for (const s of parsePromQL(r.expr).selectors) used.add(s.metric);
    expect([...used].sort()).toEqual(Object.keys(METRICS).sort());
  });

  it("the checker catches a syntax error and an unknown metric (it is not vacuous)", () => {
    expect(parsePromQL('sum(rate(x{a="b"}[5m])').errors.length).toBeGreaterThan(0);
    expect(METRICS[parsePromQL("kube_deployment_status_replicas_ready{}").selectors[0]!.metric]).toBeUndefined();
  });
});

describe("the stack dashboard JSON model", () => {
  const model = buildDashboard([billing, api], { uid: "switchyard-abc", title: "shop / prod" }) as any;

  it("an overview row, then a row per service with the issue's panels", () => {
    expect(model).toMatchObject({ uid: "switchyard-abc", title: "shop / prod", schemaVersion: 39, tags: ["switchyard"] });
    expect(model.templating.list[0]).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
    const rows: Record<string, string[]> = {};
    let current = "";
    for (const p of model.panels) {
      if (p.type === "row") rows[(current = p.title)] = [];
      else rows[current]!.push(p.title);
    }
    expect(rows).toEqual({
      Overview: ["Firing alerts", "Available replicas / desired"],
      billing: ["Replicas", "CPU vs request", "Memory vs request", "Backlog", "Delivery rate", "Redeliveries", "Dead letters"],
      api: ["Replicas", "CPU vs request", "Memory vs request"],
    });
  });

  it("is a valid grid: unique ids, panels inside 24 columns, no overlaps, every target with a refId and the data source variable", () => {
    const ids = model.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of model.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
        cells.add(`${i},${j}`);
      }
      if (p.type === "row") continue;
      expect(p.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      p.targets.forEach((t: any, i: number) => expect(t).toMatchObject({ refId: String.fromCharCode(65 + i), datasource: { uid: "${datasource}" } }));
    }
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it("exact queries of the event panels", () => {
    const panel = (title: string) => model.panels.find((p: any) => p.title === title).targets.map((t: any) => t.expr);
    expect(panel("Delivery rate")).toEqual(['max(rate(jetstream_consumer_delivered_consumer_seq{stream_name="ORDERS",consumer_name="billing-orders"}[$__rate_interval]))']);
    expect(panel("Dead letters")).toEqual(['max(jetstream_stream_total_messages{stream_name="ORDERS_DLQ"})']);
    expect(model.panels.find((p: any) => p.title === "CPU vs request" ).targets.map((t: any) => t.expr)).toEqual([
      'sum(rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"billing-1a2b3c4d-[a-z0-9]+-[a-z0-9]+",container="billing"}[$__rate_interval]))',
      'sum(kube_pod_container_resource_requests{namespace="shop",pod=~"billing-1a2b3c4d-[a-z0-9]+-[a-z0-9]+",container="billing",resource="cpu"})',
    ]);
  });
});
