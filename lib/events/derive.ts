import { goDuration } from "./durations";
import { type TopicSpec, maxDeliveriesAdvisory } from "./contract";
import type { DeliveryContract } from "./delivery";
import { toBindingKey } from "./subjects";

/**
 * Broker settings derived from the delivery contract. Each retry lives in
 * exactly one place: the broker redelivers (JetStream, RabbitMQ) and the
 * client must not retry again, or the client walks the retry topics (Kafka)
 * and the broker never redelivers. `deliveries` is the same number everywhere.
 */
export interface RetryPlan {
  /** Who performs the redeliveries. */
  readonly mechanism: "broker-redelivery" | "retry-topics" | "in-process";
  /** Deliveries of one message in total, first included; -1 unlimited. */
  readonly deliveries: number;
  /** Attempts the client may make on one delivery before giving the message back. Always 1 except Kafka without backoff. */
  readonly clientAttempts: number;
}

/** JetStream stream fields (NACK `Stream` spec, without connection fields). */
export function deriveJetStreamStream(t: TopicSpec): Record<string, unknown> {
  return {
    name: t.name,
    subjects: [...t.subjects],
    storage: "file",
    retention: "limits",
    replicas: t.replicas,
    discard: t.discard,
    ...(t.maxAgeMs !== undefined ? { maxAge: goDuration(t.maxAgeMs) } : {}),
    ...(t.maxMessages !== undefined ? { maxMsgs: t.maxMessages } : {}),
    ...(t.maxBytes !== undefined ? { maxBytes: t.maxBytes } : {}),
    ...(t.maxMessageBytes !== undefined ? { maxMsgSize: t.maxMessageBytes } : {}),
    ...(t.description !== undefined ? { description: t.description } : {}),
  };
}

export interface JetStreamConsumerSettings {
  /** NACK `Consumer` spec fields (without connection fields). */
  readonly spec: Record<string, unknown>;
  /** Subject of the advisory the server publishes when a message is given up. */
  readonly deadLetterSubject?: string;
  readonly retries: RetryPlan;
}

/**
 * JetStream consumer: `maxDeliver` = deliveries, `backoff` = the waits (the
 * server requires `maxDeliver` > entries, which validation guarantees); with a
 * backoff the first entry is the first ack deadline.
 */
export function deriveJetStreamConsumer(t: TopicSpec, c: DeliveryContract): JetStreamConsumerSettings {
  const filters = c.filters;
  return {
    spec: {
      durableName: c.durableName,
      streamName: t.name,
      deliverPolicy: c.startAt,
      ackPolicy: "explicit",
      ackWait: goDuration(c.backoffMs[0] ?? c.ackWaitMs),
      maxDeliver: c.maxDeliveries,
      ...(c.backoffMs.length ? { backoff: c.backoffMs.map(goDuration) } : {}),
      maxAckPending: c.maxInFlight,
      replayPolicy: "instant",
      ...(filters.length === 1 ? { filterSubject: filters[0] } : {}),
      ...(filters.length > 1 ? { filterSubjects: [...filters] } : {}),
    },
    ...(c.deadLetter ? { deadLetterSubject: maxDeliveriesAdvisory(t.name, c.durableName) } : {}),
    retries: { mechanism: "broker-redelivery", deliveries: c.maxDeliveries, clientAttempts: 1 },
  };
}

export interface RabbitMqQueueSettings {
  readonly queueName: string;
  /** Binding keys on the topic exchange. */
  readonly bindingKeys: readonly string[];
  /** Queue arguments (immutable after creation): only what a policy cannot set. */
  readonly queueArguments: Record<string, unknown>;
  /** Policy definition (changeable at any time): limits, dead-lettering, retention. */
  readonly policy: { readonly pattern: string; readonly definition: Record<string, unknown> };
  /** Prefetch (basic.qos) per consumer. */
  readonly prefetch: number;
  readonly retries: RetryPlan;
}

