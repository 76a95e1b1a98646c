/**
 * The application both benchmark programs build: plain data, no Pulumi.
 *
 * N services come in groups of ten, each a realistic slice of an
 * event-driven shop: six HPA-scaled request services (one exposed through an
 * HTTPRoute, several calling each other, one with a secret, one with two
 * ports, one with custom resources), one zone-spread FailoverGroup, and three
 * event services on a NATS JetStream server (a publisher, a KEDA-scaled
 * durable consumer with backoff and a dead-letter topic, and the consumer of
 * those dead letters). Every group has its own two topics. One Namespace and
 * one broker binding (an existing NATS server, credentials in a Secret) are
 * shared by the whole stack.
 */

export const PROJECT = "switchyard-bench";
export const SERVICES_PER_GROUP = 10;
export const IMAGE_REPO = "registry.example.com/bench";
export const ZONES = ["zone-a", "zone-b", "zone-c"] as const;
export const NATS_URL = "nats://nats.messaging.svc.cluster.local:4222";
export const NATS_MONITORING = "nats.messaging.svc.cluster.local:8222";
export const NATS_USER = "bench";
/** Not a real credential: the benchmark's stand-in for a password from config. */
export const NATS_PASSWORD = "bench-not-a-secret-5b1d";
export const DB_PASSWORD = "bench-db-not-a-secret";
export const PAYMENT_KEY = "bench-payment-not-a-secret";

export interface AppSpec {
  /** Services (a multiple of ten). */
  readonly services: number;
  readonly namespace: string;
  /** Group suffixes: "0", "1", ... */
  readonly groups: readonly string[];
}

export function appSpec(services: number, namespace: string): AppSpec {
  if (!Number.isInteger(services) || services < SERVICES_PER_GROUP || services % SERVICES_PER_GROUP !== 0) {
    throw new Error(`services (${services}) must be a positive multiple of ${SERVICES_PER_GROUP}`);
  }
  return { services, namespace, groups: Array.from({ length: services / SERVICES_PER_GROUP }, (_, i) => String(i)) };
}

export function image(service: string): string {
  return `${IMAGE_REPO}/${service}:1.0.0`;
}

/** Names of one group's services and topics. */
export function groupNames(g: string) {
  return {
    web: `web-${g}`,
    api: `api-${g}`,
    catalog: `catalog-${g}`,
    users: `users-${g}`,
    search: `search-${g}`,
    ledger: `ledger-${g}`,
    checkout: `checkout-${g}`,
    relay: `relay-${g}`,
    fulfil: `fulfil-${g}`,
    audit: `audit-${g}`,
    orders: `orders-${g}`,
    dlq: `dlq-${g}`,
  };
}
