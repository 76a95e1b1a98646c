import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoScaledService, EventGraph, EventService, NatsJetStream, Subscription, Topic, eventGraph, resetEventGraph } from "../../lib";
import { installMocks, registrations, settle } from "../support/mocks";

// The whole-graph checks run in every stack that declares events, without an
// EventGraph: once the program is done (the stack resource's initialization,
// see lib/events/graph-check.ts). A definite mistake fails the run the way an
// exception of the program does: an unhandled error, which the language host
// and the Automation API server turn into a failed preview or update. These
// tests run the program as the engine does (inside `runInPulumiStack`) and
// stand in for those handlers.

const IMAGE = "ghcr.io/acme/app:1.0.0";

/**
 * Runs `body` and returns what reached the process's unhandled-rejection and
 * uncaught-exception handlers meanwhile (the SDK's would fail the run with them).
 */
async function captureFailures(body: () => Promise<void>): Promise<unknown[]> {
  const failures: unknown[] = [];
  const events = ["unhandledRejection", "uncaughtException"] as const;
  const saved = events.map((e) => [e, process.listeners(e as "unhandledRejection")] as const);
  const onFailure = (err: unknown) => failures.push(err);
  for (const e of events) {
    process.removeAllListeners(e);
    process.on(e, onFailure);
  }
  try {
    await body();
    await settle();
    await new Promise((r) => setImmediate(r));
  } finally {
    for (const [e, listeners] of saved) {
      process.removeAllListeners(e);
      for (const l of listeners) process.on(e, l as (...args: unknown[]) => void);
    }
  }
  return failures;
}

/**
 * Runs `program` as the root of a stack under the mocks, as the engine does,
 * then `after` (a declaration once the program is done); returns the failures
 * and the error the stack itself ended with.
 */
async function runStack(program: () => unknown | Promise<unknown>, after?: () => void): Promise<{ failures: unknown[]; error?: unknown }> {
  let error: unknown;
  const failures = await captureFailures(async () => {
    await pulumi.runtime
      .runInPulumiStack(async () => {
        await program();
        return {};
      })
      .catch((e: unknown) => (error = e));
    after?.();
  });
  return { failures, ...(error !== undefined ? { error } : {}) };
}

const messages = ({ failures }: { failures: unknown[] }) => failures.map((f) => (pulumi.RunError.isInstance(f) ? `RunError: ${f.message}` : String(f)));

