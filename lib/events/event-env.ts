import { envStem } from "../model/names";
import type { Manifest } from "../model/workload-manifests";
import type { BrokerKind, TopicSpec } from "./contract";
import type { DeliveryContract } from "./delivery";
import type { RetryPlan } from "./derive";

/**
 * Environment variables the container of a service with events receives (any
 * kind that declares `publishes` or `subscribes`; an EventService always).
 * Names are stable and documented; secret values come from the service's
 * events Secret.
 *
 * | variable | value |
 * |---|---|
 * | `EVENTS_BROKER_KIND` | `nats`, `kafka` or `rabbitmq` |
 * | `EVENTS_BROKER_URL` (secret) | NATS `nats://user:pass@host:4222`; Kafka bootstrap `host:9092`; RabbitMQ `amqp://user:pass@host:5672/vhost` |
 * | `EVENTS_BROKER_USERNAME`, `EVENTS_BROKER_PASSWORD` (secret) | the service's broker credentials (absent when the server needs none) |
 * | `EVENTS_KAFKA_SASL_MECHANISM` | `SCRAM-SHA-512` (Kafka) |
 * | `EVENTS_SUBSCRIPTIONS` / `EVENTS_PUBLISHES` | comma-separated stems `<S>` / `<P>` below |
 * | `EVENTS_SUB_<S>_TOPIC` | stream / Kafka topic / exchange (S = durable name, upper-cased) |
 * | `EVENTS_SUB_<S>_CONSUMER` | JetStream durable / Kafka group id / RabbitMQ queue |
 * | `EVENTS_SUB_<S>_FILTER` | comma-separated filter subjects (when set) |
 * | `EVENTS_SUB_<S>_ACK_WAIT_MS`, `_MAX_DELIVERIES`, `_MAX_IN_FLIGHT` | the delivery contract |
 * | `EVENTS_SUB_<S>_CLIENT_ATTEMPTS` | tries the client may make per delivery: 1 unless Kafka without backoff (do not retry on top of the broker) |
 * | `EVENTS_SUB_<S>_RETRY_TOPICS` | Kafka: `topic=delayMs` pairs, comma-separated (when backoff is set) |
 * | `EVENTS_SUB_<S>_DEAD_LETTER` | JetStream advisory subject / Kafka dead-letter topic / RabbitMQ dead-letter exchange (when set) |
 * | `EVENTS_PUB_<P>_TOPIC` | stream / Kafka topic / exchange (P = topic name, upper-cased) |
 * | `EVENTS_PUB_<P>_SUBJECTS` | comma-separated subjects the service publishes on (NATS, RabbitMQ) |
 */
export const EVENT_ENV = {
  kind: "EVENTS_BROKER_KIND",
  url: "EVENTS_BROKER_URL",
  username: "EVENTS_BROKER_USERNAME",
  password: "EVENTS_BROKER_PASSWORD",
  saslMechanism: "EVENTS_KAFKA_SASL_MECHANISM",
  subscriptions: "EVENTS_SUBSCRIPTIONS",
  publishes: "EVENTS_PUBLISHES",
} as const;

export const EVENT_ENV_PREFIX = "EVENTS_";

export function subscriptionEnvStem(durableName: string): string {
  return `EVENTS_SUB_${envStem(durableName)}`;
}

export function publishEnvStem(topicLogicalName: string): string {
  return `EVENTS_PUB_${envStem(topicLogicalName)}`;
}

/** Plain (non-secret) values for one subscription. */
export function subscriptionEnv(
  c: DeliveryContract,
  topic: TopicSpec,
  consumer: string,
  retries: RetryPlan,
  extra: { readonly retryTopics?: readonly { name: string; delayMs: number }[]; readonly deadLetter?: string },
): Manifest[] {
  const stem = subscriptionEnvStem(c.durableName);
  const env: [string, string][] = [
    [`${stem}_TOPIC`, topic.name],
    [`${stem}_CONSUMER`, consumer],
    ...(c.filters.length ? [[`${stem}_FILTER`, c.filters.join(",")] as [string, string]] : []),
    [`${stem}_ACK_WAIT_MS`, String(c.ackWaitMs)],
    [`${stem}_MAX_DELIVERIES`, String(c.maxDeliveries)],
    [`${stem}_MAX_IN_FLIGHT`, String(c.maxInFlight)],
    [`${stem}_CLIENT_ATTEMPTS`, String(retries.clientAttempts)],
    ...(extra.retryTopics?.length ? [[`${stem}_RETRY_TOPICS`, extra.retryTopics.map((t) => `${t.name}=${t.delayMs}`).join(",")] as [string, string]] : []),
    ...(extra.deadLetter !== undefined ? [[`${stem}_DEAD_LETTER`, extra.deadLetter] as [string, string]] : []),
  ];
  return env.map(([name, value]) => ({ name, value }));
}

export function publishEnv(topic: TopicSpec, subjects: readonly string[]): Manifest[] {
  const stem = publishEnvStem(topic.logicalName);
  return [
    { name: `${stem}_TOPIC`, value: topic.name },
    ...(topic.broker.kind !== "kafka" ? [{ name: `${stem}_SUBJECTS`, value: (subjects.length ? subjects : topic.subjects).join(",") }] : []),
  ];
}

export function brokerEnv(kind: BrokerKind, secretName: unknown, hasCredentials: boolean): Manifest[] {
  const fromSecret = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } });
  return [
    { name: EVENT_ENV.kind, value: kind },
    fromSecret(EVENT_ENV.url),
    ...(hasCredentials ? [fromSecret(EVENT_ENV.username), fromSecret(EVENT_ENV.password)] : []),
    ...(kind === "kafka" ? [{ name: EVENT_ENV.saslMechanism, value: "SCRAM-SHA-512" }] : []),
  ];
}
