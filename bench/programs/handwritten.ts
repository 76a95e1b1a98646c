/**
 * The benchmark application written by hand against @pulumi/kubernetes: the
 * same Kubernetes objects with the same inputs as bench/programs/switchyard.ts,
 * as object literals (a few local helpers for what repeats, as anyone writing
 * this by hand would have). Nothing here calls switchyard; the benchmark
 * checks under mocks that both programs register the same objects.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type AlertFacts, alertRules } from "./alerts";
import { type AppSpec, DB_PASSWORD, NATS_MONITORING, NATS_PASSWORD, NATS_URL, NATS_USER, PAYMENT_KEY, ZONES, groupNames, image } from "./spec";

type Obj = Record<string, any>;
type Kind = "AutoScaledService" | "FailoverGroup" | "EventService";

/** `<logical>-<8 hex>`: a name that is unique per stack and the same on every run. */
function fixedName(kind: Kind, owner: string, logical: string): string {
  const key = `${pulumi.getProject()}\n${pulumi.getStack()}\nswitchyard:index:${kind}::${owner}\n${logical}`;
  return `${logical}-${createHash("sha256").update(key).digest("hex").slice(0, 8)}`;
}

/**
 * The `grouped` variant (bench part "grouped") is this same program with one
 * plain ComponentResource per service (and for the broker binding and the
 * event graph), as switchyard has: the objects of a service are created with
 * that component as parent. It prices the components alone, with none of
 * switchyard's code. `group` is the component objects are created in now.
 */
let grouping = false;
let group: Group | undefined;

/** A plain component, as anyone would write one. */
class Group extends pulumi.ComponentResource {
  constructor(
    kind: string,
    private readonly groupName: string,
  ) {
    super(`bench:index:${kind}`, groupName, {}, {});
  }

  finish(): void {
    this.registerOutputs({ name: this.groupName });
  }
}

/** `opts` plus the current component as parent, when the program runs grouped. */
function o(opts: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  return group ? { ...opts, parent: group } : opts;
}

/**
 * Runs `build` inside a new component (when grouped), which registers small
 * outputs last, like switchyard's. Objects a service's code creates outside
 * `workload`/`autoscaled` (its event Secret, consumer, scaler, route) stay
 * top-level: where a child hangs does not change what it costs.
 */
function grouped<T>(kind: string, name: string, build: () => T): T {
  if (!grouping || group) return build(); // a nested call joins the component it is in
  const c = new Group(kind, name);
  group = c;
  try {
    return build();
  } finally {
    group = undefined;
    c.finish();
  }
}

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const NS_LABEL = "kubernetes.io/metadata.name";

/** A called service: what the caller needs for its env and its network policy. */
interface Callee {
  readonly env: string;
  readonly name: string;
  readonly service: k8s.core.v1.Service;
}

function labels(name: string, component: string, team: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "switchyard.dev/service": name,
    "switchyard.dev/component": component,
    "app.kubernetes.io/part-of": "bench",
    "switchyard.dev/team": team,
  };
}

function tcpProbe(period: number, failures: number): Obj {
  return { tcpSocket: { port: "http" }, periodSeconds: period, timeoutSeconds: 2, failureThreshold: failures };
}

function httpProbe(path: string, period: number, failures: number): Obj {
  return { httpGet: { path, port: "http" }, periodSeconds: period, timeoutSeconds: 2, failureThreshold: failures };
}

function probes(healthPath?: string): Obj {
  const p = (period: number, failures: number) => (healthPath ? httpProbe(healthPath, period, failures) : tcpProbe(period, failures));
  return { readinessProbe: p(10, 3), livenessProbe: p(20, 3), startupProbe: p(2, 60) };
}

const DEFAULT_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };

function endpoint(svc: k8s.core.v1.Service, port: number): pulumi.Output<string> {
  return pulumi.interpolate`http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${port}`;
}

interface PodArgs {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly ports: Obj[];
  readonly env: Obj[];
  readonly probes: Obj;
  readonly resources?: Obj;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly zones?: readonly string[];
  readonly annotations?: Record<string, string>;
}

