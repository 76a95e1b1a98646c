import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { childList, installMocks, registrations, settle, valueOf } from "../support/mocks";

// examples/events/index.ts is a stack program: importing it runs it. Each test
// installs the mocks, then imports a fresh copy of the program (and of the
// package it imports by name, aliased to lib/ in vitest.config.ts), so the
// event graph and monitoring registry start empty every time.
type EventsProgram = typeof import("../../examples/events/index");
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const NACK = (kind: string) => `kubernetes:jetstream.nats.io/v1beta2:${kind}`;

describe.each([true, false])("examples/events under Pulumi mocks (preview=%s)", (preview) => {
  let warnings: string[] = [];
  beforeEach(async () => {
    await installMocks(preview);
    vi.resetModules();
    warnings = [];
    vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => {
      warnings.push(msg);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  async function run(): Promise<EventsProgram> {
    const program = (await import("../../examples/events/index")) as EventsProgram;
    await settle();
    return program;
  }

  it("creates the broker, topics, durable consumers, services and the KEDA scaler", async () => {
    await run();
    const children = childList(registrations);
    expect(children).toEqual(
      expect.arrayContaining([
        "kubernetes:core/v1:Namespace::order-pipeline",
        // the in-cluster JetStream server (no `natsUrl` config)
        "kubernetes:apps/v1:StatefulSet::bus",
        `${NACK("Account")}::bus-account`,
        // topics are Streams; subscriptions are Consumers
        `${NACK("Stream")}::orders`,
        `${NACK("Stream")}::orders-dlq`,
        `${NACK("Consumer")}::fulfillment-fulfillment`,
        `${NACK("Consumer")}::orders-dlq-audit-orders-dlq-audit`,
        // publisher (an HTTP API scaled on CPU), worker, dead-letter reader
        "kubernetes:apps/v1:Deployment::orders-api",
        "kubernetes:core/v1:Service::orders-api",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::orders-api-hpa",
        "kubernetes:core/v1:Secret::orders-api-events",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy::orders-api-to-bus",
        "kubernetes:apps/v1:Deployment::fulfillment",
        "kubernetes:keda.sh/v1alpha1:ScaledObject::fulfillment-scaler",
        "kubernetes:apps/v1:Deployment::orders-dlq-audit",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy::fulfillment-to-bus",
      ]),
    );
    expect(registrations.filter((r) => r.type === "switchyard:index:EventService").map((r) => r.name).sort()).toEqual(["fulfillment", "orders-dlq-audit"]);
    expect(registrations.filter((r) => r.type === "switchyard:index:AutoScaledService").map((r) => r.name)).toEqual(["orders-api"]);
    expect(registrations.filter((r) => r.type === "switchyard:index:EventGraph").map((r) => r.name)).toEqual(["events"]);

    // The worker's delivery contract, as the JetStream consumer.
    expect(find(NACK("Consumer"), "fulfillment-fulfillment").inputs.spec).toMatchObject({
      durableName: "fulfillment",
      streamName: "orders",
      filterSubject: "orders.created",
      ackWait: "30s",
      maxDeliver: 5,
      backoff: ["30s", "2m", "10m"],
    });
    // KEDA owns the worker's replicas: 0 to 10 on the consumer's backlog.
    expect(find("kubernetes:apps/v1:Deployment", "fulfillment").inputs.spec.replicas).toBeUndefined();
    expect(find("kubernetes:keda.sh/v1alpha1:ScaledObject", "fulfillment-scaler").inputs.spec).toMatchObject({
      minReplicaCount: 0,
      maxReplicaCount: 10,
      triggers: [{ type: "nats-jetstream", metadata: { stream: "orders", consumer: "fulfillment", lagThreshold: "50" } }],
    });
    // The API's HPA owns its replicas; it publishes with the broker address from its own Secret.
    expect(find("kubernetes:apps/v1:Deployment", "orders-api").inputs.spec.replicas).toBeUndefined();
    const env = find("kubernetes:apps/v1:Deployment", "orders-api").inputs.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toEqual(expect.arrayContaining(["EVENTS_BROKER_URL", "EVENTS_PUBLISHES", "EVENTS_PUB_ORDERS_TOPIC", "EVENTS_PUB_ORDERS_SUBJECTS"]));
  });

  it("passes the event graph checks and exports AsyncAPI and Mermaid as stack outputs", async () => {
    const program = await run();
    // EventGraph throws on any error; a clean example has no warnings either.
    expect(warnings).toEqual([]);
    const doc = JSON.parse(await valueOf(program.asyncapi));
    expect(doc.asyncapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: "order pipeline events", version: "1.0.0" });
    expect(JSON.stringify(doc.channels)).toContain("orders.created");
    const diagram = await valueOf(program.eventDiagram);
    expect(diagram).toMatch(/^flowchart/);
    for (const node of ["orders-api", "fulfillment", "orders-dlq-audit", "orders-dlq"]) expect(diagram).toContain(node);
    expect(program.fulfillmentConsumer).toBe("fulfillment");
  });
});
