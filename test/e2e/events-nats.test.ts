import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { type JsMsg, type NatsConnection, StringCodec, connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventGraph, EventService, NatsJetStream, Subscription, Topic, maxDeliveriesAdvisory } from "../../lib";
import { DEFAULT_KINDS, eventually, getJson, kubectl, labelled } from "./support/kube";
import { NACK_KINDS, type NatsServer, type Started, natsBinaries, releaseNackFinalizers, startNack, startNatsServer, until } from "./support/nats";
import { changes, exportState, inlineStack, leaks } from "./support/stack";
import { ON_FAKE_NODES } from "./support/placement";

/**
 * The NATS path for real: a nats-server with JetStream and NACK's
 * jetstream-controller (both built from the Go module proxy, both on
 * 127.0.0.1) turn the stack's Stream and Consumer objects into JetStream
 * streams and consumers; messages flow, are redelivered, and dead-letter.
 */

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const IMAGE = "ghcr.io/acme/events-app:1.0.0";
const KEDA_KINDS = ["scaledobjects.keda.sh", "triggerauthentications.keda.sh"];
const sc = StringCodec();
const SECOND = 1_000_000_000;

/** What the test changes between updates. */
const settings = { maxDeliveries: 3, backoff: ["1s", "2s"] as string[] };

let server: NatsServer | undefined;
let nack: Started | undefined;
let nc: NatsConnection | undefined;
let stack: Stack | undefined;
let destroyed = false;
const namespace = `e2e-events-${randomBytes(3).toString("hex")}`;

