import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Parser } from "@asyncapi/parser";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoScaledService, EventGraph, EventService, FailoverGroup, KafkaBroker, NatsJetStream, RabbitMqBroker, ServiceRef, Topic, resetEventGraph, stableName } from "../../lib";
import { aliasesSent, childList, installMocks, isWireSecret, registrations, settle, unsecret, valueOf } from "../support/mocks";
import { expectValidManifests, reasons, thrown } from "../support/events";

// Events are a capability of every service kind: an HTTP API written as an
// AutoScaledService publishes, an EventService consumes scaled on its backlog,
// an AutoScaledService consumes scaled on CPU, a FailoverGroup's members share
// one durable consumer. No `external` topic, no hand-copied peers or secrets.

const IMAGE = "ghcr.io/acme/app:1.0.0";
const NACK = (kind: string) => `kubernetes:jetstream.nats.io/v1beta2:${kind}`;
const STRIMZI = (kind: string) => `kubernetes:kafka.strimzi.io/v1:${kind}`;
const RABBIT = (kind: string) => `kubernetes:rabbitmq.com/v1beta1:${kind}`;
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const childrenOf = (prefix: string) => childList(registrations).filter((c) => c.split("::")[1]!.startsWith(prefix));
const envOf = (name: string) => {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = find("kubernetes:apps/v1:Deployment", name).inputs.spec.template.spec.containers[0].env ?? [];
  return Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
};
/** The stable Kubernetes name of an AutoScaledService's child. */
const asName = (service: string, logical: string) => stableName(`switchyard:index:AutoScaledService::${service}`, logical);
const fromSecret = (secret: string, key: string) => ({ secretKeyRef: { name: secret, key } });

/** The order pipeline of issue 13, written as a new user would. */
function pipeline() {
  const nats = new NatsJetStream("nats", { namespace: "events", credentials: { username: "app", password: "p@ss" } });
  const orders = new Topic("orders", { broker: nats, subjects: ["orders.created", "orders.cancelled"], description: "Orders accepted by the API." });
  const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
  const api = new AutoScaledService("orders-api", {
    image: IMAGE,
    port: 8080,
    namespace: "shop",
    env: { LOG_LEVEL: "info" },
    publishes: [{ topic: orders, subjects: ["orders.created"] }],
    autoscaling: { maxReplicas: 5 },
  });
  const worker = new EventService("worker", {
    image: IMAGE,
    namespace: "shop",
    subscribes: [{ topic: orders, durableName: "worker", filter: "orders.created", deadLetter: dlq }],
    scaling: { maxReplicas: 10 },
  });
  const indexer = new AutoScaledService("indexer", {
    image: IMAGE,
    port: 9090,
    namespace: "shop",
    subscribes: [{ topic: orders, durableName: "indexer", deadLetter: dlq }],
    autoscaling: { minReplicas: 1, maxReplicas: 4, cpuUtilization: 60 },
  });
  const audit = new EventService("dlq-audit", { image: IMAGE, namespace: "shop", subscribes: [{ topic: dlq, durableName: "dlq-audit" }] });
  return { nats, orders, dlq, api, worker, indexer, audit };
}

