import { randomBytes } from "node:crypto";
import { delimiter, join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventGraph, EventService, KafkaBroker, NatsJetStream, RabbitMqBroker, Subscription, Topic } from "../../lib";
import { DEFAULT_KINDS, eventually, getJson, kubectl, labelled, podsOf } from "./support/kube";
import { ROOT, changes, exportState, inlineStack, leaks } from "./support/stack";
import { requireStrimziCrds } from "../support/schemas";
import { ON_FAKE_NODES } from "./support/placement";

/**
 * Kafka (Strimzi) and RabbitMQ (cluster and messaging-topology operators)
 * objects, and a NATS JetStream StatefulSet run in the cluster, on the real
 * API server with the upstream CRDs installed. The operators cannot run here
 * (no images, no container runtime: kwok only fakes pods), so this proves
 * that the API server accepts every object as switchyard writes it and that
 * the Pulumi loop (up, no-change preview and refresh, update, destroy) is
 * clean; it does not prove that a Kafka or RabbitMQ broker comes up. Custom
 * resources are not awaited by the Kubernetes provider (no operator would
 * ever report them ready here); the NATS StatefulSet is awaited for real.
 */

// The generated passwords are a Pulumi dynamic resource. Its provider plugin
// (pulumi-resource-pulumi-nodejs, a script in @pulumi/pulumi) finds
// @pulumi/pulumi from its working folder, which for an inline program is a
// temporary folder with no node_modules; NODE_PATH points it at this checkout's.
process.env.NODE_PATH = [join(ROOT, "node_modules"), ...(process.env.NODE_PATH ? [process.env.NODE_PATH] : [])].join(delimiter);

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const IMAGE = "ghcr.io/acme/events-app:1.0.0";
const STRIMZI_KINDS = ["kafkas.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "kafkausers.kafka.strimzi.io"];
const RABBIT_KINDS = [
  "rabbitmqclusters.rabbitmq.com",
  "exchanges.rabbitmq.com",
  "queues.rabbitmq.com",
  "bindings.rabbitmq.com",
  "policies.rabbitmq.com",
  "users.rabbitmq.com",
  "permissions.rabbitmq.com",
];
const OTHER_KINDS = ["accounts.jetstream.nats.io", "streams.jetstream.nats.io", "consumers.jetstream.nats.io", "scaledobjects.keda.sh", "triggerauthentications.keda.sh", "statefulsets.apps", "persistentvolumeclaims"];
const ALL_KINDS = [...DEFAULT_KINDS, ...STRIMZI_KINDS, ...RABBIT_KINDS, ...OTHER_KINDS];

const id = randomBytes(3).toString("hex");
const namespace = `e2e-brokers-${id}`;
/** Static volumes for the NATS StatefulSet's claims: there is no volume provisioner on this control plane. */
const storageClass = `switchyard-e2e-${id}`;
const volumes = [0, 1, 2].map((i) => `switchyard-e2e-${id}-nats-${i}`);
/** What the update step changes. */
const settings = { retention: "7d", deliveries: 5 };

let stack: Stack | undefined;
let destroyed = false;

function program() {
  return async () => {
    const ns = new k8s.core.v1.Namespace("brokers", { metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
    const opts = { dependsOn: [ns] };
    const common = { image: IMAGE, ...ON_FAKE_NODES, namespace: ns.metadata.name };

    // Kafka through Strimzi: KRaft Kafka + node pool, topics, a KafkaUser per service, retry topics.
    const kafka = new KafkaBroker("kafka", { namespace: ns.metadata.name, storage: { size: "5Gi" } }, opts);
    const payments = new Topic("payments", { broker: kafka, partitions: 3, retention: { maxAge: settings.retention, maxBytes: "3Gi" } });
    const paymentsDlq = new Topic("payments-dlq", { broker: kafka, partitions: 1 });
    new EventService("ledger", { ...common, publishes: [payments] }, opts);
    const settle = new EventService(
      "settle",
      { ...common, subscribes: [{ topic: payments, maxDeliveries: 4, backoff: ["10s", "1m"], deadLetter: paymentsDlq }], scaling: { maxReplicas: 3 } },
      opts,
    );
    new EventService("payments-audit", { ...common, subscribes: [{ topic: paymentsDlq }] }, opts);

    // RabbitMQ through its operators: cluster, topic exchanges, quorum queues with a delivery-limit Policy.
    const rabbit = new RabbitMqBroker("rabbit", { namespace: ns.metadata.name, storage: { size: "5Gi" } }, opts);
    const shipments = new Topic("shipments", { broker: rabbit, subjects: ["shipments.created", "shipments.delivered"] });
    const shipmentsDlq = new Topic("shipments-dlq", { broker: rabbit, deadLetterFor: shipments });
    new EventService("dispatch", { ...common, publishes: [shipments] }, opts);
    const track = new EventService(
      "track",
      { ...common, subscribes: [{ topic: shipments, filter: "shipments.created", maxDeliveries: settings.deliveries, deadLetter: shipmentsDlq }], scaling: { maxReplicas: 5, minReplicas: 1 } },
      opts,
    );
    new Subscription("shipments-dlq-audit", { topic: shipmentsDlq, description: "Operators inspect dead letters" });

    // NATS JetStream run in the cluster: StatefulSet (3 servers), Services, PDB, generated credentials.
    const nats = new NatsJetStream("nats", { namespace: ns.metadata.name, ...ON_FAKE_NODES, storage: { size: "1Gi", storageClassName: storageClass } }, opts);
    const alerts = new Topic("alerts", { broker: nats, subjects: ["alerts.>"] });
    new EventService("monitor", { ...common, publishes: [alerts] }, opts);
    const pager = new EventService("pager", { ...common, subscribes: [{ topic: alerts }], scaling: { maxReplicas: 2 } }, opts);

    const graph = new EventGraph("graph");
    return {
      namespace: ns.metadata.name,
      settleSecret: settle.eventsSecret.metadata.name,
      trackSecret: track.eventsSecret.metadata.name,
      pagerSecret: pager.eventsSecret.metadata.name,
      natsSecret: nats.credentialsSecret!.metadata.name,
      natsEndpoint: nats.endpoint,
      kafkaEndpoint: kafka.endpoint,
      rabbitEndpoint: rabbit.endpoint,
      mermaid: graph.mermaid,
    };
  };
}

function names(kind: string): string[] {
  return getJson(["get", kind, "-n", namespace]).items.map((o: any) => o.metadata.name.replace(/-[a-z0-9]{8}$/, "")).sort();
}

function secretValues(name: string): string[] {
  const data: Record<string, string> = getJson(["get", "secret", "-n", namespace, name]).data ?? {};
  return Object.values(data).map((v) => Buffer.from(v, "base64").toString("utf8"));
}

beforeAll(() => {
  // Pre-bound to the claims the StatefulSet will make (data-nats-0..2), so no other claim can take them.
  const pvs = volumes.map((name, i) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: { "switchyard.dev/e2e": id } },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: storageClass,
      hostPath: { path: `/var/lib/switchyard-e2e/${name}` },
      claimRef: { namespace, name: `data-nats-${i}` },
    },
  }));
  kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: pvs }));
});

