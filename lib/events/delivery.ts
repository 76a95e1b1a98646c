import { type Duration, showDuration, toMillis } from "./durations";
import { type TopicSpec, filterMatchesTopic, showSubjects } from "./contract";
import { isValidSubject, subjectCovers } from "./subjects";
import { Problems, show } from "../model/problems";

/**
 * How one subscription is delivered, declared once for every broker. The
 * broker settings derived from it (`derive.ts`) put each retry in exactly one
 * place, so redeliveries are never multiplied by a second retry layer.
 */
export interface DeliveryArgs {
  /**
   * Durable consumer name: JetStream durable, Kafka consumer group, RabbitMQ queue.
   * @default - `<service>-<topic>` (a service's `subscribes`) or the component name (Subscription)
   */
  readonly durableName?: string;
  /**
   * Only messages on these subjects (NATS syntax). JetStream: consumer
   * filter; RabbitMQ: binding keys. Not supported by Kafka.
   * @default - every subject of the topic
   */
  readonly filter?: string | readonly string[];
  /**
   * Time the consumer has to acknowledge a message before it is redelivered.
   * @default "30s"
   */
  readonly ackWait?: Duration;
  /**
   * Deliveries of one message in total (the first one included), then it is
   * dead-lettered (or dropped without `deadLetter`); `-1` for unlimited.
   * @default 5
   */
  readonly maxDeliveries?: number;
  /**
   * Waits before each redelivery: entry i is the wait before delivery i+2;
   * the last entry repeats. JetStream: consumer `backoff`; Kafka: one retry
   * topic per entry. Not supported by RabbitMQ (quorum queues redeliver at once).
   * @default - redeliver after `ackWait`
   */
  readonly backoff?: readonly Duration[];
  /**
   * Unacknowledged messages one consumer group may hold (JetStream
   * `maxAckPending`, RabbitMQ prefetch per replica, Kafka `max.poll.records`).
   * @default 100 (1 when `ordered`)
   */
  readonly maxInFlight?: number;
  /**
   * Deliver strictly in order, one at a time (JetStream `maxAckPending: 1`,
   * RabbitMQ single active consumer; Kafka keeps order per partition).
   * @default false
   */
  readonly ordered?: boolean;
  /** Where to start when the consumer is first created. @default "all" */
  readonly startAt?: "all" | "new";
}

/** A subscription with every default applied. */
export interface DeliveryContract {
  readonly durableName: string;
  readonly filters: readonly string[];
  readonly ackWaitMs: number;
  /** -1 for unlimited. */
  readonly maxDeliveries: number;
  readonly backoffMs: readonly number[];
  readonly maxInFlight: number;
  readonly ordered: boolean;
  readonly startAt: "all" | "new";
  readonly deadLetter?: TopicSpec;
}

export const DEFAULT_ACK_WAIT = "30s";
export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_MAX_IN_FLIGHT = 100;

function filterList(f: DeliveryArgs["filter"]): readonly string[] {
  return f === undefined ? [] : typeof f === "string" ? [f] : f;
}

export function resolveDelivery(durableName: string, a: DeliveryArgs, deadLetter?: TopicSpec): DeliveryContract {
  const ordered = a.ordered ?? false;
  return {
    durableName: a.durableName ?? durableName,
    filters: [...filterList(a.filter)],
    ackWaitMs: toMillis(a.ackWait ?? DEFAULT_ACK_WAIT) ?? 30_000,
    maxDeliveries: a.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
    backoffMs: (a.backoff ?? []).map((d) => toMillis(d) ?? 0),
    maxInFlight: a.maxInFlight ?? (ordered ? 1 : DEFAULT_MAX_IN_FLIGHT),
    ordered,
    startAt: a.startAt ?? "all",
    ...(deadLetter ? { deadLetter } : {}),
  };
}

const DURABLE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Checks a subscription's contract against its topic (and dead-letter topic);
 * `prefix` is the argument path in messages (e.g. `subscribes[0]`).
 */