/** Escapes a queue name for an anchored policy pattern. */
export function exactPattern(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

/**
 * RabbitMQ quorum queue: `delivery-limit` = deliveries - 1 (the limit counts
 * returns), dead-lettering to the dead-letter topic's exchange with
 * at-least-once safety, the topic's retention, the ack timeout as
 * `consumer-timeout`. Everything changeable lives in the Policy, since queue
 * arguments cannot change after creation.
 */
export function deriveRabbitMqQueue(t: TopicSpec, c: DeliveryContract): RabbitMqQueueSettings {
  const queueName = `${t.name}.${c.durableName}`;
  const keys = c.filters.length ? c.filters : t.subjects;
  const definition: Record<string, unknown> = {
    "delivery-limit": c.maxDeliveries === -1 ? -1 : c.maxDeliveries - 1,
    "consumer-timeout": c.ackWaitMs,
    ...(t.maxAgeMs !== undefined ? { "message-ttl": t.maxAgeMs } : {}),
    ...(t.maxMessages !== undefined ? { "max-length": t.maxMessages } : {}),
    ...(t.maxBytes !== undefined ? { "max-length-bytes": t.maxBytes } : {}),
  };
  if (c.deadLetter) {
    definition["dead-letter-exchange"] = c.deadLetter.name;
    definition["dead-letter-strategy"] = "at-least-once";
    // at-least-once dead-lettering requires reject-publish overflow.
    definition.overflow = "reject-publish";
  } else {
    definition.overflow = t.discard === "new" ? "reject-publish" : "drop-head";
  }
  return {
    queueName,
    bindingKeys: keys.map(toBindingKey),
    queueArguments: c.ordered ? { "x-single-active-consumer": true } : {},
    policy: { pattern: exactPattern(queueName), definition },
    prefetch: c.maxInFlight,
    retries: { mechanism: "broker-redelivery", deliveries: c.maxDeliveries, clientAttempts: 1 },
  };
}

export interface KafkaRetryTopic {
  readonly name: string;
  readonly delayMs: number;
}

export interface KafkaConsumerSettings {
  readonly groupId: string;
  /** Delayed retry topics, in order; the last is reused until deliveries run out. */
  readonly retryTopics: readonly KafkaRetryTopic[];
  readonly deadLetterTopic?: string;
  readonly maxPollRecords: number;
  /** `max.poll.interval.ms`: at least the ack wait times a full poll. */
  readonly maxPollIntervalMs: number;
  readonly retries: RetryPlan;
}

/**
 * Kafka has no broker redelivery. Without backoff the client retries in
 * process up to `deliveries` times; with a backoff it makes one attempt per
 * delivery and forwards a failed message to the next retry topic (one per
 * backoff entry, the last reused), then to the dead-letter topic.
 */
export function deriveKafkaConsumer(t: TopicSpec, c: DeliveryContract): KafkaConsumerSettings {
  const redeliveries = c.maxDeliveries === -1 ? c.backoffMs.length : Math.min(c.backoffMs.length, c.maxDeliveries - 1);
  const retryTopics = c.backoffMs.slice(0, redeliveries).map((delayMs, i) => ({ name: `${t.name}.${c.durableName}.retry-${i + 1}`, delayMs }));
  const topics = retryTopics.length > 0;
  return {
    groupId: c.durableName,
    retryTopics,
    ...(c.deadLetter ? { deadLetterTopic: c.deadLetter.name } : {}),
    maxPollRecords: c.maxInFlight,
    maxPollIntervalMs: Math.max(300_000, c.ackWaitMs),
    retries: {
      mechanism: topics ? "retry-topics" : "in-process",
      deliveries: c.maxDeliveries,
      clientAttempts: topics ? 1 : c.maxDeliveries,
    },
  };
}

/** Kafka topic config from the topic contract (Strimzi `KafkaTopic.spec.config`). */
export function deriveKafkaTopicConfig(t: TopicSpec): Record<string, string | number> {
  const partitions = t.partitions ?? 1;
  return {
    "retention.ms": t.maxAgeMs ?? -1,
    ...(t.maxBytes !== undefined ? { "retention.bytes": Math.floor(t.maxBytes / partitions) } : {}),
    ...(t.maxMessageBytes !== undefined ? { "max.message.bytes": t.maxMessageBytes } : {}),
    "min.insync.replicas": Math.max(1, Math.min(2, t.replicas - 1)),
  };
}
