import { beforeEach, describe, expect, it } from "vitest";
import { EventService, KafkaBroker, NatsJetStream, RabbitMqBroker, Subscription, Topic, resetEventGraph, stableName } from "../../lib";
import { aliasesSent, childList, installMocks, isWireSecret, registrations, settle, unsecret, valueOf } from "../support/mocks";
import { expectValidManifests, reasons, thrown } from "../support/events";
const deploymentName = (component: string) => stableName(`switchyard:index:EventService::${component}`, component);

const IMAGE = "ghcr.io/acme/app:1.0.0";
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const NACK = (kind: string) => `kubernetes:jetstream.nats.io/v1beta2:${kind}`;
const KEDA = (kind: string) => `kubernetes:keda.sh/v1alpha1:${kind}`;
const STRIMZI = (kind: string) => `kubernetes:kafka.strimzi.io/v1:${kind}`;
const RABBIT = (kind: string) => `kubernetes:rabbitmq.com/v1beta1:${kind}`;
const envOf = (name: string) => {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = find("kubernetes:apps/v1:Deployment", name).inputs.spec.template.spec.containers[0].env;
  return Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
};
const childrenOf = (prefix: string) => childList(registrations).filter((c) => c.split("::")[1]!.startsWith(prefix));

function natsStack(credentials?: { username: string; password: string }) {
  const nats = new NatsJetStream("nats", { namespace: "events", ...(credentials ? { credentials } : {}) });
  const orders = new Topic("orders", { broker: nats, subjects: ["orders.created", "orders.cancelled"] });
  const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
  return { nats, orders, dlq };
}

