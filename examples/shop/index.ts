/**
 * The example stack: a small shop, every service a container of the reference
 * application (examples/app: one Go program whose role is chosen by APP_ROLE).
 *   web (AutoScaledService, exposed through an HTTPRoute) calls catalog and checkout
 *     through the CATALOG_URL and CHECKOUT_URL switchyard injects (GET /call/catalog);
 *   catalog (AutoScaledService) scales on CPU (GET /work?ms=N burns CPU) and consumes
 *     `orders.created` durably to reserve stock;
 *   checkout (FailoverGroup) runs across the cluster's zones with hard spreading, calls
 *     catalog and publishes the orders it accepts to the `orders` topic of a NATS
 *     JetStream server; fulfillment (EventService) consumes them durably, scaled by KEDA
 *     on its backlog, with dead letters audited; the event graph is checked (every stack
 *     with events is) and exported as Mermaid and AsyncAPI.
 *   Every service is monitored (ServiceMonitor + PrometheusRule derived from what it
 *   declares; stack config `switchyard:monitoring` sets defaults, e.g. the `release`
 *   label kube-prometheus-stack selects on), and the stack has a Grafana dashboard.
 * Config: `image` (required: the reference application's image; `npm run demo` builds it
 * and sets it), `appVersion` (what GET / reports, default "1.0.0"), `namespace` (default
 * "shop"), `maxReplicas` (autoscaling ceiling), `cacheTtlSeconds`, `paymentApiKey`
 * (secret), `zones` (JSON list; default every zone of the cluster),
 * `natsUrl` (an existing JetStream server, default nats://nats.messaging.svc.cluster.local:4222).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AutoScaledService, EventGraph, EventService, FailoverGroup, NatsJetStream, StackDashboard, Subscription, Topic } from "@switchyard/pulumi";

const config = new pulumi.Config();
const image = config.require("image");
const maxReplicas = config.getNumber("maxReplicas") ?? 6;
const zones = config.getObject<string[]>("zones") ?? "all";
/** What every container of the reference application gets: its role and what it reports. */
const app = (role: "api" | "caller", service: string) => ({
  APP_ROLE: role,
  SERVICE_NAME: service,
  APP_VERSION: config.get("appVersion") ?? "1.0.0",
});

// Every pod must pass Pod Security "restricted": switchyard's defaults do.
const ns = new k8s.core.v1.Namespace("shop", {
  metadata: {
    name: config.get("namespace") ?? "shop",
    labels: {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
    },
  },
});
const namespace = ns.metadata.name;

// Events: streams and durable consumers become NACK objects on an existing JetStream server.
const bus = new NatsJetStream("bus", {
  namespace,
  existing: {
    url: config.get("natsUrl") ?? "nats://nats.messaging.svc.cluster.local:4222",
    monitoringEndpoint: config.get("natsMonitoring") ?? "nats.messaging.svc.cluster.local:8222",
  },
});
const orders = new Topic("orders", {
  broker: bus,
  subjects: ["orders.created", "orders.cancelled"],
  retention: { maxAge: "7d" },
  description: "Orders accepted by checkout",
});
const deadOrders = new Topic("orders-dlq", { broker: bus, deadLetterFor: orders, retention: { maxAge: "14d" } });
const catalog = new AutoScaledService("catalog", {
  image,
  port: 8080,
  healthPath: "/healthz",
  namespace,
  team: "catalog",
  partOf: "shop",
  env: { ...app("api", "catalog"), CACHE_TTL_SECONDS: config.get("cacheTtlSeconds") ?? "60" },
  autoscaling: { minReplicas: 2, maxReplicas, cpuUtilization: 70 },
  // A subscriber scaled on CPU: the replicas the HPA runs share one durable consumer.
  subscribes: [{ topic: orders, durableName: "catalog-stock", filter: "orders.created", deadLetter: deadOrders }],
});

const checkout = new FailoverGroup("checkout", {
  service: {
    image,
    port: 8080,
    healthPath: "/healthz",
    namespace,
    env: app("caller", "checkout"),
    team: "payments",
    partOf: "shop",
    calls: [catalog],
    secretEnv: { PAYMENT_API_KEY: config.getSecret("paymentApiKey") ?? pulumi.secret("local-demo-key") },
    // Every member publishes the orders it accepts: EVENTS_PUB_ORDERS_* and the broker address are injected.
    publishes: [{ topic: orders, subjects: ["orders.created", "orders.cancelled"] }],
  },
  zones,
});

const web = new AutoScaledService("web", {
  image,
  port: 8080,
  healthPath: "/healthz",
  namespace,
  env: app("caller", "web"),
  team: "storefront",
  partOf: "shop",
  calls: [catalog, checkout],
  route: { gateway: { name: "public", namespace: "gateways" }, hostnames: ["shop.example.com"], pathPrefixes: ["/"] },
  autoscaling: { minReplicas: 2, maxReplicas },
});

new EventService("fulfillment", {
  image,
  env: app("api", "fulfillment"),
  namespace,
  team: "logistics",
  partOf: "shop",
  subscribes: [{ topic: orders, durableName: "fulfillment", filter: "orders.created", maxDeliveries: 5, backoff: ["30s", "2m"], deadLetter: deadOrders }],
  scaling: { minReplicas: 0, maxReplicas, lagPerReplica: 50 },
  description: "Ships paid orders",
});
new Subscription("orders-dlq-audit", { topic: deadOrders, durableName: "orders-dlq-audit", description: "Operators inspect dead letters" });
// Every stack with events has its graph checked; the EventGraph (after the last declaration) exports it.
const graph = new EventGraph("events", { info: { title: "shop events", version: "1.0.0" } });
// One Grafana dashboard for the stack; Grafana's sidecar picks it up by label.
const dashboard = new StackDashboard("shop", { namespace, folder: "shop" });

export const namespaceName = namespace;
export const eventDiagram = graph.mermaid;
export const dashboardUid = dashboard.uid;
export const services = {
  web: { endpoint: web.endpoint, dnsName: web.dnsName },
  catalog: { endpoint: catalog.endpoint, dnsName: catalog.dnsName },
  checkout: { endpoint: checkout.endpoint, dnsName: checkout.dnsName },
};