describe.each([true, false])("publishes and subscribes on every service kind (preview=%s)", (preview) => {
  let warn: { mock: { calls: unknown[][] }; mockRestore(): void };
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
    warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
  });
  afterEach(() => warn.mockRestore());

  it("an orders API (AutoScaledService) publishes and a CPU-scaled AutoScaledService subscribes: exact children, env and network path", async () => {
    const { api, indexer } = pipeline();
    await settle();
    expect(childrenOf("orders-api")).toEqual([
      "kubernetes:apps/v1:Deployment::orders-api",
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::orders-api-hpa",
      "kubernetes:core/v1:Secret::orders-api-events",
      "kubernetes:core/v1:Service::orders-api",
      "kubernetes:core/v1:ServiceAccount::orders-api-sa",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::orders-api-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::orders-api-monitor",
      `${POLICY}::orders-api-ingress`,
      `${POLICY}::orders-api-to-nats`,
      "kubernetes:policy/v1:PodDisruptionBudget::orders-api-pdb",
    ]);
    expect(childrenOf("indexer")).toEqual([
      "kubernetes:apps/v1:Deployment::indexer",
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::indexer-hpa",
      "kubernetes:core/v1:Secret::indexer-events",
      "kubernetes:core/v1:Service::indexer",
      "kubernetes:core/v1:ServiceAccount::indexer-sa",
      `${NACK("Consumer")}::indexer-indexer`,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::indexer-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::indexer-monitor",
      `${POLICY}::indexer-ingress`,
      `${POLICY}::indexer-to-nats`,
      "kubernetes:policy/v1:PodDisruptionBudget::indexer-pdb",
    ]);
    // No KEDA: the subscriber is scaled by its HPA, on CPU.
    expect(registrations.filter((r) => r.type.startsWith("kubernetes:keda.sh") && r.name.startsWith("indexer"))).toEqual([]);
    expect(find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "indexer-hpa").inputs.spec).toMatchObject({
      minReplicas: 1,
      maxReplicas: 4,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
    });
    expect(find("kubernetes:apps/v1:Deployment", "indexer").inputs.spec.replicas).toBeUndefined();

    // The env contract, the URL and credentials only from the service's own Secret.
    const apiSecret = asName("orders-api", "orders-api-events");
    expect(envOf("orders-api")).toEqual({
      LOG_LEVEL: "info",
      EVENTS_BROKER_KIND: "nats",
      EVENTS_BROKER_URL: fromSecret(apiSecret, "EVENTS_BROKER_URL"),
      EVENTS_BROKER_USERNAME: fromSecret(apiSecret, "EVENTS_BROKER_USERNAME"),
      EVENTS_BROKER_PASSWORD: fromSecret(apiSecret, "EVENTS_BROKER_PASSWORD"),
      EVENTS_SUBSCRIPTIONS: "",
      EVENTS_PUBLISHES: "orders",
      EVENTS_PUB_ORDERS_TOPIC: "orders",
      EVENTS_PUB_ORDERS_SUBJECTS: "orders.created",
    });
    const indexerSecret = asName("indexer", "indexer-events");
    expect(envOf("indexer")).toEqual({
      EVENTS_BROKER_KIND: "nats",
      EVENTS_BROKER_URL: fromSecret(indexerSecret, "EVENTS_BROKER_URL"),
      EVENTS_BROKER_USERNAME: fromSecret(indexerSecret, "EVENTS_BROKER_USERNAME"),
      EVENTS_BROKER_PASSWORD: fromSecret(indexerSecret, "EVENTS_BROKER_PASSWORD"),
      EVENTS_SUBSCRIPTIONS: "indexer",
      EVENTS_PUBLISHES: "",
      EVENTS_SUB_INDEXER_TOPIC: "orders",
      EVENTS_SUB_INDEXER_CONSUMER: "indexer",
      EVENTS_SUB_INDEXER_ACK_WAIT_MS: "30000",
      EVENTS_SUB_INDEXER_MAX_DELIVERIES: "5",
      EVENTS_SUB_INDEXER_MAX_IN_FLIGHT: "100",
      EVENTS_SUB_INDEXER_CLIENT_ATTEMPTS: "1",
      EVENTS_SUB_INDEXER_DEAD_LETTER: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.indexer",
    });
    const secret = find("kubernetes:core/v1:Secret", "orders-api-events").inputs;
    expect(secret.metadata).toMatchObject({ name: apiSecret, namespace: "shop" });
    if (!preview) {
      expect(isWireSecret(secret.stringData)).toBe(true);
      expect(unsecret(secret.stringData)).toEqual({
        EVENTS_BROKER_URL: "nats://app:p%40ss@nats.events.svc.cluster.local:4222",
        EVENTS_BROKER_USERNAME: "app",
        EVENTS_BROKER_PASSWORD: "p@ss",
      });
    }
    // Log pipelines select by topic.
    expect(find("kubernetes:apps/v1:Deployment", "indexer").inputs.spec.template.metadata.annotations).toEqual({ "switchyard.dev/topics": "orders" });

    // The network path: a policy in the broker's namespace admits exactly the service's pods to the client port.
    const policy = find(POLICY, "orders-api-to-nats").inputs;
    expect(policy.metadata).toMatchObject({ name: asName("orders-api", "orders-api-to-nats"), namespace: "events" });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "nats", "switchyard.dev/component": "natsjetstream" } },
      policyTypes: ["Ingress"],
      ingress: [{
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders-api" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
        ports: [{ protocol: "TCP", port: 4222 }],
      }],
    });

    // The durable consumer is the subscriber's child, not aliased (it never lived elsewhere).
    expect(find(NACK("Consumer"), "indexer-indexer").inputs.spec).toMatchObject({ durableName: "indexer", streamName: "orders", maxDeliver: 5 });
    expect(find(NACK("Consumer"), "indexer-indexer").inputs.metadata.namespace).toBe("events");
    for (const child of [indexer.subscriptions[0]!.consumer!, indexer.eventsSecret!, indexer.events!.brokerPolicy!]) {
      expect(await valueOf(child.urn)).toContain("::switchyard:index:AutoScaledService$");
    }
    expect(aliasesSent.has(`${NACK("Consumer")}::indexer-indexer`)).toBe(false);
    expect(api.subscriptions).toEqual([]);
    expect(api.events!.brokerPolicy).toBeDefined();
    expect(indexer.events!.subscriptions).toBe(indexer.subscriptions);

    // Monitoring knows the subscription: its alerts and dashboard rows follow.
    expect((await valueOf(indexer.monitoringTargets[0]!)).subscriptions).toEqual([
      { durableName: "indexer", broker: "nats", topic: "orders", consumer: "indexer", deadLetter: "orders-dlq" },
    ]);
    expect((await valueOf(api.monitoringTargets[0]!)).subscriptions).toBeUndefined();
    if (!preview) expect(await expectValidManifests(registrations)).toBeGreaterThan(40);
  });

  it("the graph sees every kind: no `external` needed, AsyncAPI send/receive operations and Mermaid edges", async () => {
    pipeline();
    const graph = new EventGraph("events", { info: { title: "orders" } });
    await settle();
    expect(warn.mock.calls.map((c) => c[0])).toEqual([]);
    expect(graph.report).toEqual({ errors: [], warnings: [] });
    const text = await valueOf(graph.asyncapi);
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document!.operations().all().map((o) => `${o.id()}:${o.action()}`)).toEqual([
      "orders-api.send.orders:send",
      "worker.receive.orders.worker:receive",
      "indexer.receive.orders.indexer:receive",
      "dlq-audit.receive.orders-dlq.dlq-audit:receive",
    ]);
    expect((graph.document as any).operations["orders-api.send.orders"].summary).toBe("orders-api publishes to orders on orders.created.");
    expect(await valueOf(graph.mermaid)).toBe(`flowchart LR
  subgraph b_nats["NATS JetStream: nats"]
    t_nats__orders[["orders<br/>orders.created, orders.cancelled"]]
    t_nats__orders_dlq[["orders-dlq<br/>max-deliveries:orders.*"]]
  end
  s_orders_api(["orders-api"])
  s_worker(["worker<br/>0..10 replicas on lag"])
  s_indexer(["indexer"])
  s_dlq_audit(["dlq-audit"])
  s_orders_api -->|"orders.created"| t_nats__orders
  t_nats__orders -->|"worker · orders.created · max 5"| s_worker
  t_nats__orders -.->|"dead letters of worker"| t_nats__orders_dlq
  t_nats__orders -->|"indexer · max 5"| s_indexer
  t_nats__orders -.->|"dead letters of indexer"| t_nats__orders_dlq
  t_nats__orders_dlq -->|"dlq-audit · max 5"| s_dlq_audit
`);
  });

  it("FailoverGroup in zones: one durable consumer for the group, its Secret, env and network path", async () => {
    const nats = new NatsJetStream("nats", { namespace: "events", credentials: { username: "app", password: "p@ss" } });
    const orders = new Topic("orders", { broker: nats });
    const payments = new Topic("payments", { broker: nats });
    const g = new FailoverGroup("checkout", {
      service: { image: IMAGE, port: 8080, namespace: "shop", subscribes: [{ topic: orders, maxDeliveries: -1 }], publishes: [payments] },
      zones: ["zone-a", "zone-b"],
    });
    await settle();
    const n = (logical: string) => stableName("switchyard:index:FailoverGroup::checkout", logical);
    expect(childrenOf("checkout")).toEqual([
      "kubernetes:apps/v1:Deployment::checkout",
      "kubernetes:core/v1:Secret::checkout-events",
      "kubernetes:core/v1:Service::checkout",
      "kubernetes:core/v1:ServiceAccount::checkout-sa",
      `${NACK("Consumer")}::checkout-checkout-orders`,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::checkout-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::checkout-monitor",
      `${POLICY}::checkout-ingress`,
      `${POLICY}::checkout-to-nats`,
      "kubernetes:policy/v1:PodDisruptionBudget::checkout-pdb",
    ]);
    expect(find(NACK("Consumer"), "checkout-checkout-orders").inputs.spec).toMatchObject({ durableName: "checkout-orders", streamName: "orders" });
    expect(envOf("checkout")).toMatchObject({
      EVENTS_BROKER_URL: fromSecret(n("checkout-events"), "EVENTS_BROKER_URL"),
      EVENTS_SUBSCRIPTIONS: "checkout-orders",
      EVENTS_PUBLISHES: "payments",
      EVENTS_SUB_CHECKOUT_ORDERS_CONSUMER: "checkout-orders",
      EVENTS_PUB_PAYMENTS_SUBJECTS: "payments.>",
    });
    expect(find("kubernetes:apps/v1:Deployment", "checkout").inputs.spec.replicas).toBe(2);
    expect(g.subscriptions.map((s) => s.consumerName)).toEqual(["checkout-orders"]);
    expect(g.members[0]!.eventsSecret).toBeDefined();
    expect(g.events!.brokerPolicy).toBeDefined();
    expect((await valueOf(g.monitoringTargets[0]!)).subscriptions).toEqual([{ durableName: "checkout-orders", broker: "nats", topic: "orders", consumer: "checkout-orders" }]);
    if (!preview) await expectValidManifests(registrations);
  });

  it("FailoverGroup across clusters: the broker side once with the group's provider, a Secret and env per member on its own", async () => {
    const east = new k8s.Provider("east", { kubeconfig: "{}" });
    const west = new k8s.Provider("west", { kubeconfig: "{}" });
    const kafka = new KafkaBroker("kafka", { namespace: "kafka" });
    const orders = new Topic("orders", { broker: kafka, partitions: 6 });
    const g = new FailoverGroup("checkout", {
      service: { image: IMAGE, port: 8080, namespace: "shop", subscribes: [{ topic: orders, durableName: "checkout", maxDeliveries: -1 }] },
      members: [
        { name: "east", provider: east, active: true },
        { name: "west", provider: west },
      ],
    });
    await settle();
    const events = childrenOf("checkout").filter((c) => !/Deployment|Service:|ServiceAccount|Prometheus|ServiceMonitor|ingress|pdb/.test(c));
    expect(events).toEqual([
      "kubernetes:core/v1:Secret::checkout-east-events",
      "kubernetes:core/v1:Secret::checkout-kafka-credentials",
      "kubernetes:core/v1:Secret::checkout-west-events",
      `${STRIMZI("KafkaUser")}::checkout-kafka-user`,
      `${POLICY}::checkout-to-kafka`,
      "pulumi-nodejs:dynamic/switchyard:GeneratedPassword::checkout-kafka-password",
    ]);
    // One identity and one consumer group for the whole group, in the broker's cluster (the group's provider: the default here).
    for (const name of ["checkout-kafka-user", "checkout-kafka-credentials", "checkout-to-kafka"]) {
      expect(registrations.find((r) => r.name === name)!.provider ?? "", name).not.toMatch(/::(east|west)::/);
    }
    expect(find(STRIMZI("KafkaUser"), "checkout-kafka-user").inputs.metadata.labels["switchyard.dev/component"]).toBe("failovergroup");
    // Each member reads the same credentials from its own Secret, in its own cluster.
    for (const m of ["east", "west"]) {
      expect(find("kubernetes:core/v1:Secret", `checkout-${m}-events`).provider).toMatch(new RegExp(`::pulumi:providers:kubernetes::${m}::`));
      expect(envOf(`checkout-${m}`)).toMatchObject({
        EVENTS_BROKER_KIND: "kafka",
        EVENTS_BROKER_USERNAME: fromSecret(stableName("switchyard:index:FailoverGroup::checkout", `checkout-${m}-events`), "EVENTS_BROKER_USERNAME"),
        EVENTS_SUB_CHECKOUT_CONSUMER: "checkout",
      });
    }
    expect(g.members.map((m) => m.eventsSecret !== undefined)).toEqual([true, true]);
    // The subscription's alerts once, with the active member.
    expect((await valueOf(g.members[0]!.monitoring!.target)).subscriptions?.map((s) => s.consumer)).toEqual(["checkout"]);
    expect((await valueOf(g.members[1]!.monitoring!.target)).subscriptions).toBeUndefined();
  });

  it("Kafka and RabbitMQ: an AutoScaledService publisher gets its own identity, allowed to write exactly its topics", async () => {
    const kafka = new KafkaBroker("kafka", { namespace: "kafka" });
    const payments = new Topic("payments", { broker: kafka, partitions: 3 });
    new AutoScaledService("pay-api", { image: IMAGE, port: 8080, publishes: [payments], autoscaling: { maxReplicas: 3 } });
    const rabbit = new RabbitMqBroker("rabbit", { namespace: "mq" });
    const audit = new Topic("audit", { broker: rabbit });
    new AutoScaledService("audit-api", { image: IMAGE, port: 8080, publishes: [{ topic: audit, subjects: ["audit.login"] }], autoscaling: { maxReplicas: 3 } });
    await settle();
    const user = find(STRIMZI("KafkaUser"), "pay-api-kafka-user").inputs;
    expect(user.spec.authorization.acls.map((a: { resource: { type: string; name: string }; operations: string[] }) => `${a.resource.type}:${a.resource.name}:${a.operations.join("+")}`)).toEqual([
      "topic:payments:Write+Describe",
    ]);
    expect(envOf("pay-api")).toMatchObject({ EVENTS_BROKER_KIND: "kafka", EVENTS_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512", EVENTS_PUBLISHES: "payments", EVENTS_PUB_PAYMENTS_TOPIC: "payments" });
    expect(find(RABBIT("Permission"), "audit-api-rabbitmq-permission").inputs.spec.permissions).toEqual({ configure: "^$", write: "^(audit)$", read: "^$" });
    expect(envOf("audit-api")).toMatchObject({ EVENTS_BROKER_KIND: "rabbitmq", EVENTS_PUB_AUDIT_SUBJECTS: "audit.login" });
    expect(childrenOf("audit-api").filter((c) => c.includes("rabbitmq"))).toEqual([
      "kubernetes:core/v1:Secret::audit-api-rabbitmq-credentials",
      `${RABBIT("Permission")}::audit-api-rabbitmq-permission`,
      `${RABBIT("User")}::audit-api-rabbitmq-user`,
      "pulumi-nodejs:dynamic/switchyard:GeneratedPassword::audit-api-rabbitmq-password",
    ]);
    if (!preview) await expectValidManifests(registrations);
  });

  it("a service without publishes or subscribes gets nothing of it", async () => {
    const s = new AutoScaledService("plain", { image: IMAGE, port: 8080, env: { EVENTS_MODE: "off" }, autoscaling: { maxReplicas: 3 } });
    await settle();
    expect(childrenOf("plain").filter((c) => c.includes("events") || c.includes("-to-"))).toEqual([]);
    expect(envOf("plain")).toEqual({ EVENTS_MODE: "off" });
    expect(find("kubernetes:apps/v1:Deployment", "plain").inputs.spec.template.metadata.annotations).toBeUndefined();
    expect([s.subscriptions, s.events, s.eventsSecret]).toEqual([[], undefined, undefined]);
  });
});