describe.each([true, false])("EventService on NATS JetStream (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("creates exactly its children: workload, durable consumer, events Secret, broker policy, ScaledObject", async () => {
    const { orders, dlq } = natsStack();
    const billing = new EventService("billing", {
      image: IMAGE,
      namespace: "shop",
      subscribes: [{ topic: orders, filter: "orders.created", maxDeliveries: 4, backoff: ["30s", "2m", "10m"], deadLetter: dlq }],
      scaling: { maxReplicas: 10, lagPerReplica: 50, activationLag: 5, cooldownSeconds: 120 },
    });
    await settle();
    expect(childrenOf("billing")).toEqual([
      "kubernetes:apps/v1:Deployment::billing",
      "kubernetes:core/v1:Secret::billing-events",
      "kubernetes:core/v1:ServiceAccount::billing-sa",
      `${NACK("Consumer")}::billing-billing-orders`,
      `${KEDA("ScaledObject")}::billing-scaler`,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::billing-alerts",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::billing-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::billing-to-nats",
      "kubernetes:policy/v1:PodDisruptionBudget::billing-pdb",
    ]);
    // The subscription's objects are children of the service: no component per subscription.
    expect(registrations.filter((r) => r.type === "switchyard:index:Subscription")).toEqual([]);
    expect(billing.subscriptions[0]!.resources).toEqual([billing.subscriptions[0]!.consumer]);
    for (const child of [billing.deployment, billing.eventsSecret, billing.scaledObject!, billing.brokerPolicy!, billing.subscriptions[0]!.consumer!]) {
      expect(await valueOf(child.urn)).toContain("::switchyard:index:EventService$");
    }
    // Stacks deployed before keep the consumer: it is aliased from under the former Subscription component.
    expect(aliasesSent.get(`${NACK("Consumer")}::billing-billing-orders`)).toEqual([
      "parent=urn:pulumi:stack::project::switchyard:index:EventService$switchyard:index:Subscription::billing-billing-orders",
    ]);

    const consumer = find(NACK("Consumer"), "billing-billing-orders").inputs;
    expect(consumer.metadata.namespace).toBe("events");
    expect(consumer.spec).toEqual({
      durableName: "billing-orders", streamName: "orders", deliverPolicy: "all", ackPolicy: "explicit", ackWait: "30s",
      maxDeliver: 4, backoff: ["30s", "2m", "10m"], maxAckPending: 100, replayPolicy: "instant", filterSubject: "orders.created",
      account: `nats-account-0a1b2c3d`,
    });
    const dep = find("kubernetes:apps/v1:Deployment", "billing").inputs;
    expect(dep.spec.replicas).toBeUndefined();
    const so = find(KEDA("ScaledObject"), "billing-scaler").inputs;
    expect(so.metadata.namespace).toBe("shop");
    expect(so.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: `${deploymentName("billing")}` },
      minReplicaCount: 0, maxReplicaCount: 10, pollingInterval: 30, cooldownPeriod: 120,
      fallback: { failureThreshold: 3, replicas: 1 },
      triggers: [{
        type: "nats-jetstream", name: "billing-orders",
        metadata: { natsServerMonitoringEndpoint: "nats.events.svc.cluster.local:8222", account: "$G", stream: "orders", consumer: "billing-orders", lagThreshold: "50", activationLagThreshold: "5" },
      }],
    });
    expect(find("kubernetes:policy/v1:PodDisruptionBudget", "billing-pdb").inputs.spec.maxUnavailable).toBe(1);
    const policy = find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "billing-to-nats").inputs;
    expect(policy.metadata.namespace).toBe("events");
    expect(policy.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "nats", "switchyard.dev/component": "natsjetstream" });
    expect(policy.spec.ingress).toEqual([{
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "billing" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
      ports: [{ protocol: "TCP", port: 4222 }],
    }]);
    if (!preview) expect(await expectValidManifests(registrations)).toBeGreaterThan(10);
  });

  it("injects the documented variables; the URL and credentials only from the Secret", async () => {
    const { orders, dlq } = natsStack({ username: "app", password: "p@ss" });
    new EventService("api", { image: IMAGE, port: 8080, namespace: "shop", publishes: [{ topic: orders, subjects: ["orders.created"] }, dlq] });
    new EventService("billing", {
      image: IMAGE,
      namespace: "shop",
      env: { LOG_LEVEL: "info" },
      subscribes: [{ topic: orders, durableName: "billing", maxDeliveries: 3, backoff: ["1m"], deadLetter: dlq }],
    });
    await settle();
    const ref = (key: string) => ({ secretKeyRef: { name: `billing-events-0a1b2c3d`, key } });
    expect(envOf("billing")).toEqual({
      LOG_LEVEL: "info",
      EVENTS_BROKER_KIND: "nats",
      EVENTS_BROKER_URL: ref("EVENTS_BROKER_URL"),
      EVENTS_BROKER_USERNAME: ref("EVENTS_BROKER_USERNAME"),
      EVENTS_BROKER_PASSWORD: ref("EVENTS_BROKER_PASSWORD"),
      EVENTS_SUBSCRIPTIONS: "billing",
      EVENTS_PUBLISHES: "",
      EVENTS_SUB_BILLING_TOPIC: "orders",
      EVENTS_SUB_BILLING_CONSUMER: "billing",
      EVENTS_SUB_BILLING_ACK_WAIT_MS: "30000",
      EVENTS_SUB_BILLING_MAX_DELIVERIES: "3",
      EVENTS_SUB_BILLING_MAX_IN_FLIGHT: "100",
      EVENTS_SUB_BILLING_CLIENT_ATTEMPTS: "1",
      EVENTS_SUB_BILLING_DEAD_LETTER: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.billing",
    });
    expect(envOf("api")).toMatchObject({
      EVENTS_PUBLISHES: "orders,orders-dlq",
      EVENTS_PUB_ORDERS_TOPIC: "orders",
      EVENTS_PUB_ORDERS_SUBJECTS: "orders.created",
      EVENTS_PUB_ORDERS_DLQ_SUBJECTS: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.*",
    });
    expect(find("kubernetes:apps/v1:Deployment", "billing").inputs.spec.replicas).toBe(1);
    const secret = find("kubernetes:core/v1:Secret", "billing-events").inputs;
    if (!preview) {
      expect(isWireSecret(secret.stringData)).toBe(true);
      expect(unsecret(secret.stringData)).toEqual({
        EVENTS_BROKER_URL: "nats://app:p%40ss@nats.events.svc.cluster.local:4222",
        EVENTS_BROKER_USERNAME: "app",
        EVENTS_BROKER_PASSWORD: "p@ss",
      });
    }
    expect(registrations.some((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.startsWith("billing"))).toBe(false);
  });
});