function podTemplate(a: PodArgs): Obj {
  const selector = { matchLabels: { "app.kubernetes.io/name": a.name } };
  return {
    metadata: { labels: a.labels, ...(a.annotations ? { annotations: a.annotations } : {}) },
    spec: {
      serviceAccountName: a.serviceAccount.metadata.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: a.name,
          image: a.image,
          ports: a.ports,
          ...(a.env.length ? { env: a.env } : {}),
          resources: a.resources ?? DEFAULT_RESOURCES,
          ...a.probes,
          lifecycle: { preStop: { sleep: { seconds: 5 } } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        },
      ],
      volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: ZONE,
          whenUnsatisfiable: a.zones ? "DoNotSchedule" : "ScheduleAnyway",
          labelSelector: selector,
          matchLabelKeys: ["pod-template-hash"],
          nodeTaintsPolicy: "Honor",
          ...(a.zones ? { minDomains: a.zones.length } : {}),
        },
        { maxSkew: 1, topologyKey: HOST, whenUnsatisfiable: "ScheduleAnyway", labelSelector: selector, matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor" },
      ],
      ...(a.zones
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: [...a.zones] }] }],
                },
              },
            },
          }
        : {}),
    },
  };
}

interface ServiceSpec {
  readonly kind: Kind;
  readonly name: string;
  readonly team: string;
  readonly namespace: pulumi.Input<string>;
  readonly image: string;
  readonly ports: readonly { name: string; port: number; appProtocol?: string }[];
  readonly healthPath?: string;
  readonly env?: Record<string, string>;
  readonly secretEnv?: Record<string, string>;
  readonly calls?: readonly Callee[];
  readonly extraEnv?: (sa: k8s.core.v1.ServiceAccount) => Obj[];
  readonly resources?: Obj;
  readonly replicas?: number;
  readonly zones?: readonly string[];
  readonly trafficDistribution?: string;
  readonly ingressFrom?: Obj[];
  readonly dependsOn?: pulumi.Resource[];
  readonly podAnnotations?: Record<string, string>;
  /** What the alerts are derived from (monitoring is on by default). */
  readonly alerts: Omit<AlertFacts, "name" | "team" | "namespace" | "deployment" | "pdb">;
}

interface Workload {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service?: k8s.core.v1.Service;
  readonly labels: Record<string, string>;
}

/** ServiceAccount, Secret, Deployment, Service, PDB, ingress and call NetworkPolicies of one service. */
function workload(s: ServiceSpec): Workload {
  return grouped(s.kind, s.name, () => workloadObjects(s));
}

