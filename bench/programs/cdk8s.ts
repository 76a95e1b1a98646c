/**
 * The benchmark application in cdk8s-plus, for the render comparison: the
 * same services with the same kinds of objects (cdk8s-plus constructs where
 * they exist, plain `ApiObject`s for the PodDisruptionBudgets and the custom
 * resources), synthesized to YAML. A reference point for the no-cluster path,
 * not an exact copy: cdk8s-plus applies defaults of its own (object names,
 * selector labels, probe timings).
 */
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import { type AlertFacts, alertRules } from "./alerts";
import { type AppSpec, DB_PASSWORD, NATS_MONITORING, NATS_PASSWORD, NATS_URL, NATS_USER, PAYMENT_KEY, ZONES, groupNames, image } from "./spec";

interface ServiceOpts {
  readonly name: string;
  readonly kind: string;
  readonly team: string;
  readonly ports: readonly { name: string; port: number }[];
  readonly healthPath?: string;
  readonly env?: Record<string, kplus.EnvValue>;
  readonly secretEnv?: Record<string, string>;
  readonly replicas?: number;
  readonly resources?: kplus.ContainerResources;
  readonly zones?: readonly string[];
  readonly calls?: readonly { name: string; deployment: kplus.Deployment; service: kplus.Service }[];
  readonly ingressFromNamespace?: string;
  readonly podAnnotations?: Record<string, string>;
}

interface Built {
  readonly deployment: kplus.Deployment;
  readonly service?: kplus.Service;
  readonly pdb: ApiObject;
  readonly labels: Record<string, string>;
}

function url(svc: kplus.Service, namespace: string): string {
  return `http://${svc.name}.${namespace}.svc.cluster.local:8080`;
}

