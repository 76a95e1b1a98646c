import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Parser } from "@asyncapi/parser";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventGraph, EventService, KafkaBroker, NatsJetStream, RabbitMqBroker, Subscription, Topic, resetEventGraph, toMermaid } from "../../lib";
import { childList, installMocks, registrations, settle, valueOf } from "../support/mocks";
import { reasons, thrown } from "../support/events";

const IMAGE = "ghcr.io/acme/app:1.0.0";

/** A shop: orders published by the API, billed on lag, dead letters read by ops, a partner feed, Kafka and RabbitMQ too. */
function shop() {
  const nats = new NatsJetStream("nats", { namespace: "events" });
  const orders = new Topic("orders", { broker: nats, subjects: ["orders.created", "orders.cancelled"], description: "Order lifecycle events." });
  const partner = new Topic("partner", { broker: nats, subjects: ["partner.>"], external: "partner SFTP bridge", payload: { type: "object", properties: { sku: { type: "string" } } } });
  const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: [orders, partner] });
  new EventService("api", { image: IMAGE, port: 8080, namespace: "shop", publishes: [{ topic: orders, subjects: ["orders.created"] }], description: "Takes orders." });
  new EventService("billing", {
    image: IMAGE,
    namespace: "shop",
    subscribes: [
      { topic: orders, durableName: "billing", filter: "orders.created", maxDeliveries: 4, backoff: ["30s", "2m", "10m"], deadLetter: dlq },
      { topic: partner, durableName: "billing-partner", deadLetter: dlq, maxDeliveries: 2 },
    ],
    scaling: { maxReplicas: 10 },
  });
  new EventService("ops", { image: IMAGE, namespace: "shop", subscribes: [{ topic: dlq, durableName: "ops" }] });
  const kafka = new KafkaBroker("kafka", { namespace: "kafka" });
  const payments = new Topic("payments", { broker: kafka, partitions: 6 });
  new EventService("ledger", { image: IMAGE, subscribes: [{ topic: payments, durableName: "ledger", maxDeliveries: -1 }], publishes: [payments] });
  const rabbit = new RabbitMqBroker("rabbit", { namespace: "mq", replicas: 1 });
  const audit = new Topic("audit", { broker: rabbit });
  new EventService("auditor", { image: IMAGE, publishes: [audit] });
}