function workloadObjects(s: ServiceSpec): Workload {
  const component = s.kind.toLowerCase();
  const lbl = labels(s.name, component, s.team);
  const meta = (logical: string) => ({ namespace: s.namespace, labels: { ...lbl }, name: fixedName(s.kind, s.name, logical) });
  const selector = { "app.kubernetes.io/name": s.name };

  const sa = new k8s.core.v1.ServiceAccount(`${s.name}-sa`, { metadata: meta(`${s.name}-sa`), automountServiceAccountToken: false }, o());
  let secret: k8s.core.v1.Secret | undefined;
  if (s.secretEnv) {
    secret = new k8s.core.v1.Secret(
      `${s.name}-env`,
      {
        metadata: meta(`${s.name}-env`),
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(s.secretEnv).map(([k, v]) => [k, pulumi.secret(v)])),
      },
      o({ additionalSecretOutputs: ["data", "stringData"] }),
    );
  }
  const env: Obj[] = [
    ...Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.keys(s.secretEnv ?? {}).map((name) => ({ name, valueFrom: { secretKeyRef: { name: secret!.metadata.name, key: name } } })),
    ...(s.calls ?? []).map((c) => ({ name: c.env, value: endpoint(c.service, 8080) })),
    ...(s.extraEnv ? s.extraEnv(sa) : []),
  ];
  const deployment = new k8s.apps.v1.Deployment(
    s.name,
    {
      metadata: meta(s.name),
      spec: {
        ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: podTemplate({
          name: s.name,
          labels: lbl,
          image: s.image,
          ports: s.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
          env,
          probes: s.ports.length ? probes(s.healthPath) : {},
          serviceAccount: sa,
          ...(s.resources ? { resources: s.resources } : {}),
          ...(s.zones ? { zones: s.zones } : {}),
          ...(s.podAnnotations ? { annotations: s.podAnnotations } : {}),
        }),
      },
    },
    o(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
  );
  const service = s.ports.length
    ? new k8s.core.v1.Service(s.name, {
        metadata: meta(s.name),
        spec: {
          type: "ClusterIP",
          selector,
          ports: s.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
          sessionAffinity: "None",
          ...(s.trafficDistribution ? { trafficDistribution: s.trafficDistribution } : {}),
        },
      }, o())
    : undefined;
  new k8s.policy.v1.PodDisruptionBudget(`${s.name}-pdb`, {
    metadata: meta(`${s.name}-pdb`),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
  }, o());
  new k8s.networking.v1.NetworkPolicy(`${s.name}-ingress`, {
    metadata: meta(`${s.name}-ingress`),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ["Ingress"],
      ingress: [
        ...(s.ingressFrom ? [{ from: s.ingressFrom, ports: s.ports.map((p) => ({ protocol: "TCP", port: p.name })) }] : []),
        // Prometheus (any namespace) scrapes the first port.
        ...(s.ports.length
          ? [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } }, namespaceSelector: {} }], ports: [{ protocol: "TCP", port: "http" }] }]
          : []),
      ],
    },
  }, o());
  for (const c of s.calls ?? []) {
    new k8s.networking.v1.NetworkPolicy(`${s.name}-to-${c.name}`, {
      metadata: { namespace: c.service.metadata.namespace, labels: { ...lbl }, name: fixedName(s.kind, s.name, `${s.name}-to-${c.name}`) },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": c.name } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: selector }, namespaceSelector: { matchLabels: { [NS_LABEL]: deployment.metadata.namespace } } }],
            ports: [{ protocol: "TCP", port: "http" }],
          },
        ],
      },
    }, o());
  }
  if (service) {
    new k8s.apiextensions.CustomResource(`${s.name}-monitor`, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: meta(`${s.name}-monitor`),
      spec: {
        selector: { matchLabels: selector },
        targetLabels: ["switchyard.dev/service", "switchyard.dev/team", "app.kubernetes.io/part-of"],
        endpoints: [{ port: "http", path: "/metrics", interval: "30s", scheme: "http" }],
      },
    }, o());
  }
  new k8s.apiextensions.CustomResource(`${s.name}-alerts`, {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: meta(`${s.name}-alerts`),
    spec: pulumi.output(s.namespace).apply((namespace) => ({
      groups: [{ name: `switchyard-${s.name}`, rules: alertRules({ ...s.alerts, name: s.name, team: s.team, namespace, deployment: fixedName(s.kind, s.name, s.name), pdb: fixedName(s.kind, s.name, `${s.name}-pdb`) }) }],
    })),
  }, o());
  return { deployment, ...(service ? { service } : {}), labels: lbl };
}


interface HpaSpec {
  readonly min: number;
  readonly max: number;
  readonly cpu?: number;
  readonly memory?: number;
}

/** A Deployment scaled by an autoscaling/v2 HPA, with everything `workload` creates. */
function autoscaled(s: Omit<ServiceSpec, "kind" | "alerts">, hpa: HpaSpec): Workload {
  return grouped("AutoScaledService", s.name, () => autoscaledObjects(s, hpa));
}

