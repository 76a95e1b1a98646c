import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { KafkaBroker, NatsJetStream, RabbitMqBroker, Topic, resetEventGraph } from "../../lib";
import { aliasesSent, childList, installMocks, isWireSecret, registrations, settle, unsecret, valueOf } from "../support/mocks";
import { expectValidManifests, reasons, thrown } from "../support/events";

const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const NACK = (kind: string) => `kubernetes:jetstream.nats.io/v1beta2:${kind}`;
const STRIMZI = (kind: string) => `kubernetes:kafka.strimzi.io/v1:${kind}`;
const RABBIT = (kind: string) => `kubernetes:rabbitmq.com/v1beta1:${kind}`;

describe.each([true, false])("brokers (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("NatsJetStream in the cluster: exact children, all parented to the component", async () => {
    const nats = new NatsJetStream("nats", { namespace: "events" });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:jetstream.nats.io/v1beta2:Account::nats-account",
      "kubernetes:apps/v1:StatefulSet::nats",
      "kubernetes:core/v1:ConfigMap::nats-config",
      "kubernetes:core/v1:Secret::nats-credentials",
      "kubernetes:core/v1:Service::nats",
      "kubernetes:core/v1:Service::nats-headless",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::nats-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget::nats-pdb",
      "pulumi-nodejs:dynamic/switchyard:GeneratedPassword::nats-password",
    ].sort());
    for (const child of [nats.statefulSet!, nats.service!, nats.account, nats.credentialsSecret!, nats.password!]) {
      expect(await valueOf(child.urn)).toContain("::switchyard:index:NatsJetStream$");
    }
    const sts = find("kubernetes:apps/v1:StatefulSet", "nats").inputs;
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.serviceName).toBe("nats-headless");
    expect(sts.metadata).toMatchObject({ name: "nats", namespace: "events" });
    expect(sts.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual(["POD_NAME", "NATS_USER", "NATS_PASSWORD"]);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
    const conf: string = find("kubernetes:core/v1:ConfigMap", "nats-config").inputs.data["nats.conf"];
    expect(conf).toContain("jetstream {\n  store_dir: /data\n}");
    expect(conf).toContain("routes: [\n    nats://nats-0.nats-headless:6222\n    nats://nats-1.nats-headless:6222\n    nats://nats-2.nats-headless:6222\n  ]");
    expect(conf).toContain("password: $NATS_PASSWORD");
    expect(conf).not.toMatch(/password: [^$]/);
    const secret = find("kubernetes:core/v1:Secret", "nats-credentials").inputs;
    // In preview the generated password is unknown, and with it the whole Secret data.
    if (!preview) expect(unsecret(secret.stringData).user).toBe("switchyard");
    if (!preview) expect(isWireSecret(secret.stringData) || isWireSecret(secret.stringData.password)).toBe(true);
    const account = find(NACK("Account"), "nats-account").inputs;
    // Only fields NACK's controller keeps when it writes the object back (it has no `spec.name`).
    expect(account.spec).toEqual({
      servers: ["nats://nats.events.svc.cluster.local:4222"],
      user: { secret: { name: "nats-credentials-0a1b2c3d" }, user: "user", password: "password" },
    });
    expect(find("kubernetes:policy/v1:PodDisruptionBudget", "nats-pdb").inputs.spec.maxUnavailable).toBe(1);
    const policy = find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "nats-ingress").inputs;
    expect(policy.spec.ingress[1].from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nack" } } },
    ]);
    expect(await valueOf(nats.endpoint)).toBe("nats://nats.events.svc.cluster.local:4222");
    expect(await valueOf(nats.nats.monitoringEndpoint!)).toBe("nats.events.svc.cluster.local:8222");
    if (!preview) expect(await expectValidManifests(registrations)).toBe(8);
  });

  it("NatsJetStream with one server and given credentials: no routes, no generated password", async () => {
    new NatsJetStream("nats", { replicas: 1, credentials: { username: "app", password: pulumi.secret("s3cret") }, networkPolicy: false });
    await settle();
    expect(childList(registrations)).not.toContain("pulumi-nodejs:dynamic/switchyard:GeneratedPassword::nats-password");
    expect(childList(registrations)).not.toContain("kubernetes:networking.k8s.io/v1:NetworkPolicy::nats-ingress");
    expect(find("kubernetes:core/v1:ConfigMap", "nats-config").inputs.data["nats.conf"]).not.toContain("cluster {");
    expect(unsecret(find("kubernetes:core/v1:Secret", "nats-credentials").inputs.stringData).user).toBe("app");
  });

  it("NatsJetStream in the cluster: nodeSelector and tolerations reach the servers' pods", async () => {
    new NatsJetStream("nats", {
      namespace: "events",
      nodeSelector: { "node-role/brokers": "true" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "brokers", effect: "NoSchedule" }],
    });
    await settle();
    const pod = find("kubernetes:apps/v1:StatefulSet", "nats").inputs.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ "node-role/brokers": "true" });
    expect(pod.tolerations).toEqual([{ key: "dedicated", operator: "Equal", value: "brokers", effect: "NoSchedule" }]);
    if (!preview) await expectValidManifests(registrations);
  });

  it("NatsJetStream bound to an existing server: credentials Secret and Account only", async () => {
    const nats = new NatsJetStream("nats", {
      namespace: "events",
      existing: { url: "nats://nats.messaging:4222", monitoringEndpoint: "nats.messaging:8222", credentials: { username: "app", password: "pw" } },
    });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:jetstream.nats.io/v1beta2:Account::nats-account",
      "kubernetes:core/v1:Secret::nats-credentials",
    ].sort());
    expect(find(NACK("Account"), "nats-account").inputs.spec.servers).toEqual(["nats://nats.messaging:4222"]);
    expect(nats.clientAccess.podSelector).toBeUndefined();
    expect(nats.info).toEqual({ kind: "nats", logicalName: "nats", replicas: 1 });
    if (!preview) await expectValidManifests(registrations);
  });

  it("KafkaBroker: KRaft Kafka with a node pool", async () => {
    const kafka = new KafkaBroker("kafka", { namespace: "events" });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:kafka.strimzi.io/v1:Kafka::kafka",
      "kubernetes:kafka.strimzi.io/v1:KafkaNodePool::kafka-pool",
    ].sort());
    const k = find(STRIMZI("Kafka"), "kafka").inputs;
    expect(k.apiVersion).toBe("kafka.strimzi.io/v1");
    expect(k.spec.kafka.listeners[0]).toMatchObject({ name: "plain", port: 9092, type: "internal", tls: false, authentication: { type: "scram-sha-512" } });
    expect(k.spec.kafka.config["min.insync.replicas"]).toBe(2);
    const pool = find(STRIMZI("KafkaNodePool"), "kafka-pool").inputs;
    expect(pool.metadata.labels["strimzi.io/cluster"]).toBe("kafka");
    expect(pool.spec).toMatchObject({ replicas: 3, roles: ["controller", "broker"] });
    expect(await valueOf(kafka.endpoint)).toBe("kafka-kafka-bootstrap.events.svc:9092");
    if (!preview) expect(await expectValidManifests(registrations)).toBe(2);
  });

  it("KafkaBroker bound to an existing cluster: nothing", async () => {
    const ext = new KafkaBroker("ext", { existing: { bootstrapServers: "k.kafka:9092", clusterName: "main", namespace: "kafka" } });
    await settle();
    expect(childList(registrations)).toEqual([]);
    expect(ext.kafka.clusterName).toBe("main");
  });

  it("RabbitMqBroker: RabbitmqCluster and its ingress policy; existing: a connection Secret", async () => {
    const rabbit = new RabbitMqBroker("rabbit", { namespace: "events", replicas: 1 });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster::rabbit",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::rabbit-ingress",
    ].sort());
    expect(find(RABBIT("RabbitmqCluster"), "rabbit").inputs.spec).toMatchObject({ replicas: 1, persistence: { storage: "10Gi" } });
    expect(rabbit.rabbitmq.vhost).toBe("/");
    if (!preview) expect(await expectValidManifests(registrations)).toBe(2);

    await installMocks(preview);
    new RabbitMqBroker("ext", { existing: { managementUrl: "http://rabbit.mq:15672", amqpHost: "rabbit.mq:5672", credentials: { username: "admin", password: "pw" } } });
    await settle();
    expect(childList(registrations)).toEqual(["kubernetes:core/v1:Secret::ext-connection"].sort());
    const s = find("kubernetes:core/v1:Secret", "ext-connection").inputs.stringData;
    expect(unsecret(s).uri).toBe("http://rabbit.mq:15672");
    if (!preview) expect(isWireSecret(s) || isWireSecret(s.password)).toBe(true);
  });

  it("rejects invalid broker arguments with every problem, creating nothing", async () => {
    expect(reasons(thrown(() => new NatsJetStream("nats", { replicas: 2 as 3, storage: { size: "big" } })))).toEqual([
      "`replicas` (2) must be 1, 3 or 5: JetStream replicates through RAFT, which needs an odd number of servers. Use 3 for a highly available cluster.",
      '`storage.size` ("big") must be a Kubernetes quantity such as "10Gi".',
    ]);
    expect(reasons(thrown(() => new NatsJetStream("Nats", { existing: { url: "nats://x:4222" }, replicas: 3, credentials: { username: "a", password: "b" } })))).toEqual([
      "`replicas` only applies to a server run by this stack, but `existing` is set. Remove `replicas`.",
      "`credentials` only applies to a server run by this stack, but `existing` is set. Remove `credentials` (use `existing.credentials`).",
      '`name` ("Nats") must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit. Rename it, e.g. "nats".',
    ]);
    expect(reasons(thrown(() => new KafkaBroker("kafka", { replicas: 2 })))).toEqual([
      "`replicas` (2) must be odd: the KRaft controllers run on every node and need a majority. Use 3.",
    ]);
    expect(reasons(thrown(() => new KafkaBroker("kafka", { existing: { bootstrapServers: "x:9092", clusterName: "Main_Cluster", namespace: "k" }, version: "4.0.0" })))).toEqual([
      "`version` only applies to a cluster run by this stack, but `existing` is set. Remove `version`.",
      '`existing.clusterName` ("Main_Cluster") must be the name of a Strimzi `Kafka` resource (a DNS-1123 label).',
    ]);
    expect(reasons(thrown(() => new RabbitMqBroker("rabbit", { replicas: 4 as 3, vhost: "" })))).toEqual([
      "`replicas` (4) must be 1, 3 or 5: quorum queues need a majority of an odd number of nodes. Use 3.",
      '`vhost` ("") must be 1-255 characters, e.g. "/".',
    ]);
    new NatsJetStream("dup", { replicas: 1 });
    expect(reasons(thrown(() => new KafkaBroker("dup")))).toEqual(['A broker named "dup" is already in the event graph. Give each broker a unique name.']);
    await settle();
    expect(childList(registrations).filter((c) => !c.includes("::dup"))).toEqual([]);
  });
});