describe.each([true, false])("publishes and subscribes: validation before anything exists (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("AutoScaledService and FailoverGroup report every problem of their events at once, with the property path", async () => {
    const nats = new NatsJetStream("nats", { existing: { url: "nats://n:4222" } });
    const orders = new Topic("orders", { broker: nats });
    const kafka = new KafkaBroker("kafka");
    const payments = new Topic("payments", { broker: kafka, partitions: 3 });
    new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "shared" }] });
    await settle();
    const before = registrations.length;
    expect(reasons(thrown(() => new AutoScaledService("orders-api", {
      image: IMAGE,
      port: 8080,
      env: { EVENTS_BROKER_URL: "x" },
      publishes: [{ topic: orders, subjects: ["payments.created"] }, payments],
      subscribes: [{ topic: orders, durableName: "shared" }, { topic: orders, durableName: "mine" }, { topic: orders, durableName: "mine" }],
      autoscaling: { maxReplicas: 3 },
    })))).toEqual([
      '`env.EVENTS_BROKER_URL` uses the prefix "EVENTS_", which AutoScaledService reserves for the variables it injects. Rename it.',
      '`subscribes[0].durableName` ("shared") on topic "orders" is already used by "worker"; two owners of one durable consumer would take each other\'s messages. Choose another durable name.',
      '`subscribes[2].durableName` ("mine") is used by two subscriptions of this service. Give each its own durable name.',
      '`publishes[0].subjects[0]` ("payments.created") is not captured by topic "orders" (subjects: "orders.>"), so messages published on it would be lost. Publish within the topic\'s subjects, or add the subject to the topic.',
      '`publishes[1]` ("payments") is on broker "kafka", but `subscribes[0].topic` is on "nats". An AutoScaledService talks to one broker; split it into one service per broker.',
    ]);
    expect(reasons(thrown(() => new FailoverGroup("worker", {
      service: { image: IMAGE, port: 8080, secretEnv: { EVENTS_TOKEN: "t" }, subscribes: [{ topic: payments, filter: "x" }, { topic: orders }] },
    })))).toEqual([
      '`service.secretEnv.EVENTS_TOKEN` uses the prefix "EVENTS_", which FailoverGroup reserves for the variables it injects. Rename it.',
      "`service.subscribes[0].filter` is not supported by Kafka: a consumer group reads every message of the topic. Remove the filter, or split the topic.",
      '`service.subscribes[1].topic` ("orders") is on broker "nats", but `service.subscribes[0].topic` is on "kafka". A FailoverGroup talks to one broker; split it into one service per broker.',
      'A service or consumer named "worker" is already in the event graph. Give each one a unique name.',
    ]);
    // Subscription objects are named "<service>-<durable>": too long is caught before anything exists.
    expect(reasons(thrown(() => new AutoScaledService("order-fulfilment-worker", {
      image: IMAGE,
      port: 8080,
      subscribes: [{ topic: orders, durableName: "order-fulfilment-primary-consumer" }],
      autoscaling: { maxReplicas: 2 },
    })))).toEqual([
      '`subscribes[0]` names its broker objects "order-fulfilment-worker-order-fulfilment-primary-consumer" (service name + "-" + durable name "order-fulfilment-primary-consumer"); the longest ("order-fulfilment-worker-order-fulfilment-primary-consumer-binding-10" plus the 9-character auto-name suffix) would be 77 > 63. Set a `durableName` of 19 characters or fewer, or shorten the service name.',
    ]);
    await settle();
    expect(registrations.length).toBe(before);
  });

  it("env names that collide after normalisation: durable names and topics differing only by punctuation, a callee on the EVENTS_ prefix", async () => {
    const nats = new NatsJetStream("nats", { existing: { url: "nats://n:4222" } });
    const ordersNew = new Topic("orders-new", { broker: nats });
    const ordersNewToo = new Topic("orders--new", { broker: nats, subjects: ["ordersnew.>"] });
    const broker = new ServiceRef({ name: "events-broker", namespace: "ops", port: 80 });
    await settle();
    const before = registrations.length;
    expect(reasons(thrown(() => new AutoScaledService("api", {
      image: IMAGE,
      port: 8080,
      calls: [broker],
      subscribes: [{ topic: ordersNew, durableName: "orders-new" }, { topic: ordersNew, durableName: "orders_new" }],
      publishes: [ordersNew, ordersNewToo],
      autoscaling: { maxReplicas: 3 },
    })))).toEqual([
      '`calls[0]` injects "EVENTS_BROKER_URL", under the prefix "EVENTS_" that AutoScaledService reserves for the variables it injects. Name the variable with `{ target, env: "..." }`.',
      '`subscribes[1].durableName` ("orders_new") gives the same variables (EVENTS_SUB_ORDERS_NEW_*) as `subscribes[0].durableName`: the container would see only one of them. Choose names that differ in letters or digits.',
      '`publishes[1].topic` ("orders--new") gives the same variables (EVENTS_PUB_ORDERS_NEW_*) as `publishes[0].topic`: the container would see only one of them. Choose names that differ in letters or digits.',
    ]);
    // The fix the message names works.
    new AutoScaledService("api", { image: IMAGE, port: 8080, calls: [{ target: broker, env: "OPS_BROKER_URL" }], subscribes: [{ topic: ordersNew, durableName: "orders-new" }], autoscaling: { maxReplicas: 3 } });
    await settle();
    expect(registrations.length).toBeGreaterThan(before);
  });
});
