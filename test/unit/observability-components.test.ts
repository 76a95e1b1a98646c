import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AutoScaledService,
  EventService,
  FailoverGroup,
  NatsJetStream,
  StackDashboard,
  Topic,
  buildRuleGroup,
  resetEventGraph,
  resetMonitoredWorkloads,
  resolveMonitoring,
  resolvePorts,
  stableName,
} from "../../lib";
import { installMocks, registrations, settle, unsecret, valueOf } from "../support/mocks";
import { reasons, thrown } from "../support/events";

const ASS = "switchyard:index:AutoScaledService";
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const monitor = (name: string) => find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", `${name}-monitor`);
const rule = (name: string) => find("kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${name}-alerts`);
const base = { image: "ghcr.io/acme/api:1.0.0", port: 8080, namespace: "shop", team: "payments", autoscaling: { maxReplicas: 6 } } as const;

describe.each([true, false])("monitoring of every service (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    pulumi.runtime.setAllConfig({});
    resetEventGraph();
    resetMonitoredWorkloads();
  });
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("AutoScaledService: a ServiceMonitor for its port and the alerts derived from its HPA and PDB", async () => {
    new AutoScaledService("api", base);
    await settle();
    const n = (logical: string) => stableName(`${ASS}::api`, logical);
    expect(monitor("api").inputs).toEqual({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: {
        name: n("api-monitor"),
        namespace: "shop",
        labels: { "app.kubernetes.io/name": "api", "switchyard.dev/service": "api", "switchyard.dev/component": "autoscaledservice", "switchyard.dev/team": "payments" },
      },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": "api" } },
        targetLabels: ["switchyard.dev/service", "switchyard.dev/team", "app.kubernetes.io/part-of"],
        endpoints: [{ port: "http", path: "/metrics", interval: "30s", scheme: "http" }],
      },
    });
    const expected = buildRuleGroup(
      {
        service: "api",
        team: "payments",
        namespace: "shop",
        deployment: n("api"),
        container: "api",
        disruptionBudget: n("api-pdb"),
        autoscaler: { kind: "hpa", name: n("api-hpa"), minReplicas: 2, maxReplicas: 6 },
      },
      resolveMonitoring({}, resolvePorts(base))!,
    );
    expect(rule("api").inputs.metadata.name).toBe(n("api-alerts"));
    expect(rule("api").inputs.spec).toEqual({ groups: [JSON.parse(JSON.stringify(expected))] });
    // The names the rules select are the objects' real names.
    expect(find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api-hpa").inputs.metadata.name).toBe(n("api-hpa"));
    expect(find("kubernetes:policy/v1:PodDisruptionBudget", "api-pdb").inputs.metadata.name).toBe(n("api-pdb"));
    // Prometheus may reach the metrics port, and only that port.
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "api-ingress").inputs.spec.ingress).toEqual([
      { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [{ protocol: "TCP", port: "http" }] },
    ]);
  });

  it("EventService: alerts select KEDA's HPA of its stably named ScaledObject, and the subscription's consumer and dead letters", async () => {
    const nats = new NatsJetStream("nats", { namespace: "events" });
    const orders = new Topic("orders", { broker: nats, subjects: ["orders.>"] });
    const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
    const svc = new EventService("billing", {
      image: "ghcr.io/acme/billing:1",
      namespace: "shop",
      subscribes: [{ topic: orders, deadLetter: dlq, maxDeliveries: 3 }],
      scaling: { maxReplicas: 10, lagPerReplica: 50 },
    });
    await settle();
    const scope = "switchyard:index:EventService::billing";
    const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "billing-scaler").inputs;
    expect(so.metadata.name).toBe(stableName(scope, "billing-scaler"));
    const target = await valueOf(svc.monitoringTargets[0]!);
    expect(target).toEqual({
      service: "billing",
      namespace: "shop",
      deployment: stableName(scope, "billing"),
      container: "billing",
      disruptionBudget: stableName(scope, "billing-pdb"),
      autoscaler: { kind: "keda", name: `keda-hpa-${so.metadata.name}`, minReplicas: 0, maxReplicas: 10 },
      subscriptions: [
        { durableName: "billing-orders", broker: "nats", topic: orders.topicName, consumer: svc.subscriptions[0]!.consumerName, capacity: 500, deadLetter: dlq.topicName },
      ],
    });
    const alerts = rule("billing").inputs.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
    expect(alerts).toEqual([
      "SwitchyardReplicasUnavailable",
      "SwitchyardBelowDisruptionFloor",
      "SwitchyardCrashLooping",
      "SwitchyardAutoscalerAtMax",
      "SwitchyardBacklogAboveCapacity",
      "SwitchyardDeadLetters",
      "SwitchyardNotAcknowledging",
    ]);
    // No port: nothing to scrape, so no ServiceMonitor (its alerts read the exporters).
    expect(registrations.some((r) => r.name === "billing-monitor")).toBe(false);
    // Logs: the pods say which topics they handle.
    expect(find("kubernetes:apps/v1:Deployment", "billing").inputs.spec.template.metadata.annotations).toEqual({ "switchyard.dev/topics": "orders" });
  });

  it("FailoverGroup: one ServiceMonitor and rule group per member, in the member's cluster", async () => {
    const east = new k8s.Provider("east", { kubeconfig: "{}" });
    const west = new k8s.Provider("west", { kubeconfig: "{}" });
    new FailoverGroup("checkout", {
      service: { image: "ghcr.io/acme/checkout:1", port: 8080, namespace: "shop" },
      replicas: 3,
      members: [{ name: "east", provider: east, active: true }, { name: "west", provider: west }],
    });
    await settle();
    for (const m of ["east", "west"]) {
      const r = rule(`checkout-${m}`);
      expect(r.provider).toMatch(new RegExp(`::pulumi:providers:kubernetes::${m}::`));
      expect(monitor(`checkout-${m}`).provider).toMatch(new RegExp(`::pulumi:providers:kubernetes::${m}::`));
      const group = r.inputs.spec.groups[0];
      expect(group.name).toBe(`switchyard-checkout-${m}`);
      expect(group.rules[0].labels).toEqual({ severity: "warning", service: "checkout", member: m, namespace: "shop" });
      expect(group.rules[0].expr).toContain(`deployment="${stableName("switchyard:index:FailoverGroup::checkout", `checkout-${m}`)}"`);
    }
  });

  it("stack config `switchyard:monitoring` sets defaults for every service; the service's own settings win", async () => {
    pulumi.runtime.setAllConfig({ "switchyard:monitoring": JSON.stringify({ labels: { release: "kps" }, alertLabels: { env: "prod" }, alerts: { crashLooping: false } }) });
    new AutoScaledService("api", { ...base, monitoring: { alerts: { crashLooping: { for: "1m" } } } });
    new AutoScaledService("web", base);
    await settle();
    expect(monitor("api").inputs.metadata.labels.release).toBe("kps");
    const alerts = (name: string) => rule(name).inputs.spec.groups[0].rules as { alert: string; for: string; labels: Record<string, string> }[];
    expect(alerts("api").find((r) => r.alert === "SwitchyardCrashLooping")?.for).toBe("1m");
    expect(alerts("web").map((r) => r.alert)).not.toContain("SwitchyardCrashLooping");
    expect(alerts("web")[0]!.labels.env).toBe("prod");
  });

  it("`false` in the stack config or on the service creates no monitoring objects and admits no scraper", async () => {
    pulumi.runtime.setAllConfig({ "switchyard:monitoring": "false" });
    new AutoScaledService("api", base);
    new AutoScaledService("web", { ...base, monitoring: { scrapedBy: false } });
    await settle();
    expect(registrations.filter((r) => r.type.includes("monitoring.coreos.com") && r.name.startsWith("api"))).toEqual([]);
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "api-ingress").inputs.spec.ingress).toEqual([]);
    // A service may opt back in; `scrapedBy: false` leaves scraping to the user's own policy.
    expect(monitor("web")).toBeDefined();
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "web-ingress").inputs.spec.ingress).toEqual([]);
  });

  it("invalid monitoring, in the arguments or the stack config, fails before anything is created", async () => {
    const own = thrown(() => new AutoScaledService("api", { ...base, monitoring: { metrics: { port: "admin" }, alerts: { crashLooping: { for: "soon" } } } }));
    expect(reasons(own)).toEqual([
      '`monitoring.metrics.port` ("admin") is not a port of this service (ports: "http"). Use one of them or add the port to `ports`.',
      '`monitoring.alerts.crashLooping.for` ("soon") must be a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first). Fix the value.',
    ]);
    pulumi.runtime.setAllConfig({ "switchyard:monitoring": JSON.stringify({ runbookBaseUrl: "wiki/runbooks" }) });
    const config = thrown(() => new FailoverGroup("checkout", { service: { image: "x:1", port: 8080 }, zones: ["a", "b"] }));
    expect(config.errors).toEqual([
      {
        propertyPath: "config switchyard:monitoring.runbookBaseUrl",
        reason: '`config switchyard:monitoring.runbookBaseUrl` ("wiki/runbooks") must be an http(s) URL, e.g. "https://runbooks.example.com/switchyard".',
      },
    ]);
    expect(await settle()).toEqual([]);
  });

  it("StackDashboard: a ConfigMap for Grafana's sidecar with a row per service created before it", async () => {
    new AutoScaledService("api", base);
    new FailoverGroup("checkout", { service: { image: "x:1", port: 8080, namespace: "shop" }, zones: ["a", "b"] });
    const d = new StackDashboard("shop", { namespace: "monitoring", folder: "Shop" });
    await settle();
    const cm = unsecret(find("kubernetes:core/v1:ConfigMap", "shop-dashboard").inputs);
    expect(cm.metadata).toEqual({
      name: stableName("switchyard:index:StackDashboard::shop", "shop-dashboard"),
      namespace: "monitoring",
      labels: { grafana_dashboard: "1", "switchyard.dev/dashboard": "shop" },
      annotations: { "k8s-sidecar-target-directory": "Shop" },
    });
    const model = JSON.parse(cm.data["shop.json"]);
    expect(model.uid).toBe(d.uid);
    expect(model.uid).toMatch(/^switchyard-[0-9a-f]{16}$/);
    expect(model.title).toBe("project / stack");
    expect(model.panels.filter((p: { type: string }) => p.type === "row").map((p: { title: string }) => p.title)).toEqual(["Overview", "api", "checkout"]);
  });

  it("StackDashboard: explicit services, custom sidecar labels; nothing to show is an error", async () => {
    const api = new AutoScaledService("api", base);
    new AutoScaledService("web", base);
    new StackDashboard("ops", { services: [api], sidecarLabels: { dashboards: "team-a" }, title: "API" });
    await settle();
    const cm = unsecret(find("kubernetes:core/v1:ConfigMap", "ops-dashboard").inputs);
    expect(cm.metadata.labels).toEqual({ dashboards: "team-a", "switchyard.dev/dashboard": "ops" });
    const model = JSON.parse(cm.data["ops.json"]);
    expect(model.panels.filter((p: { type: string }) => p.type === "row").map((p: { title: string }) => p.title)).toEqual(["Overview", "api"]);
    resetMonitoredWorkloads();
    const count = registrations.length;
    expect(reasons(thrown(() => new StackDashboard("empty")))).toEqual([
      "`services` is empty and no monitored service exists yet in this stack, so the dashboard would show nothing. Create the dashboard after your services, or list them in `services`.",
    ]);
    expect(reasons(thrown(() => new StackDashboard("bad", { services: [{} as never] })))).toEqual([
      "`services[0]` is not a switchyard service (AutoScaledService, EventService or FailoverGroup). Remove it.",
    ]);
    expect((await settle()).length).toBe(count);
  });
});
