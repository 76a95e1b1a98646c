/**
 * An event-driven stack, written against the public API only: the events half of switchyard.
 *
 *   orders-api (an AutoScaledService: an HTTP API scaled on CPU) accepts orders and
 *     publishes them to the `orders` topic on subjects `orders.created` / `orders.cancelled`;
 *   fulfillment (EventService) consumes `orders.created` through a durable subscription
 *     with retries and backoff; a message that still fails goes to the `orders-dlq`
 *     dead-letter topic; KEDA scales it on its backlog, down to zero;
 *   orders-dlq-audit (EventService) reads the dead letters, so failed orders are seen;
 *   the whole graph is checked at preview (in every stack that declares events); the
 *   EventGraph, created last, exports it as AsyncAPI 3 and a Mermaid diagram (stack
 *   outputs `asyncapi` and `eventDiagram`).
 *
 * Needs in the cluster: NACK (streams and consumers are its `Stream`/`Consumer` objects),
 * KEDA, and the Prometheus Operator CRDs (every service is monitored by default).
 * Config: `namespace` (default "order-pipeline"), `imageTag` (default "1.0.0"),
 * `natsUrl` to use an existing JetStream server instead of running one, with
 * `natsMonitoringEndpoint` (host:port KEDA reads the backlog from).
 *
 * To run it, point a Pulumi project's `main` at this file (the repository's Pulumi.yaml
 * runs examples/shop). test/unit/example-events.test.ts runs it under Pulumi mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AutoScaledService, EventGraph, EventService, NatsJetStream, Topic } from "@switchyard/pulumi";

const config = new pulumi.Config();
const tag = config.get("imageTag") ?? "1.0.0";

// Every pod must pass Pod Security "restricted": switchyard's defaults do.
const ns = new k8s.core.v1.Namespace("order-pipeline", {
  metadata: {
    name: config.get("namespace") ?? "order-pipeline",
    labels: { "pod-security.kubernetes.io/enforce": "restricted" },
  },
});
const namespace = ns.metadata.name;

// The broker. By default a 3-server JetStream cluster runs in the namespace (StatefulSet
// with file storage, a generated password kept as a Pulumi secret); with `natsUrl` set,
// the stack binds to an existing server instead and only creates NACK objects for it.
const natsUrl = config.get("natsUrl");
const bus = new NatsJetStream(
  "bus",
  natsUrl
    ? { namespace, existing: { url: natsUrl, monitoringEndpoint: config.require("natsMonitoringEndpoint") } }
    : { namespace, replicas: 3, storage: { size: "5Gi" } },
);

// A topic is its broker object (here a JetStream Stream). The contract (subjects,
// retention, payload schema) is declared once; the AsyncAPI document shows it.
const orders = new Topic("orders", {
  broker: bus,
  subjects: ["orders.created", "orders.cancelled"],
  retention: { maxAge: "7d" },
  description: "Orders accepted by orders-api",
  payload: {
    type: "object",
    required: ["orderId", "items"],
    properties: {
      orderId: { type: "string" },
      items: { type: "array", items: { type: "object", properties: { sku: { type: "string" }, quantity: { type: "integer" } } } },
    },
  },
});

// Where messages go once fulfillment gives up on them. On JetStream the dead-letter topic
// captures the server's max-deliveries advisories (stream, consumer, sequence); the failed
// message itself stays in `orders` and is fetched by that sequence.
const ordersDlq = new Topic("orders-dlq", { broker: bus, deadLetterFor: orders, retention: { maxAge: "30d" } });

// The publisher: an HTTP API, scaled on CPU like any request-serving service, that publishes
// what it accepts. Every service kind takes `publishes` and `subscribes`: here it registers
// the API in the event graph, injects EVENTS_PUB_ORDERS_{TOPIC,SUBJECTS} and the broker
// address and credentials (from the API's own Secret), and opens the path to the broker.
const ordersApi = new AutoScaledService("orders-api", {
  image: `ghcr.io/switchyard-examples/orders-api:${tag}`,
  port: 8080,
  healthPath: "/healthz",
  namespace,
  publishes: [{ topic: orders, subjects: ["orders.created", "orders.cancelled"] }],
  autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
});

// The worker. One delivery contract, from which the JetStream consumer's settings are
// derived: 5 deliveries in all, waiting 30s, 2m, 10m, 10m between them, then dead-lettered.
// KEDA scales it on the consumer's backlog: ceil(backlog / 50) replicas, 0 to 10.
const fulfillment = new EventService("fulfillment", {
  image: `ghcr.io/switchyard-examples/fulfillment:${tag}`,
  namespace,
  subscribes: [
    {
      topic: orders,
      durableName: "fulfillment",
      filter: "orders.created", // cancellations are not its business
      ackWait: "30s", // time to process one order before it is redelivered
      maxDeliveries: 5,
      backoff: ["30s", "2m", "10m"], // on JetStream each entry is that delivery's ack deadline: >= ackWait
      deadLetter: ordersDlq,
    },
  ],
  scaling: { minReplicas: 0, maxReplicas: 10, lagPerReplica: 50, cooldownSeconds: 300 },
  description: "Ships created orders",
});

// The dead-letter reader: without a subscriber the stack is refused at preview, since
// failed orders would pile up unseen. It records each one for an operator to replay;
// `maxDeliveries: -1` retries it until it is recorded (there is no dead letter for dead letters).
new EventService("orders-dlq-audit", {
  image: `ghcr.io/switchyard-examples/dlq-audit:${tag}`,
  namespace,
  replicas: 1,
  subscribes: [{ topic: ordersDlq, durableName: "orders-dlq-audit", maxDeliveries: -1 }],
  description: "Records orders fulfillment gave up on, for replay",
});

// Last: the whole graph is checked in every stack with events, EventGraph or not (a
// subscription nobody publishes to, a filter matching no subject, dead letters nobody
// reads, scaling that cannot work: the preview fails with every error). The EventGraph
// checks it here, refuses later declarations, and exports it.
const graph = new EventGraph("events", { info: { title: "order pipeline events", version: "1.0.0" } });

export const namespaceName = namespace;
export const brokerEndpoint = bus.endpoint;
export const ordersApiEndpoint = ordersApi.endpoint;
export const fulfillmentConsumer = fulfillment.subscriptions[0]!.consumerName;
export const asyncapi = graph.asyncapi;
export const eventDiagram = graph.mermaid;