describe.each([true, false])("EventService on Kafka and RabbitMQ (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("Kafka: KafkaUser with exact ACLs, retry topics, kafka trigger with TriggerAuthentication", async () => {
    const kafka = new KafkaBroker("kafka", { namespace: "kafka" });
    const payments = new Topic("payments", { broker: kafka, partitions: 6 });
    const dlq = new Topic("payments-dlq", { broker: kafka, deadLetterFor: payments, partitions: 1 });
    new EventService("ledger", {
      image: IMAGE,
      namespace: "shop",
      subscribes: [{ topic: payments, durableName: "ledger", maxDeliveries: 3, backoff: ["10s", "1m"], deadLetter: dlq }],
      scaling: { maxReplicas: 6, minReplicas: 1 },
    });
    await settle();
    expect(childrenOf("ledger")).toEqual([
      "kubernetes:apps/v1:Deployment::ledger",
      "kubernetes:core/v1:Secret::ledger-events",
      "kubernetes:core/v1:Secret::ledger-kafka-credentials",
      "kubernetes:core/v1:ServiceAccount::ledger-sa",
      `${KEDA("ScaledObject")}::ledger-scaler`,
      `${KEDA("TriggerAuthentication")}::ledger-scaler-auth`,
      `${STRIMZI("KafkaTopic")}::ledger-ledger-retry-1`,
      `${STRIMZI("KafkaTopic")}::ledger-ledger-retry-2`,
      `${STRIMZI("KafkaUser")}::ledger-kafka-user`,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::ledger-alerts",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::ledger-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::ledger-to-kafka",
      "kubernetes:policy/v1:PodDisruptionBudget::ledger-pdb",
      "pulumi-nodejs:dynamic/switchyard:GeneratedPassword::ledger-kafka-password",
    ].sort());
    const user = find(STRIMZI("KafkaUser"), "ledger-kafka-user").inputs;
    expect(user.metadata.namespace).toBe("kafka");
    expect(user.spec.authentication).toEqual({ type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: `ledger-kafka-credentials-0a1b2c3d`, key: "password" } } } });
    expect(user.spec.authorization.acls.map((a: { resource: { type: string; name: string }; operations: string[] }) => `${a.resource.type}:${a.resource.name}:${a.operations.join("+")}`)).toEqual([
      "topic:payments:Read+Describe",
      "topic:payments.ledger.retry-1:Read+Describe",
      "topic:payments.ledger.retry-2:Read+Describe",
      "topic:payments-dlq:Write+Describe",
      "topic:payments.ledger.retry-1:Write+Describe",
      "topic:payments.ledger.retry-2:Write+Describe",
      "group:ledger:Read+Describe",
    ]);
    expect(find(STRIMZI("KafkaTopic"), "ledger-ledger-retry-2").inputs.spec).toMatchObject({ topicName: "payments.ledger.retry-2", partitions: 6 });
    expect(envOf("ledger")).toMatchObject({
      EVENTS_BROKER_KIND: "kafka",
      EVENTS_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      EVENTS_SUB_LEDGER_CONSUMER: "ledger",
      EVENTS_SUB_LEDGER_CLIENT_ATTEMPTS: "1",
      EVENTS_SUB_LEDGER_RETRY_TOPICS: "payments.ledger.retry-1=10000,payments.ledger.retry-2=60000",
      EVENTS_SUB_LEDGER_DEAD_LETTER: "payments-dlq",
    });
    const so = find(KEDA("ScaledObject"), "ledger-scaler").inputs.spec;
    expect(so.triggers).toEqual([{
      type: "kafka", name: "ledger",
      metadata: { bootstrapServers: "kafka-kafka-bootstrap.kafka.svc:9092", consumerGroup: "ledger", topic: "payments", lagThreshold: "100", activationLagThreshold: "0", offsetResetPolicy: "earliest", allowIdleConsumers: "false" },
      authenticationRef: { name: `ledger-scaler-auth-0a1b2c3d`, kind: "TriggerAuthentication" },
    }]);
    expect(so).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 6 });
    const auth = find(KEDA("TriggerAuthentication"), "ledger-scaler-auth").inputs.spec;
    expect(auth.secretTargetRef.map((r: { parameter: string; key: string }) => `${r.parameter}=${r.key}`)).toEqual([
      "sasl=keda-sasl", "username=EVENTS_BROKER_USERNAME", "password=EVENTS_BROKER_PASSWORD", "tls=keda-tls",
    ]);
    if (!preview) await expectValidManifests(registrations);
  });

  it("RabbitMQ: quorum queue, binding, policy, user and permission; rabbitmq trigger", async () => {
    const rabbit = new RabbitMqBroker("rabbit", { namespace: "mq" });
    const audit = new Topic("audit", { broker: rabbit, subjects: ["audit.login", "audit.logout"] });
    const dlq = new Topic("audit-dlq", { broker: rabbit, deadLetterFor: audit });
    new EventService("auditor", {
      image: IMAGE,
      subscribes: [{ topic: audit, durableName: "auditor", filter: ["audit.login", "audit.logout"], deadLetter: dlq, ordered: true }],
      scaling: { maxReplicas: 1 },
    });
    new Subscription("dlq-reader", { topic: dlq, description: "on-call inspects dead letters" });
    await settle();
    expect(childrenOf("auditor")).toEqual([
      "kubernetes:apps/v1:Deployment::auditor",
      "kubernetes:core/v1:Secret::auditor-events",
      "kubernetes:core/v1:Secret::auditor-rabbitmq-credentials",
      "kubernetes:core/v1:ServiceAccount::auditor-sa",
      `${KEDA("ScaledObject")}::auditor-scaler`,
      `${KEDA("TriggerAuthentication")}::auditor-scaler-auth`,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::auditor-alerts",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::auditor-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::auditor-to-rabbit",
      "kubernetes:policy/v1:PodDisruptionBudget::auditor-pdb",
      `${RABBIT("Binding")}::auditor-auditor-binding-1`,
      `${RABBIT("Binding")}::auditor-auditor-binding-2`,
      `${RABBIT("Permission")}::auditor-rabbitmq-permission`,
      `${RABBIT("Policy")}::auditor-auditor-policy`,
      `${RABBIT("Queue")}::auditor-auditor`,
      `${RABBIT("User")}::auditor-rabbitmq-user`,
      "pulumi-nodejs:dynamic/switchyard:GeneratedPassword::auditor-rabbitmq-password",
    ].sort());
    expect(find(RABBIT("Queue"), "auditor-auditor").inputs.spec).toEqual({
      name: "audit.auditor", type: "quorum", durable: true, autoDelete: false, vhost: "/", arguments: { "x-single-active-consumer": true },
      rabbitmqClusterReference: { name: "rabbit", namespace: "mq" },
    });
    expect(find(RABBIT("Binding"), "auditor-auditor-binding-2").inputs.spec).toMatchObject({ source: "audit", destination: "audit.auditor", destinationType: "queue", routingKey: "audit.logout" });
    expect(find(RABBIT("Policy"), "auditor-auditor-policy").inputs.spec).toMatchObject({
      name: "switchyard.audit.auditor", pattern: "^audit\\.auditor$", applyTo: "queues",
      definition: { "delivery-limit": 4, "dead-letter-exchange": "audit-dlq", "dead-letter-strategy": "at-least-once", overflow: "reject-publish" },
    });
    expect(find(RABBIT("Permission"), "auditor-rabbitmq-permission").inputs.spec.permissions).toEqual({ configure: "^$", write: "^$", read: "^(audit\\.auditor)$" });
    expect(find(RABBIT("User"), "auditor-rabbitmq-user").inputs.spec.importCredentialsSecret).toEqual({ name: `auditor-rabbitmq-credentials-0a1b2c3d` });
    expect(find(KEDA("ScaledObject"), "auditor-scaler").inputs.spec.triggers[0]).toEqual({
      type: "rabbitmq", name: "audit.auditor",
      metadata: { protocol: "amqp", queueName: "audit.auditor", mode: "QueueLength", value: "100", activationValue: "0" },
      authenticationRef: { name: `auditor-scaler-auth-0a1b2c3d`, kind: "TriggerAuthentication" },
    });
    expect(find(RABBIT("Queue"), "dlq-reader").inputs.spec.name).toBe("audit-dlq.dlq-reader");
    expect(find(RABBIT("Binding"), "dlq-reader-binding-1").inputs.spec.routingKey).toBe("audit.login");
    if (!preview) await expectValidManifests(registrations);
  });
});