describe.each([true, false])("the event graph is checked without an EventGraph (preview=%s)", (preview) => {
  let warnings: string[];
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
    warnings = [];
    vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => {
      warnings.push(msg);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("a correct pipeline (AutoScaledService publisher, EventService and AutoScaledService subscribers) passes; the warnings are logged once", async () => {
    const failures = await runStack(() => {
      const nats = new NatsJetStream("nats", { namespace: "events" });
      const orders = new Topic("orders", { broker: nats, subjects: ["orders.created", "orders.cancelled"] });
      const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
      new AutoScaledService("orders-api", { image: IMAGE, port: 8080, publishes: [{ topic: orders, subjects: ["orders.created"] }], autoscaling: { maxReplicas: 5 } });
      new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker", deadLetter: dlq }], scaling: { maxReplicas: 10 } });
      new AutoScaledService("indexer", { image: IMAGE, port: 9090, subscribes: [{ topic: orders, durableName: "indexer" }], autoscaling: { maxReplicas: 4 } });
      // The dead-letter reader gets no warning for having no dead letter of its own.
      new EventService("dlq-audit", { image: IMAGE, subscribes: [{ topic: dlq, durableName: "dlq-audit" }] });
    });
    expect(messages(failures)).toEqual([]);
    expect(warnings).toEqual(['"indexer" subscription "indexer" has no `deadLetter`: a message that fails 5 deliveries is dropped without a trace. Set `deadLetter` to keep it.']);
    // Nothing is registered for the check itself.
    expect(registrations.filter((r) => r.type.startsWith("switchyard:index:EventGraph"))).toEqual([]);
  });

  it("definite mistakes fail the run with every error listed: a subscription nothing publishes to, a dead-letter topic nothing reads", async () => {
    const failures = await runStack(() => {
      const nats = new NatsJetStream("nats", { replicas: 1 });
      const orders = new Topic("orders", { broker: nats });
      const dlq = new Topic("orders-dlq", { broker: nats, deadLetterFor: orders });
      const partner = new Topic("partner", { broker: nats, external: "partner bridge" });
      new AutoScaledService("indexer", { image: IMAGE, port: 9090, subscribes: [{ topic: orders, durableName: "indexer", deadLetter: dlq }], autoscaling: { maxReplicas: 4 } });
      new Subscription("audit", { topic: orders, maxDeliveries: -1 });
      // `external` topics need no publisher in the stack.
      new EventService("importer", { image: IMAGE, subscribes: [{ topic: partner, durableName: "importer", maxDeliveries: -1 }] });
    });
    expect(messages(failures)).toEqual([
      `RunError: The event graph of stack "stack" has 3 errors (switchyard checks every stack that declares events once the program is done):
  - "indexer" subscribes to topic "orders" (durable "indexer"), but nothing in this stack publishes to it. Add the topic to a service's \`publishes\`, or declare it \`external: true\` if it is fed from outside the stack.
  - "audit" subscribes to topic "orders" (durable "audit"), but nothing in this stack publishes to it. Add the topic to a service's \`publishes\`, or declare it \`external: true\` if it is fed from outside the stack.
  - Topic "orders-dlq" receives the dead letters of "indexer/indexer", but nothing subscribes to it, so failed messages would pile up unseen. Subscribe a service or consumer to "orders-dlq" (to alert, inspect or replay).`,
    ]);
    expect(warnings).toEqual([]);
  });

  it("runs after the whole program: a publisher declared after an `await` counts", async () => {
    const failures = await runStack(async () => {
      const nats = new NatsJetStream("nats", { replicas: 1 });
      const orders = new Topic("orders", { broker: nats });
      new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker", maxDeliveries: -1 }] });
      await new Promise((r) => setTimeout(r, 20));
      new AutoScaledService("orders-api", { image: IMAGE, port: 8080, publishes: [orders], autoscaling: { maxReplicas: 2 } });
    });
    expect(messages(failures)).toEqual([]);
  });

  it("checks again what is declared after the program is done (e.g. inside an `apply`)", async () => {
    let orders: Topic | undefined;
    const run = await runStack(
      () => {
        const nats = new NatsJetStream("nats", { replicas: 1 });
        orders = new Topic("orders", { broker: nats, external: true });
        new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker" }] });
      },
      () => new EventService("late", { image: IMAGE, subscribes: [{ topic: new Topic("late-topic", { broker: orders!.broker }), durableName: "late", maxDeliveries: -1 }] }),
    );
    expect(messages(run)).toEqual([
      `RunError: The event graph of stack "stack" has 1 error (switchyard checks every stack that declares events once the program is done):
  - "late" subscribes to topic "late-topic" (durable "late"), but nothing in this stack publishes to it. Add the topic to a service's \`publishes\`, or declare it \`external: true\` if it is fed from outside the stack.`,
    ]);
    // The first check's warning is not logged again by the second.
    expect(warnings).toEqual(['"worker" subscription "worker" has no `deadLetter`: a message that fails 5 deliveries is dropped without a trace. Set `deadLetter` to keep it.']);
  });

  it("an explicit EventGraph checks and seals the graph: the automatic check does not report it again", async () => {
    const failures = await runStack(() => {
      const nats = new NatsJetStream("nats", { replicas: 1 });
      const orders = new Topic("orders", { broker: nats, external: true });
      new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker" }] });
      new EventGraph("events");
    });
    expect(messages(failures)).toEqual([]);
    expect(warnings).toEqual(['"worker" subscription "worker" has no `deadLetter`: a message that fails 5 deliveries is dropped without a trace. Set `deadLetter` to keep it.']);
  });

  it("a program that fails is not checked on top (its own error is reported)", async () => {
    const run = await runStack(() => {
      const nats = new NatsJetStream("nats", { replicas: 1 });
      const orders = new Topic("orders", { broker: nats });
      new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker" }] });
      throw new Error("the program failed");
    });
    expect(String(run.error)).toBe("Error: the program failed");
    // The SDK's own promises reject with the program's error; nothing else is reported.
    expect(new Set(messages(run))).toEqual(new Set(["Error: the program failed"]));
    expect(warnings).toEqual([]);
  });

  it("without a stack resource (plain mocks, or a stack left over from an earlier test) nothing is checked automatically", async () => {
    expect(messages(await runStack(() => new NatsJetStream("first", { replicas: 1 })))).toEqual([]);
    resetEventGraph();
    // The stack resource of that run is still set, as after any `runInPulumiStack` under mocks.
    expect(pulumi.runtime.getStackResource()).toBeDefined();
    const failures = await captureFailures(async () => {
      const nats = new NatsJetStream("nats", { replicas: 1 });
      const orders = new Topic("orders", { broker: nats });
      new EventService("worker", { image: IMAGE, subscribes: [{ topic: orders, durableName: "worker" }] });
    });
    expect(failures).toEqual([]);
    // The process-wide graph is in use, not the old stack's; an EventGraph (or `check()`) finds the mistake.
    expect(eventGraph().services.map((s) => s.logicalName)).toEqual(["worker"]);
    expect(eventGraph().check().errors.map((e) => e.path)).toEqual(["events/services/worker/nats.orders.worker"]);
  });
});