export function cdk8sApp(spec: AppSpec, outdir: string): App {
  const app = new App({ outdir, outputFileExtension: ".yaml" });
  const chart = new Chart(app, "bench", { namespace: spec.namespace });
  new kplus.Namespace(chart, "ns", {
    metadata: {
      name: spec.namespace,
      labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
    },
  });
  const busLabels = { "app.kubernetes.io/name": "bus", "switchyard.dev/component": "natsjetstream", "app.kubernetes.io/part-of": "switchyard-events" };
  const natsCredentials = new kplus.Secret(chart, "bus-credentials", { metadata: { labels: busLabels }, stringData: { user: NATS_USER, password: NATS_PASSWORD } });
  const account = new ApiObject(chart, "bus-account", {
    apiVersion: "jetstream.nats.io/v1beta2",
    kind: "Account",
    metadata: { labels: busLabels },
    spec: { servers: [NATS_URL], user: { secret: { name: natsCredentials.name }, user: "user", password: "password" } },
  });

  const service = (o: ServiceOpts): Built => {
    const labels = {
      "app.kubernetes.io/name": o.name,
      "switchyard.dev/service": o.name,
      "switchyard.dev/component": o.kind,
      "app.kubernetes.io/part-of": "bench",
      "switchyard.dev/team": o.team,
    };
    const sa = new kplus.ServiceAccount(chart, `${o.name}-sa`, { metadata: { labels }, automountToken: false });
    const secret = o.secretEnv ? new kplus.Secret(chart, `${o.name}-env`, { metadata: { labels }, stringData: o.secretEnv }) : undefined;
    const env: Record<string, kplus.EnvValue> = { ...(o.env ?? {}) };
    for (const key of Object.keys(o.secretEnv ?? {})) env[key] = kplus.EnvValue.fromSecretValue({ secret: secret!, key });
    for (const c of o.calls ?? []) env[`${c.name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_URL`] = kplus.EnvValue.fromValue(url(c.service, spec.namespace));
    const probe = (period: number, failures: number) =>
      o.healthPath
        ? kplus.Probe.fromHttpGet(o.healthPath, { port: o.ports[0]!.port, periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(2), failureThreshold: failures })
        : kplus.Probe.fromTcpSocket({ port: o.ports[0]?.port ?? 8080, periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(2), failureThreshold: failures });
    const deployment = new kplus.Deployment(chart, o.name, {
      metadata: { labels },
      podMetadata: { labels, ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}) },
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
      serviceAccount: sa,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, fsGroup: 65532 },
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      containers: [
        {
          name: o.name,
          image: image(o.name.replace(/-\d+$/, "")),
          ports: o.ports.map((p) => ({ name: p.name, number: p.port })),
          envVariables: env,
          resources: o.resources ?? { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) } },
          ...(o.ports.length ? { readiness: probe(10, 3), liveness: probe(20, 3), startup: probe(2, 60) } : {}),
          securityContext: {
            ensureNonRoot: true,
            user: 65532,
            group: 65532,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          volumeMounts: [{ path: "/tmp", volume: kplus.Volume.fromEmptyDir(chart, `${o.name}-tmp`, "tmp", { sizeLimit: Size.mebibytes(64) }) }],
        },
      ],
    });
    const selector = { matchLabels: { "app.kubernetes.io/name": o.name } };
    const spread = (key: string, hard: boolean) => ({ maxSkew: 1, topologyKey: key, whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: selector, matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor" });
    const api = ApiObject.of(deployment);
    api.addJsonPatch(
      JsonPatch.add("/spec/template/spec/topologySpreadConstraints", [
        { ...spread("topology.kubernetes.io/zone", o.zones !== undefined), ...(o.zones ? { minDomains: o.zones.length } : {}) },
        spread("kubernetes.io/hostname", false),
      ]),
      JsonPatch.add("/spec/template/spec/containers/0/lifecycle", { preStop: { sleep: { seconds: 5 } } }),
    );
    if (o.zones) {
      api.addJsonPatch(
        JsonPatch.add("/spec/template/spec/affinity", {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [...o.zones] }] }] } },
        }),
      );
    }
    const svc = o.ports.length
      ? new kplus.Service(chart, `${o.name}-svc`, {
          metadata: { labels },
          selector: deployment,
          ports: o.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port })),
        })
      : undefined;
    const pdb = new ApiObject(chart, `${o.name}-pdb`, {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { labels },
      spec: { maxUnavailable: 1, selector, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    });
    new kplus.NetworkPolicy(chart, `${o.name}-ingress`, {
      metadata: { labels },
      selector: deployment,
      ingress: {
        default: kplus.NetworkPolicyTrafficDefault.DENY,
        rules: [
          ...(o.ingressFromNamespace
            ? [{ peer: kplus.Namespaces.select(chart, `${o.name}-gateways`, { names: [o.ingressFromNamespace] }), ports: [kplus.NetworkPolicyPort.tcp(8080)] }]
            : []),
          ...(o.ports.length
            ? [{ peer: kplus.Pods.select(chart, `${o.name}-prometheus`, { labels: { "app.kubernetes.io/name": "prometheus" }, namespaces: kplus.Namespaces.all(chart, `${o.name}-all-namespaces`) }), ports: [kplus.NetworkPolicyPort.tcp(8080)] }]
            : []),
        ],
      },
    });
    for (const c of o.calls ?? []) {
      new kplus.NetworkPolicy(chart, `${o.name}-to-${c.name}`, {
        metadata: { labels },
        selector: c.deployment,
        ingress: { rules: [{ peer: deployment, ports: [kplus.NetworkPolicyPort.tcp(8080)] }] },
      });
    }
    if (svc) {
      new ApiObject(chart, `${o.name}-monitor`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { labels },
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": o.name } },
          targetLabels: ["switchyard.dev/service", "switchyard.dev/team", "app.kubernetes.io/part-of"],
          endpoints: [{ port: "http", path: "/metrics", interval: "30s", scheme: "http" }],
        },
      });
    }
    return { deployment, ...(svc ? { service: svc } : {}), pdb, labels };
  };
  const alerts = (o: ServiceOpts, b: Built, facts: Pick<AlertFacts, "autoscaler" | "subscription"> = {}) =>
    new ApiObject(chart, `${o.name}-alerts`, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { labels: b.labels },
      spec: {
        groups: [
          { name: `switchyard-${o.name}`, rules: alertRules({ ...facts, name: o.name, team: o.team, namespace: spec.namespace, deployment: b.deployment.name, pdb: b.pdb.name }) },
        ],
      },
    });

  const autoscaled = (o: Omit<ServiceOpts, "kind">, min: number, max: number, metrics?: kplus.Metric[]): Built => {
    const b = service({ ...o, kind: "autoscaledservice" });
    const hpa = new kplus.HorizontalPodAutoscaler(chart, `${o.name}-hpa`, {
      target: b.deployment,
      minReplicas: min,
      maxReplicas: max,
      metrics: metrics ?? [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
      scaleDown: { stabilizationWindow: Duration.minutes(5), policies: [{ replicas: kplus.Replicas.percent(50), duration: Duration.minutes(1) }] },
    });
    alerts({ ...o, kind: "autoscaledservice" }, b, { autoscaler: { hpa: hpa.name, max } });
    return b;
  };
  const eventLabels = (name: string, component: string, topic?: string) => ({
    "switchyard.dev/broker": "bus",
    ...(topic ? { "switchyard.dev/topic": topic } : {}),
    "app.kubernetes.io/name": name,
    "switchyard.dev/component": component,
    "app.kubernetes.io/part-of": "switchyard-events",
  });
  const stream = (name: string, subjects: string[], maxAge: string) =>
    new ApiObject(chart, name, {
      apiVersion: "jetstream.nats.io/v1beta2",
      kind: "Stream",
      metadata: { labels: eventLabels(name, "topic") },
      spec: { name, subjects, storage: "file", retention: "limits", replicas: 1, discard: "old", maxAge, account: account.name },
    });
  const consumer = (name: string, topic: string, spec: Record<string, unknown>) =>
    new ApiObject(chart, name, {
      apiVersion: "jetstream.nats.io/v1beta2",
      kind: "Consumer",
      metadata: { labels: eventLabels(name, "subscription", topic) },
      spec: { ...spec, account: account.name },
    });
  const eventsEnv = (name: string, extra: Record<string, string>): { env: Record<string, kplus.EnvValue> } => {
    const secret = new kplus.Secret(chart, `${name}-events`, {
      stringData: {
        EVENTS_BROKER_URL: NATS_URL.replace("://", `://${NATS_USER}:${NATS_PASSWORD}@`),
        EVENTS_BROKER_USERNAME: NATS_USER,
        EVENTS_BROKER_PASSWORD: NATS_PASSWORD,
      },
    });
    const env: Record<string, kplus.EnvValue> = { EVENTS_BROKER_KIND: kplus.EnvValue.fromValue("nats") };
    for (const key of ["EVENTS_BROKER_URL", "EVENTS_BROKER_USERNAME", "EVENTS_BROKER_PASSWORD"]) env[key] = kplus.EnvValue.fromSecretValue({ secret, key });
    for (const [k, v] of Object.entries(extra)) env[k] = kplus.EnvValue.fromValue(v);
    return { env };
  };

  for (const g of spec.groups) {
    const n = groupNames(g);
    const http = [{ name: "http", port: 8080 }];
    const catalog = autoscaled({ name: n.catalog, team: "catalog", ports: http, healthPath: "/ready" }, 2, 6);
    const users = autoscaled({ name: n.users, team: "identity", ports: http, secretEnv: { DB_PASSWORD } }, 1, 4);
    autoscaled({ name: n.search, team: "catalog", ports: [...http, { name: "grpc", port: 9090 }] }, 2, 5);
    autoscaled(
      {
        name: n.ledger,
        team: "payments",
        ports: http,
        resources: { cpu: { request: kplus.Cpu.millis(250) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } },
      },
      2,
      3,
    );
    const api = autoscaled(
      {
        name: n.api,
        team: "storefront",
        ports: http,
        healthPath: "/healthz",
        env: { LOG_LEVEL: kplus.EnvValue.fromValue("info") },
        calls: [
          { name: n.catalog, deployment: catalog.deployment, service: catalog.service! },
          { name: n.users, deployment: users.deployment, service: users.service! },
        ],
      },
      2,
      8,
      [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(60)), kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(80))],
    );
    const checkoutOpts: ServiceOpts = {
      name: n.checkout,
      kind: "failovergroup",
      team: "payments",
      ports: http,
      replicas: ZONES.length,
      zones: ZONES,
      secretEnv: { PAYMENT_KEY },
      calls: [{ name: n.catalog, deployment: catalog.deployment, service: catalog.service! }],
    };
    const checkout = service(checkoutOpts);
    alerts(checkoutOpts, checkout);
    const web = autoscaled(
      {
        name: n.web,
        team: "storefront",
        ports: http,
        ingressFromNamespace: "gateways",
        calls: [
          { name: n.api, deployment: api.deployment, service: api.service! },
          { name: n.checkout, deployment: checkout.deployment, service: checkout.service! },
        ],
      },
      2,
      10,
    );
    new ApiObject(chart, `${n.web}-route`, {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { labels: { "app.kubernetes.io/name": n.web } },
      spec: {
        parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }],
        hostnames: [`${n.web}.bench.example.com`],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ group: "", kind: "Service", name: web.service!.name, port: 8080, weight: 1 }] }],
      },
    });

    const advisory = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${n.orders}`;
    stream(n.orders, [`${n.orders}.>`], "168h");
    stream(n.dlq, [`${advisory}.*`], "336h");
    const stem = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
    const relayOpts: ServiceOpts = {
      name: n.relay,
      kind: "eventservice",
      team: "payments",
      ports: [],
      replicas: 1,
      podAnnotations: { "switchyard.dev/topics": n.orders },
      ...eventsEnv(n.relay, {
        EVENTS_SUBSCRIPTIONS: "",
        EVENTS_PUBLISHES: n.orders,
        [`EVENTS_PUB_${stem(n.orders)}_TOPIC`]: n.orders,
        [`EVENTS_PUB_${stem(n.orders)}_SUBJECTS`]: `${n.orders}.created`,
      }),
    };
    alerts(relayOpts, service(relayOpts));
    consumer(`${n.fulfil}-fulfil`, n.orders, {
      durableName: "fulfil",
      streamName: n.orders,
      deliverPolicy: "all",
      ackPolicy: "explicit",
      ackWait: "30s",
      maxDeliver: 5,
      backoff: ["30s", "2m"],
      maxAckPending: 100,
      replayPolicy: "instant",
      filterSubject: `${n.orders}.created`,
    });
    const subEnv = (durable: string, topic: string, more: Record<string, string>) => ({
      [`EVENTS_SUB_${stem(durable)}_TOPIC`]: topic,
      [`EVENTS_SUB_${stem(durable)}_CONSUMER`]: durable,
      ...more,
      [`EVENTS_SUB_${stem(durable)}_ACK_WAIT_MS`]: "30000",
      [`EVENTS_SUB_${stem(durable)}_MAX_DELIVERIES`]: "5",
      [`EVENTS_SUB_${stem(durable)}_MAX_IN_FLIGHT`]: "100",
      [`EVENTS_SUB_${stem(durable)}_CLIENT_ATTEMPTS`]: "1",
    });
    const fulfilOpts: ServiceOpts = {
      name: n.fulfil,
      kind: "eventservice",
      team: "logistics",
      ports: http,
      podAnnotations: { "switchyard.dev/topics": n.orders },
      ...eventsEnv(n.fulfil, {
        EVENTS_SUBSCRIPTIONS: "fulfil",
        EVENTS_PUBLISHES: "",
        ...subEnv("fulfil", n.orders, { EVENTS_SUB_FULFIL_FILTER: `${n.orders}.created`, EVENTS_SUB_FULFIL_DEAD_LETTER: `${advisory}.fulfil` }),
      }),
    };
    const fulfil = service(fulfilOpts);
    const scaler = new ApiObject(chart, `${n.fulfil}-scaler`, {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { labels: { "app.kubernetes.io/name": n.fulfil } },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: fulfil.deployment.name },
        minReplicaCount: 0,
        maxReplicaCount: 10,
        pollingInterval: 30,
        cooldownPeriod: 300,
        fallback: { failureThreshold: 3, replicas: 1 },
        triggers: [
          {
            type: "nats-jetstream",
            name: "fulfil",
            metadata: { natsServerMonitoringEndpoint: NATS_MONITORING, account: "$G", stream: n.orders, consumer: "fulfil", lagThreshold: "50", activationLagThreshold: "0" },
          },
        ],
      },
    });
    alerts(fulfilOpts, fulfil, {
      autoscaler: { hpa: `keda-hpa-${scaler.name}`, max: 10, keda: true },
      subscription: { durable: "fulfil", topic: n.orders, capacity: 50 * 10, deadLetter: n.dlq },
    });
    consumer(`${n.audit}-audit`, n.dlq, { durableName: "audit", streamName: n.dlq, deliverPolicy: "all", ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5, maxAckPending: 100, replayPolicy: "instant" });
    const auditOpts: ServiceOpts = {
      name: n.audit,
      kind: "eventservice",
      team: "logistics",
      ports: [],
      replicas: 1,
      podAnnotations: { "switchyard.dev/topics": n.dlq },
      ...eventsEnv(n.audit, { EVENTS_SUBSCRIPTIONS: "audit", EVENTS_PUBLISHES: "", ...subEnv("audit", n.dlq, {}) }),
    };
    alerts(auditOpts, service(auditOpts), { subscription: { durable: "audit", topic: n.dlq } });
  }
  return app;
}
