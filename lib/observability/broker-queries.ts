import type { BrokerKind } from "../events/contract";
import { selector } from "./promql";
import type { MonitoredSubscription } from "./targets";

/**
 * PromQL for one subscription, per broker, over what each broker's exporter
 * publishes (see `METRICS`):
 * - NATS JetStream: prometheus-nats-exporter with `-jsz=all`. Every server
 *   reports the streams and consumers it holds, so values are `max`ed over
 *   servers (replicas report the same numbers).
 * - Kafka: kafka_exporter (Strimzi's Kafka Exporter runs it).
 * - RabbitMQ: the rabbitmq_prometheus plugin's per-object endpoint
 *   (`/metrics/per-object`), which has queue depths but no per-queue
 *   delivery counters: delivery rate, redeliveries and dead letters are not
 *   derived for RabbitMQ (undefined).
 * Pure.
 */
export interface BrokerQueries {
  /** Messages waiting for the subscription (its scaling signal). */
  backlog(s: MonitoredSubscription): string;
  /** Messages held by a dead-letter destination; undefined when the exporter cannot tell. */
  deadLetters(destination: string): string | undefined;
  /** True (non-empty) while messages are out for delivery but nothing was acknowledged during `window`. */
  notAcknowledging(s: MonitoredSubscription, window: string): string;
  /** Messages delivered per second; undefined when the exporter cannot tell. */
  deliveryRate(s: MonitoredSubscription, window: string): string | undefined;
  /** Messages delivered more than once and not yet acknowledged; undefined when the broker has no such count. */
  redeliveries(s: MonitoredSubscription): string | undefined;
}

const nats: BrokerQueries = {
  backlog: (s) => `max(${selector("jetstream_consumer_num_pending", consumer(s))})`,
  deadLetters: (stream) => `max(${selector("jetstream_stream_total_messages", { stream_name: stream })})`,
  notAcknowledging: (s, window) =>
    `max(${selector("jetstream_consumer_num_ack_pending", consumer(s))}) > 0 and max(changes(${selector("jetstream_consumer_ack_floor_stream_seq", consumer(s))}[${window}])) == 0`,
  deliveryRate: (s, window) => `max(rate(${selector("jetstream_consumer_delivered_consumer_seq", consumer(s))}[${window}]))`,
  redeliveries: (s) => `max(${selector("jetstream_consumer_num_redelivered", consumer(s))})`,
};

function consumer(s: MonitoredSubscription): Record<string, string> {
  return { stream_name: s.topic, consumer_name: s.consumer };
}

const kafka: BrokerQueries = {
  backlog: (s) => `sum(${selector("kafka_consumergroup_lag", group(s))})`,
  deadLetters: (topic) =>
    `sum(${selector("kafka_topic_partition_current_offset", { topic })}) - sum(${selector("kafka_topic_partition_oldest_offset", { topic })})`,
  notAcknowledging: (s, window) =>
    `sum(${selector("kafka_consumergroup_lag", group(s))}) > 0 and sum(changes(${selector("kafka_consumergroup_current_offset", group(s))}[${window}])) == 0`,
  deliveryRate: (s, window) => `sum(rate(${selector("kafka_consumergroup_current_offset", group(s))}[${window}]))`,
  redeliveries: () => undefined,
};

function group(s: MonitoredSubscription): Record<string, string> {
  return { consumergroup: s.consumer, topic: s.topic };
}

const rabbitmq: BrokerQueries = {
  backlog: (s) => `sum(${selector("rabbitmq_queue_messages_ready", { queue: s.consumer })})`,
  deadLetters: () => undefined,
  notAcknowledging: (s, window) =>
    `sum(${selector("rabbitmq_queue_messages_unacked", { queue: s.consumer })}) > 0 and sum(changes(${selector("rabbitmq_queue_messages_unacked", { queue: s.consumer })}[${window}])) == 0`,
  deliveryRate: () => undefined,
  redeliveries: () => undefined,
};

const QUERIES: Readonly<Record<BrokerKind, BrokerQueries>> = { nats, kafka, rabbitmq };

export function brokerQueries(kind: BrokerKind): BrokerQueries {
  return QUERIES[kind];
}