describe.each([true, false])("Topic (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });

  it("creates a JetStream Stream bound to the broker's Account", async () => {
    const nats = new NatsJetStream("nats", { namespace: "events" });
    const orders = new Topic("orders", { broker: nats, subjects: ["orders.*"], retention: { maxAge: "24h", maxBytes: "1Gi" }, replicas: 3 });
    new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
    await settle();
    expect(childList(registrations).filter((c) => c.includes("orders"))).toEqual([`${NACK("Stream")}::orders`, `${NACK("Stream")}::orders-dlq`]);
    // The topic is the Stream itself, not a component around it.
    expect(registrations.filter((r) => r.type === "switchyard:index:Topic")).toEqual([]);
    expect(await valueOf(orders.urn)).toBe(`urn:pulumi:stack::project::${NACK("Stream")}::orders`);
    // Stacks deployed before keep the Stream: it is aliased from under the former Topic component.
    expect(aliasesSent.get(`${NACK("Stream")}::orders`)).toEqual(["parent=urn:pulumi:stack::project::switchyard:index:Topic::orders"]);
    const s = find(NACK("Stream"), "orders").inputs;
    expect(s.apiVersion).toBe("jetstream.nats.io/v1beta2");
    expect(s.kind).toBe("Stream");
    expect(s.metadata.namespace).toBe("events");
    expect(s.spec).toEqual({
      name: "orders", subjects: ["orders.*"], storage: "file", retention: "limits", replicas: 3, discard: "old",
      maxAge: "24h", maxBytes: 1073741824, account: "nats-account-0a1b2c3d",
    });
    expect(find(NACK("Stream"), "orders-dlq").inputs.spec.subjects).toEqual(["$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.*"]);
    if (!preview) await expectValidManifests(registrations);
  });

  it("creates a KafkaTopic and a RabbitMQ topic exchange", async () => {
    const kafka = new KafkaBroker("kafka");
    const rabbit = new RabbitMqBroker("rabbit");
    new Topic("payments", { broker: kafka, name: "payments.v1", partitions: 6, retention: { maxBytes: 6000 } });
    new Topic("audit", { broker: rabbit });
    await settle();
    const kt = find(STRIMZI("KafkaTopic"), "payments").inputs;
    expect(kt.metadata.labels["strimzi.io/cluster"]).toBe("kafka");
    expect(kt.spec).toEqual({
      topicName: "payments.v1", partitions: 6, replicas: 3,
      config: { "retention.ms": 604800000, "retention.bytes": 1000, "min.insync.replicas": 2 },
    });
    const ex = find(RABBIT("Exchange"), "audit").inputs;
    expect(ex.spec).toEqual({ name: "audit", type: "topic", durable: true, autoDelete: false, vhost: "/", rabbitmqClusterReference: { name: "rabbit", namespace: "default" } });
    if (!preview) await expectValidManifests(registrations);
  });

  it("rejects overlapping JetStream subjects, duplicates and bad contracts, creating nothing", async () => {
    const nats = new NatsJetStream("nats", { replicas: 1 });
    new Topic("orders", { broker: nats, subjects: ["orders.>"] });
    await settle();
    const before = registrations.length;
    expect(reasons(thrown(() => new Topic("orders2", { broker: nats, name: "orders", subjects: ["orders.created", "payments.*"], replicas: 3 })))).toEqual([
      '`replicas` (3) exceeds the 1 node(s) of broker "nats", so the topic could never be created. Set `replicas` to 1 or fewer, or add broker nodes.',
      '`name` ("orders") is already used by topic "orders" on broker "nats". Choose another name.',
    ]);
    expect(reasons(thrown(() => new Topic("more-orders", { broker: nats, subjects: ["orders.created"] })))).toEqual([
      'Subject "orders.created" overlaps "orders.>" of topic "orders"; JetStream refuses two streams that capture the same subject. Make the subjects disjoint.',
    ]);
    expect(reasons(thrown(() => new Topic("orders", { broker: nats, subjects: ["x.y"] })))).toEqual([
      'A topic named "orders" is already declared on broker "nats". Give each topic a unique name.',
    ]);
    expect(reasons(thrown(() => new Topic("t", {} as never)))).toEqual(["`broker` is required: pass a NatsJetStream, KafkaBroker or RabbitMqBroker."]);
    await settle();
    expect(registrations.length).toBe(before);
  });
});