describe.each([true, false])("EventGraph (preview=%s)", (preview) => {
  let warn: { mock: { calls: unknown[][] }; mockRestore(): void };
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
    warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
  });
  afterEach(() => warn.mockRestore());

  it("checks a correct graph, warns about suspicious parts, and exports a valid AsyncAPI 3.0 document", async () => {
    shop();
    const dir = mkdtempSync(join(tmpdir(), "switchyard-graph-"));
    const graph = new EventGraph("events", { info: { title: "shop", version: "2.1.0" }, files: { asyncapi: join(dir, "out", "asyncapi.json"), mermaid: join(dir, "out", "events.mmd") } });
    await settle();
    // The graph creates no Kubernetes object of its own.
    expect(childList(registrations).filter((c) => c.split("::")[1]!.startsWith("events"))).toEqual([]);
    // "ops" reads the dead letters: it gets no warning for having no dead letter of its own.
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      'Topic "audit" is published to by "auditor", but nothing in this stack subscribes to it. Fine if it is read from outside; otherwise its messages are kept until retention drops them.',
    ]);
    const text = await valueOf(graph.asyncapi);
    expect(readFileSync(join(dir, "out", "asyncapi.json"), "utf8")).toBe(text);
    expect(readFileSync(join(dir, "out", "events.mmd"), "utf8")).toBe(await valueOf(graph.mermaid));

    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document!.version()).toBe("3.0.0");
    expect(document!.channels().all().map((c) => c.id())).toEqual(["orders", "partner", "orders-dlq", "payments", "audit"]);
    expect(document!.operations().all().map((o) => `${o.id()}:${o.action()}`)).toEqual([
      "api.send.orders:send",
      "billing.receive.orders.billing:receive",
      "billing.receive.partner.billing-partner:receive",
      "ops.receive.orders-dlq.ops:receive",
      "ledger.send.payments:send",
      "ledger.receive.payments.ledger:receive",
      "auditor.send.audit:send",
    ]);
    const doc = graph.document as any;
    expect(doc.info).toEqual({ title: "shop", version: "2.1.0" });
    expect(doc.servers.nats).toEqual({ host: "nats.events.svc.cluster.local:4222", protocol: "nats", title: "nats", description: "NATS JetStream run by this stack." });
    expect(doc.servers.kafka.protocol).toBe("kafka");
    expect(doc.servers.rabbit).toMatchObject({ host: "rabbit.mq.svc.cluster.local:5672", protocol: "amqp" });
    expect(doc.channels.orders).toMatchObject({ address: null, description: "Order lifecycle events. Subjects: orders.created, orders.cancelled." });
    expect(doc.channels.partner.description).toBe("Fed from outside this stack: partner SFTP bridge.");
    expect(doc.channels.partner.messages["partner.message"].payload).toEqual({ type: "object", properties: { sku: { type: "string" } } });
    expect(doc.channels.payments).toMatchObject({ address: "payments", bindings: { kafka: { topic: "payments", partitions: 6, replicas: 3 } } });
    expect(doc.operations["billing.receive.orders.billing"]["x-switchyard-delivery"]).toEqual({
      durableName: "billing", filter: ["orders.created"], ackWait: "30s", maxDeliveries: 4, backoff: ["30s", "2m", "10m"],
      maxInFlight: 100, ordered: false, startAt: "all", deadLetter: "orders-dlq",
    });
  });

  it("draws the Mermaid flowchart", async () => {
    shop();
    const graph = new EventGraph("events");
    expect(await valueOf(graph.mermaid)).toBe(`flowchart LR
  subgraph b_nats["NATS JetStream: nats"]
    t_nats__orders[["orders<br/>orders.created, orders.cancelled"]]
    t_nats__partner[["partner<br/>partner.>"]]
    t_nats__orders_dlq[["orders-dlq<br/>max-deliveries:orders.*, max-deliveries:partner.*"]]
  end
  subgraph b_kafka["Kafka: kafka"]
    t_kafka__payments[["payments<br/>6 partitions"]]
  end
  subgraph b_rabbit["RabbitMQ: rabbit"]
    t_rabbit__audit[["audit<br/>audit.>"]]
  end
  s_api(["api"])
  s_billing(["billing<br/>0..10 replicas on lag"])
  s_ops(["ops"])
  s_ledger(["ledger"])
  s_auditor(["auditor"])
  x_nats__partner>"outside: partner SFTP bridge"] --> t_nats__partner
  s_api -->|"orders.created"| t_nats__orders
  s_ledger --> t_kafka__payments
  s_auditor --> t_rabbit__audit
  t_nats__orders -->|"billing · orders.created · max 4 · backoff 30s/2m/10m"| s_billing
  t_nats__orders -.->|"dead letters of billing"| t_nats__orders_dlq
  t_nats__partner -->|"billing-partner · max 2"| s_billing
  t_nats__partner -.->|"dead letters of billing-partner"| t_nats__orders_dlq
  t_nats__orders_dlq -->|"ops · max 5"| s_ops
  t_kafka__payments -->|"ledger · unlimited"| s_ledger
`);
  });

  it("fails on definite mistakes with exact errors, and creates nothing", async () => {
    const nats = new NatsJetStream("nats", { replicas: 1 });
    const orders = new Topic("orders", { broker: nats });
    const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
    new EventService("billing", { image: IMAGE, subscribes: [{ topic: orders, durableName: "billing", deadLetter: dlq }] });
    new Subscription("audit", { topic: orders });
    await settle();
    const before = registrations.length;
    const err = thrown(() => new EventGraph("events"));
    expect(reasons(err)).toEqual([
      '"billing" subscribes to topic "orders" (durable "billing"), but nothing in this stack publishes to it. Add the topic to a service\'s `publishes`, or declare it `external: true` if it is fed from outside the stack.',
      '"audit" subscribes to topic "orders" (durable "audit"), but nothing in this stack publishes to it. Add the topic to a service\'s `publishes`, or declare it `external: true` if it is fed from outside the stack.',
      'Topic "orders-dlq" receives the dead letters of "billing/billing", but nothing subscribes to it, so failed messages would pile up unseen. Subscribe a service or consumer to "orders-dlq" (to alert, inspect or replay).',
    ]);
    expect(err.errors!.map((e) => e.propertyPath)).toEqual([
      "events/services/billing/nats.orders.billing",
      "events/services/audit/nats.orders.audit",
      "events/brokers/nats/orders-dlq",
    ]);
    expect(err.message.split("\n")[0]).toBe('switchyard:index:EventGraph "events" has 3 invalid arguments:');
    await settle();
    expect(registrations.length).toBe(before);
  });

  it("refuses declarations after the graph was checked, and warns about unusable scaling", async () => {
    const nats = new NatsJetStream("nats", { replicas: 1 });
    const jobs = new Topic("jobs", { broker: nats, external: true });
    new EventService("worker", { image: IMAGE, subscribes: [{ topic: jobs, durableName: "worker", ordered: true, maxDeliveries: -1 }], scaling: { maxReplicas: 4 } });
    new EventGraph("events");
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      '"worker" scales up to 4 replicas on the ordered subscription "worker", but an ordered subscription delivers one message at a time: only one replica does work. Set `scaling.maxReplicas` to 1, or drop `ordered`.',
    ]);
    expect(reasons(thrown(() => new Topic("late", { broker: nats })))).toEqual([
      'Topic "late" is declared after EventGraph "events", which has already checked and exported the graph. Create the EventGraph after every broker, topic and service.',
    ]);
  });
});

describe("toMermaid on an empty graph", () => {
  it("is a bare flowchart", async () => {
    expect(toMermaid(resetEventGraph())).toBe("flowchart LR\n");
  });
});