afterAll(async () => {
  if (stack && !destroyed) await stack.destroy({ onOutput: log }).catch(() => undefined);
  if (stack) await stack.workspace.removeStack(stack.name).catch(() => undefined);
  try {
    kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
    kubectl(["delete", "persistentvolumes", "-l", `switchyard.dev/e2e=${id}`, "--ignore-not-found", "--wait=false"]);
  } catch {
    // cluster gone
  }
});

describe("Kafka, RabbitMQ and an in-cluster NATS on the real API server", () => {
  let out: Record<string, any> = {};

  it("up: the API server accepts every Strimzi, RabbitMQ, NACK and KEDA object; the NATS StatefulSet becomes ready", async () => {
    requireStrimziCrds();
    stack = await inlineStack("e2e-events-crds", program());
    const res = await stack.up({ onOutput: log });
    out = Object.fromEntries(Object.entries(res.outputs).map(([k, v]) => [k, v.value]));
    expect(out.namespace).toBe(namespace);

    // Strimzi
    expect(getJson(["get", "kafkas.kafka.strimzi.io", "-n", namespace]).items.map((k: any) => k.metadata.name)).toEqual(["kafka"]);
    expect(getJson(["get", "kafkanodepools.kafka.strimzi.io", "-n", namespace]).items.map((k: any) => k.spec.roles)).toEqual([["controller", "broker"]]);
    const topics = getJson(["get", "kafkatopics.kafka.strimzi.io", "-n", namespace]).items.map((t: any) => [t.spec.topicName, t.spec.partitions, t.metadata.labels["strimzi.io/cluster"]]);
    expect(topics.sort()).toEqual([
      ["payments", 3, "kafka"],
      ["payments-dlq", 1, "kafka"],
      ["payments.settle-payments.retry-1", 3, "kafka"],
      ["payments.settle-payments.retry-2", 3, "kafka"],
    ]);
    expect(names("kafkausers.kafka.strimzi.io")).toEqual(["ledger-kafka-user", "payments-audit-kafka-user", "settle-kafka-user"]);

    // RabbitMQ
    expect(getJson(["get", "rabbitmqclusters.rabbitmq.com", "-n", namespace]).items.map((r: any) => [r.metadata.name, r.spec.replicas])).toEqual([["rabbit", 3]]);
    expect(getJson(["get", "exchanges.rabbitmq.com", "-n", namespace]).items.map((e: any) => [e.spec.name, e.spec.type]).sort()).toEqual([["shipments", "topic"], ["shipments-dlq", "topic"]]);
    const queues = getJson(["get", "queues.rabbitmq.com", "-n", namespace]).items.map((q: any) => [q.spec.name, q.spec.type]).sort();
    expect(queues).toEqual([["shipments-dlq.shipments-dlq-audit", "quorum"], ["shipments.track-shipments", "quorum"]]);
    const policy = getJson(["get", "policies.rabbitmq.com", "-n", namespace]).items.find((p: any) => p.spec.name === "switchyard.shipments.track-shipments");
    expect(policy.spec.definition).toMatchObject({ "delivery-limit": 4, "dead-letter-exchange": "shipments-dlq", "dead-letter-strategy": "at-least-once", overflow: "reject-publish" });
    expect(names("bindings.rabbitmq.com").length).toBeGreaterThanOrEqual(2);
    expect(names("users.rabbitmq.com")).toEqual(["dispatch-rabbitmq-user", "track-rabbitmq-user"]);
    expect(names("permissions.rabbitmq.com")).toEqual(["dispatch-rabbitmq-permission", "track-rabbitmq-permission"]);

    // KEDA: a ScaledObject per scaled service, a TriggerAuthentication where the broker needs credentials.
    const scaled = getJson(["get", "scaledobjects.keda.sh", "-n", namespace]).items.map((s: any) => s.spec.triggers[0].type).sort();
    expect(scaled).toEqual(["kafka", "nats-jetstream", "rabbitmq"]);
    expect(names("triggerauthentications.keda.sh")).toEqual(["settle-scaler-auth", "track-scaler-auth"]);

    // NATS in the cluster: three servers spread over the zones, Ready (kwok runs the pods), JetStream objects accepted.
    const pods = await eventually(() => {
      const p = podsOf(namespace, "nats");
      return p.length === 3 && p.every((x) => x.ready) ? p : undefined;
    }, 180_000, "3 ready nats pods");
    expect(new Set(pods.map((p) => p.zone)).size).toBe(3);
    expect(getJson(["get", "persistentvolumeclaims", "-n", namespace]).items.map((c: any) => [c.metadata.name, c.status.phase]).sort()).toEqual([
      ["data-nats-0", "Bound"],
      ["data-nats-1", "Bound"],
      ["data-nats-2", "Bound"],
    ]);
    expect(names("streams.jetstream.nats.io")).toEqual(["alerts"]);
    expect(names("consumers.jetstream.nats.io")).toEqual(["pager-pager-alerts"]);
    expect(out.natsEndpoint).toBe(`nats://nats.${namespace}.svc.cluster.local:4222`);
  });

  it("no changes on preview and refresh after up", async () => {
    requireStrimziCrds();
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
    expect(changes((await stack!.refresh({ onOutput: log })).summary.resourceChanges)).toEqual({});
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("a changed retention and delivery limit update the KafkaTopic, the RabbitMQ Policy and the service in place", async () => {
    requireStrimziCrds();
    settings.retention = "3d";
    settings.deliveries = 3;
    const res = await stack!.up({ onOutput: log });
    // payments KafkaTopic; the two retry topics (they keep the topic's retention); the Policy; track's Deployment (its env carries the limit).
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 5 });
    const payments = getJson(["get", "kafkatopics.kafka.strimzi.io", "-n", namespace]).items.find((t: any) => t.spec.topicName === "payments");
    expect(payments.spec.config["retention.ms"]).toBe(3 * 86_400_000);
    const policy = getJson(["get", "policies.rabbitmq.com", "-n", namespace]).items.find((p: any) => p.spec.name === "switchyard.shipments.track-shipments");
    expect(policy.spec.definition["delivery-limit"]).toBe(2);
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("the stack state holds the generated passwords only encrypted", async () => {
    requireStrimziCrds();
    // Each broker credential switchyard generated, read back from the Kubernetes Secrets.
    const values = [out.natsSecret, out.settleSecret, out.trackSecret, out.pagerSecret].flatMap(secretValues);
    const passwords = [...new Set(values.filter((v) => /^[A-Za-z0-9]{32}$/.test(v)))];
    expect(passwords.length).toBe(3); // NATS server, settle's KafkaUser, track's RabbitMQ user
    // Each is in the state, as a secret ...
    const shown = JSON.stringify(await stack!.exportStack()); // --show-secrets
    expect(passwords.filter((p) => leaks(shown, p).length === 0)).toEqual([]);
    // ... which `pulumi stack export` (and the state file) only holds encrypted.
    const state = exportState(stack!);
    expect(passwords.flatMap((p) => leaks(state, p))).toEqual([]);
  });

  it("destroy leaves no switchyard object behind", async () => {
    requireStrimziCrds();
    await stack!.destroy({ onOutput: log });
    destroyed = true;
    await eventually(() => !kubectl(["get", "namespaces", "-o", "name"]).includes(`namespace/${namespace}\n`), 180_000, "the namespace gone");
    expect(labelled("switchyard.dev/component", ALL_KINDS).filter((o) => o.namespace === namespace)).toEqual([]);
  });
});
