import { EventGraph, EventService, NatsJetStream, Topic } from "@switchyard/pulumi";

/** The stack program, as a function: `index.ts` calls it, and so does each test. */
export function shop() {
  const bus = new NatsJetStream("bus", {});
  const orders = new Topic("orders", { broker: bus, subjects: ["orders.>"] });
  const api = new EventService("api", { image: "ghcr.io/acme/api:1.0.0", port: 8080, publishes: [orders] });
  new EventService("billing", {
    image: "ghcr.io/acme/billing:1.0.0",
    subscribes: [{ topic: orders, durableName: "billing" }],
    scaling: { maxReplicas: 5 },
  });
  new EventGraph("events");
  return { endpoint: api.endpoint };
}