describe.each([true, false])("EventService validation, nothing created (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("reports the KEDA traps and contract errors at once", async () => {
    const kafka = new KafkaBroker("kafka");
    const payments = new Topic("payments", { broker: kafka, partitions: 3 });
    const nats = new NatsJetStream("nats", { existing: { url: "nats://n:4222" } });
    const orders = new Topic("orders", { broker: nats });
    await settle();
    const before = registrations.length;
    expect(reasons(thrown(() => new EventService("ledger", {
      image: IMAGE,
      env: { EVENTS_X: "1" },
      replicas: 2,
      subscribes: [{ topic: payments, durableName: "ledger", filter: "x" }],
      publishes: [{ topic: payments, subjects: ["a"] }],
      scaling: { minReplicas: 5, maxReplicas: 4, subscription: "ledger" },
    })))).toEqual([
      '`env.EVENTS_X` uses the prefix "EVENTS_", which EventService reserves for the variables it injects. Rename it.',
      "`subscribes[0].filter` is not supported by Kafka: a consumer group reads every message of the topic. Remove the filter, or split the topic.",
      '`publishes[0].subjects` does not apply to Kafka topic "payments". Remove it.',
      "`replicas` (2) and `scaling` are both set; with `scaling` KEDA owns the replica count. Remove `replicas`.",
      "`scaling.maxReplicas` (4) must be >= `scaling.minReplicas` (5). Set `scaling.maxReplicas` to 5 or more.",
      '`scaling.maxReplicas` (4) exceeds the 3 partitions of Kafka topic "payments": a consumer group never gives a partition to two consumers, so replicas beyond 3 would idle (and KEDA caps the count at the partitions). Set `scaling.maxReplicas` to 3, or raise the topic\'s `partitions`.',
    ]);
    expect(reasons(thrown(() => new EventService("worker", {
      image: IMAGE,
      subscribes: [{ topic: orders, durableName: "worker" }, { topic: payments }],
      scaling: { maxReplicas: 3, subscription: "workers" },
      disruptionBudget: { minAvailable: 1 },
    })))).toEqual([
      '`subscribes[1].topic` ("payments") is on broker "kafka", but `subscribes[0].topic` is on "nats". An EventService talks to one broker; split it into one service per broker.',
      '`scaling.subscription` ("workers") names no consumer of this service (its durable names: "worker", "worker-payments"); KEDA would read the lag of a consumer that does not exist and never scale. Use one of those names.',
    ]);
    expect(reasons(thrown(() => new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders }], scaling: { maxReplicas: 3 }, disruptionBudget: { minAvailable: 1 } })))).toEqual([
      '`scaling` needs the backlog of broker "nats", but that existing NATS server has no `existing.monitoringEndpoint`, so KEDA could not read it. Set `existing.monitoringEndpoint` (e.g. "nats.messaging:8222").',
      "`disruptionBudget.minAvailable` (1) would block every node drain while KEDA runs the service at few replicas (it scales down to 0). Use `maxUnavailable` (the default, 1) instead.",
    ]);
    expect(reasons(thrown(() => new EventService("idle", { image: IMAGE, publishes: [{ topic: orders, subjects: ["payments.x"] }], scaling: { maxReplicas: 2 } })))).toEqual([
      '`publishes[0].subjects[0]` ("payments.x") is not captured by topic "orders" (subjects: "orders.>"), so messages published on it would be lost. Publish within the topic\'s subjects, or add the subject to the topic.',
      "`scaling` scales on a subscription's backlog, but the service has no `subscribes`. Add a subscription, or remove `scaling` and set `replicas`.",
    ]);
    // A subscription's objects are named "<service>-<durable name>": too long is caught before anything exists.
    expect(reasons(thrown(() => new EventService("order-fulfilment-worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "order-fulfilment-primary-consumer" }] })))).toEqual([
      '`subscribes[0]` names its broker objects "order-fulfilment-worker-order-fulfilment-primary-consumer" (service name + "-" + durable name "order-fulfilment-primary-consumer"); the longest ("order-fulfilment-worker-order-fulfilment-primary-consumer-binding-10" plus the 9-character auto-name suffix) would be 77 > 63. Set a `durableName` of 19 characters or fewer, or shorten the service name.',
    ]);
    expect(reasons(thrown(() => new EventService("inventory-reservation-expiry-sweeper", { image: IMAGE, subscribes: [{ topic: orders }] })))).toEqual([
      '`subscribes[0]` names its broker objects "inventory-reservation-expiry-sweeper-inventory-reservation-expiry-sweeper-orders" (service name + "-" + durable name "inventory-reservation-expiry-sweeper-orders"); the longest ("inventory-reservation-expiry-sweeper-inventory-reservation-expiry-sweeper-orders-binding-10" plus the 9-character auto-name suffix) would be 100 > 63. Set a `durableName` of 6 characters or fewer, or shorten the service name.',
    ]);
    const longest = "s".repeat(42); // the longest name an EventService may have
    expect(reasons(thrown(() => new EventService(longest, { image: IMAGE, subscribes: [{ topic: orders, durableName: "d" }] })))).toEqual([
      `\`subscribes[0]\` names its broker objects "${longest}-d" (service name + "-" + durable name "d"); the longest ("${longest}-d-binding-10" plus the 9-character auto-name suffix) would be 64 > 63. Shorten the service name: no durable name fits after it.`,
    ]);
    new EventService("a", { image: IMAGE, subscribes: [{ topic: orders, durableName: "shared" }] });
    await settle();
    const afterA = registrations.length;
    expect(reasons(thrown(() => new EventService("b", { image: IMAGE, subscribes: [{ topic: orders, durableName: "shared" }, { topic: orders, durableName: "shared" }] })))).toEqual([
      '`subscribes[0].durableName` ("shared") on topic "orders" is already used by "a"; two owners of one durable consumer would take each other\'s messages. Choose another durable name.',
      '`subscribes[1].durableName` ("shared") on topic "orders" is already used by "a"; two owners of one durable consumer would take each other\'s messages. Choose another durable name.',
      '`subscribes[1].durableName` ("shared") is used by two subscriptions of this service. Give each its own durable name.',
    ]);
    await settle();
    expect(before).toBeLessThan(afterA);
    expect(registrations.length).toBe(afterA);
  });

  it("a standalone Subscription validates its contract and creates nothing when invalid", async () => {
    const nats = new NatsJetStream("nats", { replicas: 1 });
    const orders = new Topic("orders", { broker: nats, subjects: ["orders.*"] });
    const stray = new Topic("stray", { broker: nats });
    await settle();
    const before = registrations.length;
    expect(reasons(thrown(() => new Subscription("audit", { topic: orders, filter: "payments.>", deadLetter: stray, maxDeliveries: 2, backoff: ["1m", "2m"], ackWait: "1m" })))).toEqual([
      '`filter` ("payments.>") matches none of the subjects of topic "orders" ("orders.*"), so the subscription would never receive a message. Use a filter within those subjects, or remove it.',
      "`backoff` has 2 entries but `maxDeliveries` (2) allows only 1 redeliveries, so the extra entries would never be used (and JetStream rejects the consumer). Remove entries, or raise `maxDeliveries` to 3.",
      '`deadLetter` ("stray") does not list topic "orders" in its `deadLetterFor`, so on NATS JetStream it would not capture this consumer\'s max-deliveries advisories. Add "orders" to `deadLetterFor` of "stray".',
    ]);
    await settle();
    expect(registrations.length).toBe(before);
  });
});