export function validateDelivery(topic: TopicSpec, a: DeliveryArgs, deadLetter: TopicSpec | undefined, prefix = "", fallbackDurable = ""): Problems {
  const problems = new Problems();
  const p = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const kind = topic.broker.kind;
  const durable = a.durableName ?? fallbackDurable;
  if (!DURABLE.test(durable)) {
    problems.add(p("durableName"), `\`${p("durableName")}\` (${show(durable)}) must be 1-63 letters, digits, "-" and "_", starting with a letter or digit. Set \`${p("durableName")}\` explicitly.`);
  }
  const filters = filterList(a.filter);
  if (kind === "kafka" && filters.length) {
    problems.add(p("filter"), `\`${p("filter")}\` is not supported by Kafka: a consumer group reads every message of the topic. Remove the filter, or split the topic.`);
  } else {
    filters.forEach((f, i) => {
      const fp = typeof a.filter === "string" ? p("filter") : p(`filter[${i}]`);
      if (!isValidSubject(f)) {
        problems.add(fp, `\`${fp}\` (${show(f)}) is not a valid subject pattern: tokens separated by ".", "*" for one token, ">" only last.`);
      } else if (!filterMatchesTopic(f, topic)) {
        problems.add(fp, `\`${fp}\` (${show(f)}) matches none of the subjects of topic ${show(topic.logicalName)} (${showSubjects(topic)}), so the subscription would never receive a message. Use a filter within those subjects, or remove it.`);
      }
    });
  }
  const ackWait = a.ackWait === undefined ? 30_000 : toMillis(a.ackWait);
  if (ackWait === undefined || ackWait < 1000) {
    problems.add(p("ackWait"), `\`${p("ackWait")}\` (${show(a.ackWait)}) must be a duration of at least 1s, e.g. "30s".`);
  }
  const maxDeliveries = a.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  const validMax = Number.isInteger(maxDeliveries) && (maxDeliveries >= 1 || maxDeliveries === -1);
  if (!validMax) {
    problems.add(p("maxDeliveries"), `\`${p("maxDeliveries")}\` (${show(maxDeliveries)}) must be a whole number >= 1 (deliveries including the first), or -1 for unlimited.`);
  }
  const backoff = a.backoff ?? [];
  backoff.forEach((d, i) => {
    const ms = toMillis(d);
    if (ms === undefined || ms < 1000) {
      problems.add(p(`backoff[${i}]`), `\`${p(`backoff[${i}]`)}\` (${show(d)}) must be a duration of at least 1s, e.g. "10s".`);
    } else if (kind === "nats" && ackWait !== undefined && ms < ackWait) {
      problems.add(p(`backoff[${i}]`), `\`${p(`backoff[${i}]`)}\` (${show(d)}) is shorter than \`${p("ackWait")}\` (${showDuration(ackWait)}). JetStream uses each backoff entry as the ack deadline of that delivery, so a message still being processed would be delivered again. Make every entry at least ${showDuration(ackWait)}.`);
    }
  });
  if (backoff.length && kind === "rabbitmq") {
    problems.add(p("backoff"), `\`${p("backoff")}\` is not supported by RabbitMQ: a quorum queue redelivers a returned message at once, and a second, delayed retry layer would multiply the deliveries. Remove \`${p("backoff")}\`, or use NATS JetStream or Kafka for delayed retries.`);
  } else if (validMax && maxDeliveries !== -1 && backoff.length > maxDeliveries - 1) {
    problems.add(p("backoff"), `\`${p("backoff")}\` has ${backoff.length} entries but \`${p("maxDeliveries")}\` (${maxDeliveries}) allows only ${maxDeliveries - 1} redeliveries, so the extra entries would never be used (and JetStream rejects the consumer). Remove entries, or raise \`${p("maxDeliveries")}\` to ${backoff.length + 1}.`);
  }
  const ordered = a.ordered ?? false;
  if (a.maxInFlight !== undefined) {
    if (!Number.isInteger(a.maxInFlight) || a.maxInFlight < 1) {
      problems.add(p("maxInFlight"), `\`${p("maxInFlight")}\` (${show(a.maxInFlight)}) must be a whole number >= 1.`);
    } else if (ordered && a.maxInFlight > 1) {
      problems.add(p("maxInFlight"), `\`${p("maxInFlight")}\` (${a.maxInFlight}) contradicts \`${p("ordered")}\`: strict order means one message in flight. Remove \`${p("maxInFlight")}\` or \`${p("ordered")}\`.`);
    }
  }
  if (deadLetter) {
    if (deadLetter.broker.logicalName !== topic.broker.logicalName) {
      problems.add(p("deadLetter"), `\`${p("deadLetter")}\` (${show(deadLetter.logicalName)}) is on broker ${show(deadLetter.broker.logicalName)}, but topic ${show(topic.logicalName)} is on ${show(topic.broker.logicalName)}; dead letters never cross brokers. Use a dead-letter topic on ${show(topic.broker.logicalName)}.`);
    } else if (deadLetter.logicalName === topic.logicalName) {
      problems.add(p("deadLetter"), `\`${p("deadLetter")}\` is the subscription's own topic ${show(topic.logicalName)}: failed messages would be delivered again forever. Use a separate dead-letter topic.`);
    } else if (kind === "nats" && !deadLetter.deadLetterFor.some((t) => t.logicalName === topic.logicalName)) {
      problems.add(p("deadLetter"), `\`${p("deadLetter")}\` (${show(deadLetter.logicalName)}) does not list topic ${show(topic.logicalName)} in its \`deadLetterFor\`, so on NATS JetStream it would not capture this consumer's max-deliveries advisories. Add ${show(topic.logicalName)} to \`deadLetterFor\` of ${show(deadLetter.logicalName)}.`);
    }
    if (maxDeliveries === -1) {
      problems.add(p("deadLetter"), `\`${p("deadLetter")}\` is set but \`${p("maxDeliveries")}\` is -1 (unlimited), so no message would ever be dead-lettered. Set \`${p("maxDeliveries")}\` to a limit, e.g. ${DEFAULT_MAX_DELIVERIES}.`);
    }
  }
  return problems;
}

/** True when every subject a publisher names is captured by the topic. */
export function topicCaptures(topic: TopicSpec, subject: string): boolean {
  return topic.subjects.some((s) => subjectCovers(s, subject));
}
