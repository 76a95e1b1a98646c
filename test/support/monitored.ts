import type { MonitoredWorkload, ResolvedPort } from "../../lib";

/** Workloads as monitoring sees them, shared by the derivation tests and the promtool tier. */
export const PORTS: ResolvedPort[] = [{ name: "http", port: 8080, servicePort: 8080, protocol: "TCP" }];

/** An event service on NATS that scales on its subscription and dead-letters into ORDERS_DLQ. */
export const billing: MonitoredWorkload = {
  service: "billing",
  team: "payments",
  namespace: "shop",
  deployment: "billing-1a2b3c4d",
  container: "billing",
  disruptionBudget: "billing-pdb-5e6f7a8b",
  autoscaler: { kind: "keda", name: "keda-hpa-billing-scaler-9c0d1e2f", minReplicas: 0, maxReplicas: 10 },
  subscriptions: [{ durableName: "billing-orders", broker: "nats", topic: "ORDERS", consumer: "billing-orders", capacity: 500, deadLetter: "ORDERS_DLQ" }],
};

/** An AutoScaledService with its HPA and PDB. */
export const api: MonitoredWorkload = {
  service: "api",
  namespace: "shop",
  deployment: "api-11111111",
  container: "api",
  disruptionBudget: "api-pdb-22222222",
  autoscaler: { kind: "hpa", name: "api-hpa-33333333", minReplicas: 2, maxReplicas: 6 },
};

/** One of each other kind: a FailoverGroup member without namespace, Kafka and RabbitMQ event services. */
export const others: MonitoredWorkload[] = [
  api,
  { service: "checkout", member: "east", deployment: "checkout-east-55555555", container: "checkout", replicas: 4 },
  { service: "ledger", namespace: "shop", deployment: "ledger-66666666", container: "ledger", replicas: 1, subscriptions: [{ durableName: "ledger", broker: "kafka", topic: "payments", consumer: "ledger", capacity: 600, deadLetter: "payments-dlq" }] },
  { service: "audit", namespace: "shop", deployment: "audit-77777777", container: "audit", replicas: 1, subscriptions: [{ durableName: "audit", broker: "rabbitmq", topic: "audit", consumer: "audit.audit", capacity: 50 }] },
];