function autoscaledObjects(s: Omit<ServiceSpec, "kind" | "alerts">, hpa: HpaSpec): Workload {
  const w = workload({ ...s, kind: "AutoScaledService", alerts: { autoscaler: { hpa: fixedName("AutoScaledService", s.name, `${s.name}-hpa`), max: hpa.max } } });
  const utilization = (name: string, averageUtilization: number) => ({ type: "Resource", resource: { name, target: { type: "Utilization", averageUtilization } } });
  new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${s.name}-hpa`, {
    metadata: { namespace: s.namespace, labels: { ...w.labels }, name: fixedName("AutoScaledService", s.name, `${s.name}-hpa`) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: w.deployment.metadata.name },
      minReplicas: hpa.min,
      maxReplicas: hpa.max,
      metrics: [utilization("cpu", hpa.cpu ?? 70), ...(hpa.memory ? [utilization("memory", hpa.memory)] : [])],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] } },
    },
  }, o());
  return w;
}

/** With `grouped`, the `grouped` variant described at `grouping`. */
export function handwrittenProgram(spec: AppSpec, options: { readonly grouped?: boolean } = {}): void {
  grouping = options.grouped ?? false;
  const ns = new k8s.core.v1.Namespace("bench", {
    metadata: {
      name: spec.namespace,
      labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
    },
  });
  const namespace = ns.metadata.name;

  // The existing NATS server: credentials in a Secret, a NACK Account that streams and consumers use.
  const busLabels = { "app.kubernetes.io/name": "bus", "switchyard.dev/component": "natsjetstream", "app.kubernetes.io/part-of": "switchyard-events" };
  const natsPassword = pulumi.secret(NATS_PASSWORD);
  const natsUser = pulumi.output(NATS_USER);
  const account = grouped("NatsJetStream", "bus", () => {
    const credentials = new k8s.core.v1.Secret(
      "bus-credentials",
      { metadata: { namespace, labels: busLabels }, type: "Opaque", stringData: { user: natsUser, password: natsPassword } },
      o({ additionalSecretOutputs: ["data", "stringData"] }),
    );
    return new k8s.apiextensions.CustomResource(
      "bus-account",
      {
        apiVersion: "jetstream.nats.io/v1beta2",
        kind: "Account",
        metadata: { namespace, labels: busLabels },
        spec: { servers: [NATS_URL], user: { secret: { name: credentials.metadata.name }, user: "user", password: "password" } },
      },
      o(),
    );
  });
  const busNamespace = account.metadata.namespace;
  const natsUrlWithCredentials = pulumi.secret(
    pulumi.all([NATS_URL, natsUser, natsPassword]).apply(([u, n, p]) => u.replace("://", `://${encodeURIComponent(n)}:${encodeURIComponent(p)}@`)),
  );
  const natsObjectLabels = (name: string, component: string, extra: Record<string, string>) => ({
    "switchyard.dev/broker": "bus",
    ...extra,
    "app.kubernetes.io/name": name,
    "switchyard.dev/component": component,
    "app.kubernetes.io/part-of": "switchyard-events",
  });
  const stream = (name: string, subjects: string[], maxAge: string, description?: string) =>
    new k8s.apiextensions.CustomResource(name, {
      apiVersion: "jetstream.nats.io/v1beta2",
      kind: "Stream",
      metadata: { namespace: busNamespace, labels: natsObjectLabels(name, "topic", {}) },
      spec: { name, subjects, storage: "file", retention: "limits", replicas: 1, discard: "old", maxAge, ...(description ? { description } : {}), account: account.metadata.name },
    });
  const consumer = (name: string, topic: string, spec: Obj, dependsOn: pulumi.Resource[]) =>
    new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "jetstream.nats.io/v1beta2",
        kind: "Consumer",
        metadata: { namespace: busNamespace, labels: natsObjectLabels(name, "subscription", { "switchyard.dev/topic": topic }) },
        spec: { ...spec, account: account.metadata.name },
      },
      o({ dependsOn }),
    );
  /** Per event service: a Secret with the broker URL and credentials, and the env that reads it. */
  const eventsSecret = (name: string, team: string) =>
    new k8s.core.v1.Secret(
      `${name}-events`,
      {
        metadata: { namespace, labels: labels(name, "eventservice", team) },
        type: "Opaque",
        stringData: pulumi.secret({ EVENTS_BROKER_URL: natsUrlWithCredentials, EVENTS_BROKER_USERNAME: natsUser, EVENTS_BROKER_PASSWORD: natsPassword }),
      },
      o({ additionalSecretOutputs: ["data", "stringData"] }),
    );
  const brokerEnv = (secret: k8s.core.v1.Secret): Obj[] => [
    { name: "EVENTS_BROKER_KIND", value: "nats" },
    ...["EVENTS_BROKER_URL", "EVENTS_BROKER_USERNAME", "EVENTS_BROKER_PASSWORD"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } })),
  ];
  const envStem = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  const subscriptionEnv = (durable: string, topic: string, filter: string | undefined, deadLetter: string | undefined): Obj[] => {
    const stem = `EVENTS_SUB_${envStem(durable)}`;
    return [
      [`${stem}_TOPIC`, topic],
      [`${stem}_CONSUMER`, durable],
      ...(filter ? [[`${stem}_FILTER`, filter]] : []),
      [`${stem}_ACK_WAIT_MS`, "30000"],
      [`${stem}_MAX_DELIVERIES`, "5"],
      [`${stem}_MAX_IN_FLIGHT`, "100"],
      [`${stem}_CLIENT_ATTEMPTS`, "1"],
      ...(deadLetter ? [[`${stem}_DEAD_LETTER`, deadLetter]] : []),
    ].map(([name, value]) => ({ name, value }));
  };

  for (const g of spec.groups) {
    const n = groupNames(g);
    const common = { namespace };
    const catalog = autoscaled({ ...common, name: n.catalog, team: "catalog", image: image("catalog"), ports: [{ name: "http", port: 8080 }], healthPath: "/ready" }, { min: 2, max: 6 });
    const users = autoscaled(
      { ...common, name: n.users, team: "identity", image: image("users"), ports: [{ name: "http", port: 8080 }], secretEnv: { DB_PASSWORD } },
      { min: 1, max: 4 },
    );
    autoscaled(
      {
        ...common,
        name: n.search,
        team: "catalog",
        image: image("search"),
        ports: [
          { name: "http", port: 8080 },
          { name: "grpc", port: 9090, appProtocol: "kubernetes.io/h2c" },
        ],
      },
      { min: 2, max: 5 },
    );
    autoscaled(
      {
        ...common,
        name: n.ledger,
        team: "payments",
        image: image("ledger"),
        ports: [{ name: "http", port: 8080 }],
        resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
      },
      { min: 2, max: 3 },
    );
    const callee = (name: string, w: Workload): Callee => ({ name, env: `${envStem(name)}_URL`, service: w.service! });
    const api = autoscaled(
      {
        ...common,
        name: n.api,
        team: "storefront",
        image: image("api"),
        ports: [{ name: "http", port: 8080 }],
        healthPath: "/healthz",
        env: { LOG_LEVEL: "info" },
        calls: [callee(n.catalog, catalog), callee(n.users, users)],
      },
      { min: 2, max: 8, cpu: 60, memory: 80 },
    );
    const checkout = workload({
      ...common,
      kind: "FailoverGroup",
      name: n.checkout,
      team: "payments",
      image: image("checkout"),
      ports: [{ name: "http", port: 8080 }],
      calls: [callee(n.catalog, catalog)],
      secretEnv: { PAYMENT_KEY },
      replicas: ZONES.length,
      zones: ZONES,
      trafficDistribution: "PreferSameZone",
      alerts: {},
    });
    const web = autoscaled(
      {
        ...common,
        name: n.web,
        team: "storefront",
        image: image("web"),
        ports: [{ name: "http", port: 8080 }],
        calls: [callee(n.api, api), callee(n.checkout, checkout)],
        ingressFrom: [{ namespaceSelector: { matchLabels: { [NS_LABEL]: "gateways" } } }],
      },
      { min: 2, max: 10 },
    );
    new k8s.apiextensions.CustomResource(`${n.web}-route`, {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { namespace, labels: { ...web.labels }, name: fixedName("AutoScaledService", n.web, `${n.web}-route`) },
      spec: {
        parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }],
        hostnames: [`${n.web}.bench.example.com`],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [{ group: "", kind: "Service", name: web.service!.metadata.name, port: 8080, weight: 1 }],
          },
        ],
      },
    }, o());

    // Events: two streams, a publisher, a KEDA-scaled consumer that dead-letters, the dead letters' reader.
    const orders = stream(n.orders, [`${n.orders}.>`], "168h", "Orders accepted by checkout");
    const advisory = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${n.orders}`;
    const dlq = stream(n.dlq, [`${advisory}.*`], "336h");

    const relaySecret = eventsSecret(n.relay, "payments");
    workload({
      ...common,
      kind: "EventService",
      name: n.relay,
      team: "payments",
      image: image("relay"),
      ports: [],
      replicas: 1,
      podAnnotations: { "switchyard.dev/topics": n.orders },
      alerts: {},
      extraEnv: () => [
        ...brokerEnv(relaySecret),
        { name: "EVENTS_SUBSCRIPTIONS", value: "" },
        { name: "EVENTS_PUBLISHES", value: n.orders },
        { name: `EVENTS_PUB_${envStem(n.orders)}_TOPIC`, value: n.orders },
        { name: `EVENTS_PUB_${envStem(n.orders)}_SUBJECTS`, value: `${n.orders}.created` },
      ],
    });

    const fulfilConsumer = consumer(
      `${n.fulfil}-fulfil`,
      n.orders,
      {
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
      },
      [orders, dlq],
    );
    const fulfilSecret = eventsSecret(n.fulfil, "logistics");
    const fulfil = workload({
      ...common,
      kind: "EventService",
      name: n.fulfil,
      team: "logistics",
      image: image("fulfil"),
      ports: [{ name: "http", port: 8080 }],
      podAnnotations: { "switchyard.dev/topics": n.orders },
      alerts: {
        autoscaler: { hpa: `keda-hpa-${fixedName("EventService", n.fulfil, `${n.fulfil}-scaler`)}`, max: 10, keda: true },
        subscription: { durable: "fulfil", topic: n.orders, capacity: 50 * 10, deadLetter: n.dlq },
      },
      extraEnv: () => [
        ...brokerEnv(fulfilSecret),
        { name: "EVENTS_SUBSCRIPTIONS", value: "fulfil" },
        { name: "EVENTS_PUBLISHES", value: "" },
        ...subscriptionEnv("fulfil", n.orders, `${n.orders}.created`, `${advisory}.fulfil`),
      ],
      dependsOn: [fulfilConsumer],
    });
    new k8s.apiextensions.CustomResource(
      `${n.fulfil}-scaler`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { namespace, labels: { ...fulfil.labels }, name: fixedName("EventService", n.fulfil, `${n.fulfil}-scaler`) },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: fulfil.deployment.metadata.name },
          minReplicaCount: 0,
          maxReplicaCount: 10,
          pollingInterval: 30,
          cooldownPeriod: 300,
          fallback: { failureThreshold: 3, replicas: 1 },
          triggers: [
            {
              type: "nats-jetstream",
              name: "fulfil",
              metadata: {
                natsServerMonitoringEndpoint: NATS_MONITORING,
                account: "$G",
                stream: n.orders,
                consumer: "fulfil",
                lagThreshold: "50",
                activationLagThreshold: "0",
              },
            },
          ],
        },
      },
      o({ dependsOn: [fulfilConsumer] }),
    );

    const auditConsumer = consumer(
      `${n.audit}-audit`,
      n.dlq,
      { durableName: "audit", streamName: n.dlq, deliverPolicy: "all", ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5, maxAckPending: 100, replayPolicy: "instant" },
      [dlq],
    );
    const auditSecret = eventsSecret(n.audit, "logistics");
    workload({
      ...common,
      kind: "EventService",
      name: n.audit,
      team: "logistics",
      image: image("audit"),
      ports: [],
      replicas: 1,
      podAnnotations: { "switchyard.dev/topics": n.dlq },
      alerts: { subscription: { durable: "audit", topic: n.dlq } },
      extraEnv: () => [
        ...brokerEnv(auditSecret),
        { name: "EVENTS_SUBSCRIPTIONS", value: "audit" },
        { name: "EVENTS_PUBLISHES", value: "" },
        ...subscriptionEnv("audit", n.dlq, undefined, undefined),
      ],
      dependsOn: [auditConsumer],
    });
  }
  // switchyard's EventGraph is one more component, with no children.
  grouped("EventGraph", "events", () => undefined);
}