function program(srv: NatsServer) {
  return async () => {
    const ns = new k8s.core.v1.Namespace("events", {
      metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    const nsName = ns.metadata.name;
    const bus = new NatsJetStream(
      "bus",
      {
        namespace: nsName,
        existing: {
          url: srv.url,
          monitoringEndpoint: srv.monitoringEndpoint,
          credentials: { username: srv.user, password: pulumi.secret(srv.password) },
        },
      },
      { dependsOn: [ns] },
    );
    const orders = new Topic("orders", {
      broker: bus,
      subjects: ["orders.created", "orders.cancelled"],
      retention: { maxAge: "1h", maxMessages: 10_000 },
      description: "Orders placed at checkout",
    });
    const dlq = new Topic("orders-dlq", { broker: bus, deadLetterFor: orders, retention: { maxAge: "1d" } });
    const checkout = new EventService("checkout", { image: IMAGE, ...ON_FAKE_NODES, namespace: nsName, publishes: [{ topic: orders, subjects: ["orders.created"] }] }, { dependsOn: [ns] });
    const fulfil = new EventService(
      "fulfil",
      {
        image: IMAGE,
        ...ON_FAKE_NODES,
        namespace: nsName,
        subscribes: [
          { topic: orders, durableName: "fulfil", filter: "orders.created", ackWait: "1s", maxDeliveries: settings.maxDeliveries, backoff: settings.backoff, deadLetter: dlq },
        ],
        publishes: [{ topic: orders, subjects: ["orders.cancelled"] }],
        scaling: { maxReplicas: 3, lagPerReplica: 10 },
        description: "Ships paid orders",
      },
      { dependsOn: [ns] },
    );
    const audit = new Subscription("dlq-audit", { topic: dlq, durableName: "dlq-audit", description: "Operators inspect dead letters" });
    const graph = new EventGraph("graph", { info: { title: "switchyard e2e events", version: "1.0.0" } });
    return {
      namespace: nsName,
      account: bus.nats.accountName,
      credentialsSecret: bus.credentialsSecret!.metadata.name,
      ordersStream: orders.topicName,
      dlqStream: dlq.topicName,
      fulfilConsumer: fulfil.subscriptions[0]!.consumerName,
      fulfilDeployment: fulfil.deployment.metadata.name,
      fulfilSecret: fulfil.eventsSecret.metadata.name,
      checkoutDeployment: checkout.deployment.metadata.name,
      scaledObject: fulfil.scaledObject!.metadata.name,
      auditConsumer: audit.consumerName,
      asyncapi: graph.asyncapi,
      mermaid: graph.mermaid,
    };
  };
}

/** The `Ready` condition of a NACK object, as NACK reported it. */
function ready(kind: string, name: string): boolean {
  const o = getJson(["get", kind, "-n", namespace, name]);
  const c = (o.status?.conditions ?? []).find((x: any) => x.type === "Ready");
  return c?.status === "True" && o.status.observedGeneration === o.metadata.generation;
}

function diagnostics(): string {
  const parts = [`--- jetstream-controller\n${nack?.tail(30) ?? ""}`, `--- nats-server\n${server?.tail(10) ?? ""}`];
  try {
    parts.push(kubectl(["get", NACK_KINDS.join(","), "-n", namespace, "-o", "yaml"]).slice(-4000));
  } catch {
    // namespace gone
  }
  return parts.join("\n");
}

beforeAll(async () => {
  const bins = natsBinaries();
  server = await startNatsServer(bins.natsServer);
  // Limited to this test's namespace: NACK adds finalizers, and must never
  // touch another stack's objects on the shared control plane.
  nack = await startNack(bins.jetstreamController, namespace);
  nc = await connect({ servers: server.url, user: server.user, pass: server.password, name: "switchyard-e2e" });
});

afterAll(async () => {
  if (stack && !destroyed) {
    // Destroy while NACK still runs, so it can remove its finalizers.
    await stack.destroy({ onOutput: log }).catch(() => undefined);
  }
  if (stack) await stack.workspace.removeStack(stack.name).catch(() => undefined);
  releaseNackFinalizers(namespace);
  try {
    kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
  } catch {
    // cluster gone
  }
  await nc?.close().catch(() => undefined);
  await nack?.stop();
  await server?.stop();
});

describe("NATS JetStream through NACK, end to end", () => {
  let out: Record<string, any> = {};

  it("up: NACK turns the Account, Streams and Consumers into JetStream objects and reports them Ready", async () => {
    stack = await inlineStack("e2e-events-nats", program(server!));
    const res = await stack.up({ onOutput: log });
    out = Object.fromEntries(Object.entries(res.outputs).map(([k, v]) => [k, v.value]));
    expect(out.namespace).toBe(namespace);
    const objects = [
      ["accounts.jetstream.nats.io", out.account],
      ...getJson(["get", "streams.jetstream.nats.io", "-n", namespace]).items.map((s: any) => ["streams.jetstream.nats.io", s.metadata.name]),
      ...getJson(["get", "consumers.jetstream.nats.io", "-n", namespace]).items.map((c: any) => ["consumers.jetstream.nats.io", c.metadata.name]),
    ] as [string, string][];
    expect(objects).toHaveLength(1 + 2 + 2);
    await eventually(() => objects.every(([k, n]) => ready(k, n)), 120_000, "NACK Ready on every object").catch((e) => {
      throw new Error(`${e}\n${diagnostics()}`);
    });
    // The Account carries the server and the credentials Secret, never the password itself.
    const account = getJson(["get", "accounts.jetstream.nats.io", "-n", namespace, out.account]);
    expect(account.spec).toMatchObject({ servers: [server!.url], user: { secret: { name: out.credentialsSecret }, user: "user", password: "password" } });
    expect(JSON.stringify(account)).not.toContain(server!.password);
  });

  it("JetStream holds the streams and the durable consumers with the settings derived from the delivery contract", async () => {
    const jsm = await nc!.jetstreamManager();
    const orders = (await jsm.streams.info("orders")).config;
    expect(orders).toMatchObject({
      name: "orders",
      subjects: ["orders.created", "orders.cancelled"],
      storage: "file",
      retention: "limits",
      num_replicas: 1,
      discard: "old",
      max_age: 3600 * SECOND,
      max_msgs: 10_000,
      description: "Orders placed at checkout",
    });
    const dlq = (await jsm.streams.info("orders-dlq")).config;
    expect(dlq.subjects).toEqual([maxDeliveriesAdvisory("orders", "*")]);
    expect(dlq.max_age).toBe(86_400 * SECOND);

    const fulfil = (await jsm.consumers.info("orders", "fulfil")).config;
    expect(fulfil).toMatchObject({
      durable_name: "fulfil",
      ack_policy: "explicit",
      deliver_policy: "all",
      replay_policy: "instant",
      filter_subject: "orders.created",
      max_deliver: 3,
      // With a backoff the first entry is the first ack deadline.
      ack_wait: 1 * SECOND,
      backoff: [1 * SECOND, 2 * SECOND],
      max_ack_pending: 100,
    });
    expect(fulfil.deliver_subject).toBeUndefined(); // a pull consumer
    const audit = (await jsm.consumers.info("orders-dlq", "dlq-audit")).config;
    expect(audit).toMatchObject({ durable_name: "dlq-audit", max_deliver: 5, ack_wait: 30 * SECOND, ack_policy: "explicit" });

    // The service is told the same contract and where its dead letters go.
    const dep = getJson(["get", "deployment", "-n", namespace, out.fulfilDeployment]);
    const env = Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      EVENTS_BROKER_KIND: "nats",
      EVENTS_SUB_FULFIL_TOPIC: "orders",
      EVENTS_SUB_FULFIL_CONSUMER: "fulfil",
      EVENTS_SUB_FULFIL_MAX_DELIVERIES: "3",
      EVENTS_SUB_FULFIL_DEAD_LETTER: maxDeliveriesAdvisory("orders", "fulfil"),
      EVENTS_BROKER_URL: { secretKeyRef: { name: out.fulfilSecret, key: "EVENTS_BROKER_URL" } },
    });
    expect(dep.spec.replicas).toBe(1); // KEDA owns it; the API server defaulted it, Pulumi did not set it
  });

  it("the KEDA ScaledObject reading the consumer's lag is accepted by the API server", () => {
    const so = getJson(["get", "scaledobjects.keda.sh", "-n", namespace, out.scaledObject]);
    expect(so.spec.scaleTargetRef.name).toBe(out.fulfilDeployment);
    expect(so.spec.triggers).toEqual([
      {
        type: "nats-jetstream",
        name: "fulfil",
        metadata: {
          natsServerMonitoringEndpoint: server!.monitoringEndpoint,
          account: "$G",
          stream: "orders",
          consumer: "fulfil",
          lagThreshold: "10",
          activationLagThreshold: "0",
        },
      },
    ]);
  });

  it("a published message is stored in the stream and delivered to the durable consumer; after max deliveries the dead-letter stream receives the advisory", async () => {
    const js = nc!.jetstream();
    const jsm = await nc!.jetstreamManager();
    const ack = await js.publish("orders.created", sc.encode(JSON.stringify({ order: 42 })));
    expect(ack.stream).toBe("orders");
    expect((await jsm.streams.info("orders")).state.messages).toBe(1);
    // A subject outside the consumer's filter is stored but never delivered to it.
    await js.publish("orders.cancelled", sc.encode(JSON.stringify({ order: 7 })));

    const consumer = await js.consumers.get("orders", "fulfil");
    const next = async (): Promise<JsMsg> => {
      for (let i = 0; i < 30; i++) {
        const m = await consumer.next({ expires: 2000 });
        if (m) return m;
      }
      throw new Error("no delivery");
    };
    const deliveries: number[] = [];
    // Delivery 1: not acknowledged; the ack deadline (backoff[0]) passes and the server redelivers.
    const first = await next();
    expect(first.subject).toBe("orders.created");
    expect(first.seq).toBe(ack.seq);
    expect(JSON.parse(sc.decode(first.data))).toEqual({ order: 42 });
    deliveries.push(first.info.redeliveryCount);
    // Deliveries 2 and 3: rejected (NAK).
    for (let i = 0; i < settings.maxDeliveries - 1; i++) {
      const m = await next();
      expect(m.seq).toBe(ack.seq);
      deliveries.push(m.info.redeliveryCount);
      m.nak();
    }
    expect(deliveries).toEqual([1, 2, 3]);
    // No fourth delivery: the server gives the message up and publishes the advisory.
    expect(await consumer.next({ expires: 3000 })).toBeNull();

    await until(async () => (await jsm.streams.info("orders-dlq")).state.messages === 1, 30_000, "the advisory in orders-dlq");
    const advisory = await jsm.streams.getMessage("orders-dlq", { seq: 1 });
    expect(advisory.subject).toBe(maxDeliveriesAdvisory("orders", "fulfil"));
    const body = JSON.parse(sc.decode(advisory.data));
    expect(body).toMatchObject({ type: "io.nats.jetstream.advisory.v1.max_deliver", stream: "orders", consumer: "fulfil", stream_seq: ack.seq, deliveries: 3 });
    // The message itself stays in the stream (limits retention) and is reachable by the advisory's sequence.
    const original = await jsm.streams.getMessage("orders", { seq: body.stream_seq });
    expect(JSON.parse(sc.decode(original.data))).toEqual({ order: 42 });

    // The dead-letter topic's own durable consumer receives it.
    const audit = await js.consumers.get("orders-dlq", "dlq-audit");
    const dead = await audit.next({ expires: 5000 });
    expect(dead?.subject).toBe(maxDeliveriesAdvisory("orders", "fulfil"));
    dead!.ack();
  });

  it("no changes on preview and refresh after up (NACK's status and finalizers are not drift)", async () => {
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
    expect(changes((await stack!.refresh({ onOutput: log })).summary.resourceChanges)).toEqual({});
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("a changed delivery contract updates the consumer in place, and NACK applies it to JetStream", async () => {
    settings.maxDeliveries = 4;
    settings.backoff = ["1s", "2s", "5s"];
    const res = await stack!.up({ onOutput: log });
    // The Consumer object and the service's Deployment (its env carries the contract).
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 2 });
    const jsm = await nc!.jetstreamManager();
    await until(async () => {
      const c = (await jsm.consumers.info("orders", "fulfil")).config;
      return c.max_deliver === 4 && JSON.stringify(c.backoff) === JSON.stringify([1, 2, 5].map((s) => s * SECOND));
    }, 60_000, "the updated consumer in JetStream");
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("the stack state holds the NATS password only encrypted", async () => {
    const password = server!.password;
    // The state does carry it (in the Secrets' data, base64), as a secret ...
    expect(leaks(JSON.stringify(await stack!.exportStack()), password)).not.toEqual([]); // --show-secrets
    // ... which `pulumi stack export` (and the state file) only holds encrypted.
    const state = exportState(stack!);
    expect([...leaks(state, password), ...leaks(state, encodeURIComponent(password))]).toEqual([]);
  });

  it("destroy: NACK deletes the streams and consumers; nothing switchyard created is left", async () => {
    await stack!.destroy({ onOutput: log });
    destroyed = true;
    const jsm = await nc!.jetstreamManager();
    const names = async () => (await jsm.streams.names().next()).sort();
    await until(async () => (await names()).length === 0, 60_000, "no streams in JetStream");
    expect(await names()).toEqual([]);
    const left = labelled("switchyard.dev/component", [...DEFAULT_KINDS, ...NACK_KINDS, ...KEDA_KINDS]).filter((o) => o.namespace === namespace);
    expect(left).toEqual([]);
    await eventually(() => !kubectl(["get", "namespaces", "-o", "name"]).includes(`namespace/${namespace}\n`), 120_000, "the namespace gone");
  });
});
