/**
 * The benchmark application written with switchyard's components, as a user
 * would write it (compare examples/shop/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AutoScaledService, EventGraph, EventService, FailoverGroup, NatsJetStream, Topic } from "@switchyard/pulumi";
import { type AppSpec, DB_PASSWORD, NATS_MONITORING, NATS_PASSWORD, NATS_URL, NATS_USER, PAYMENT_KEY, ZONES, groupNames, image } from "./spec";

export function switchyardProgram(spec: AppSpec): void {
  const ns = new k8s.core.v1.Namespace("bench", {
    metadata: {
      name: spec.namespace,
      labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
    },
  });
  const namespace = ns.metadata.name;
  const bus = new NatsJetStream("bus", {
    namespace,
    existing: {
      url: NATS_URL,
      monitoringEndpoint: NATS_MONITORING,
      credentials: { username: NATS_USER, password: pulumi.secret(NATS_PASSWORD) },
    },
  });
  const common = { namespace, partOf: "bench" };

  for (const g of spec.groups) {
    const n = groupNames(g);
    const catalog = new AutoScaledService(n.catalog, {
      ...common,
      image: image("catalog"),
      port: 8080,
      healthPath: "/ready",
      team: "catalog",
      autoscaling: { maxReplicas: 6 },
    });
    const users = new AutoScaledService(n.users, {
      ...common,
      image: image("users"),
      port: 8080,
      team: "identity",
      secretEnv: { DB_PASSWORD: pulumi.secret(DB_PASSWORD) },
      autoscaling: { minReplicas: 1, maxReplicas: 4 },
    });
    new AutoScaledService(n.search, {
      ...common,
      image: image("search"),
      ports: [
        { name: "http", port: 8080 },
        { name: "grpc", port: 9090, appProtocol: "kubernetes.io/h2c" },
      ],
      team: "catalog",
      autoscaling: { maxReplicas: 5 },
    });
    new AutoScaledService(n.ledger, {
      ...common,
      image: image("ledger"),
      port: 8080,
      team: "payments",
      resources: { cpuRequest: "250m", memoryRequest: "256Mi", memoryLimit: "512Mi" },
      autoscaling: { minReplicas: 2, maxReplicas: 3 },
    });
    const api = new AutoScaledService(n.api, {
      ...common,
      image: image("api"),
      port: 8080,
      healthPath: "/healthz",
      team: "storefront",
      env: { LOG_LEVEL: "info" },
      calls: [catalog, users],
      autoscaling: { maxReplicas: 8, cpuUtilization: 60, memoryUtilization: 80 },
    });
    const checkout = new FailoverGroup(n.checkout, {
      service: {
        ...common,
        image: image("checkout"),
        port: 8080,
        team: "payments",
        calls: [catalog],
        secretEnv: { PAYMENT_KEY: pulumi.secret(PAYMENT_KEY) },
      },
      zones: [...ZONES],
      availableZones: [...ZONES],
    });
    new AutoScaledService(n.web, {
      ...common,
      image: image("web"),
      port: 8080,
      team: "storefront",
      calls: [api, checkout],
      route: { gateway: { name: "public", namespace: "gateways" }, hostnames: [`${n.web}.bench.example.com`] },
      autoscaling: { minReplicas: 2, maxReplicas: 10 },
    });

    const orders = new Topic(n.orders, { broker: bus, retention: { maxAge: "7d" }, description: "Orders accepted by checkout" });
    const dlq = new Topic(n.dlq, { broker: bus, deadLetterFor: orders, retention: { maxAge: "14d" } });
    new EventService(n.relay, {
      ...common,
      image: image("relay"),
      team: "payments",
      publishes: [{ topic: orders, subjects: [`${n.orders}.created`] }],
      description: "Relays checkout's outbox",
    });
    new EventService(n.fulfil, {
      ...common,
      image: image("fulfil"),
      port: 8080,
      team: "logistics",
      subscribes: [{ topic: orders, durableName: "fulfil", filter: `${n.orders}.created`, maxDeliveries: 5, backoff: ["30s", "2m"], deadLetter: dlq }],
      scaling: { minReplicas: 0, maxReplicas: 10, lagPerReplica: 50 },
    });
    new EventService(n.audit, {
      ...common,
      image: image("audit"),
      team: "logistics",
      subscribes: [{ topic: dlq, durableName: "audit" }],
    });
  }
  new EventGraph("events", { info: { title: "bench events", version: "1.0.0" } });
}
