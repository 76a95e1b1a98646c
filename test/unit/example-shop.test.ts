import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { childList, installMocks, registrations, settle, valueOf } from "../support/mocks";

// examples/shop/index.ts is the stack the demo and the e2e tier deploy: here it
// runs under Pulumi mocks, as the engine runs it (inside `runInPulumiStack`, so
// the automatic event-graph check runs too). Events there are a capability of
// the services themselves: checkout (a FailoverGroup) publishes the orders it
// accepts, catalog (an AutoScaledService scaled on CPU) and fulfillment (an
// EventService scaled on backlog) consume them.
type ShopProgram = typeof import("../../examples/shop/index");
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;
const NACK = (kind: string) => `kubernetes:jetstream.nats.io/v1beta2:${kind}`;
const envOf = (name: string) => {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = find("kubernetes:apps/v1:Deployment", name).inputs.spec.template.spec.containers[0].env;
  return Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
};

describe.each([true, false])("examples/shop under Pulumi mocks (preview=%s)", (preview) => {
  let warnings: string[] = [];
  let failures: unknown[] = [];
  const onFailure = (e: unknown) => failures.push(e);
  beforeEach(async () => {
    await installMocks(preview);
    pulumi.runtime.setAllConfig({ "project:image": "registry.local/switchyard-app:1.0.0" });
    vi.resetModules();
    warnings = [];
    failures = [];
    vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => {
      warnings.push(msg);
    });
    process.prependListener("unhandledRejection", onFailure);
  });
  afterEach(() => {
    process.removeListener("unhandledRejection", onFailure);
    vi.restoreAllMocks();
  });

  it("checkout publishes and catalog subscribes themselves; the graph passes without warnings", async () => {
    let program: ShopProgram | undefined;
    await pulumi.runtime.runInPulumiStack(async () => {
      program = (await import("../../examples/shop/index")) as ShopProgram;
      return {};
    });
    await settle();
    expect(failures).toEqual([]);
    expect(warnings).toEqual([]);
    const components = (type: string) => registrations.filter((r) => r.type === `switchyard:index:${type}`).map((r) => r.name).sort();
    expect([components("AutoScaledService"), components("FailoverGroup"), components("EventService")]).toEqual([["catalog", "web"], ["checkout"], ["fulfillment"]]);
    expect(childList(registrations).filter((c) => c.startsWith(NACK("")))).toEqual([
      `${NACK("Account")}::bus-account`,
      `${NACK("Consumer")}::catalog-catalog-stock`,
      `${NACK("Consumer")}::fulfillment-fulfillment`,
      `${NACK("Consumer")}::orders-dlq-audit`,
      `${NACK("Stream")}::orders`,
      `${NACK("Stream")}::orders-dlq`,
    ]);
    expect(envOf("checkout")).toMatchObject({ EVENTS_PUBLISHES: "orders", EVENTS_PUB_ORDERS_SUBJECTS: "orders.created,orders.cancelled" });
    expect(envOf("catalog")).toMatchObject({ EVENTS_SUBSCRIPTIONS: "catalog-stock", EVENTS_SUB_CATALOG_STOCK_FILTER: "orders.created" });
    // An existing server: no pods of it to admit, so no broker policy.
    expect(childList(registrations).filter((c) => c.includes("-to-bus"))).toEqual([]);
    const diagram = await valueOf(program!.eventDiagram);
    expect(diagram).toContain('s_checkout -->|"orders.created, orders.cancelled"| t_bus__orders');
    expect(diagram).toContain('t_bus__orders -->|"catalog-stock · orders.created · max 5"| s_catalog');
  });
});
