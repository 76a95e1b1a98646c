import { type Duration, type Size, toBytes, toMillis } from "./durations";
import { isValidSubject, subjectsOverlap } from "./subjects";
import { Problems, show } from "../model/problems";

/**
 * The delivery contract: what a topic holds and how a subscription is
 * delivered, declared once and independent of the broker. Pure; the
 * per-broker settings are derived in `derive.ts`.
 */

export type BrokerKind = "nats" | "kafka" | "rabbitmq";

export const BROKER_TITLES: Record<BrokerKind, string> = {
  nats: "NATS JetStream",
  kafka: "Kafka",
  rabbitmq: "RabbitMQ",
};

/** What the topic model needs to know about its broker. */
export interface BrokerInfo {
  readonly kind: BrokerKind;
  readonly logicalName: string;
  /** Nodes of the broker cluster; undefined when unknown (an existing server). */
  readonly replicas?: number;
}

/** How long and how much a topic keeps. */
export interface RetentionArgs {
  /**
   * Oldest message kept; `null` keeps messages regardless of age.
   * @default "7d"
   */
  readonly maxAge?: Duration | null;
  /** Most messages kept (JetStream `maxMsgs`, RabbitMQ queue `max-length`). @default - unlimited */
  readonly maxMessages?: number;
  /**
   * Most bytes kept for the whole topic (Kafka: divided over the partitions,
   * since `retention.bytes` is per partition).
   * @default - unlimited
   */
  readonly maxBytes?: Size;
}

/** The broker-independent part of a topic's arguments. */
export interface TopicContractArgs {
  /**
   * Name of the broker object: JetStream stream, Kafka topic, RabbitMQ exchange.
   * @default - the component name
   */
  readonly name?: string;
  /**
   * Subjects the topic carries, NATS syntax (`*` one token, `>` the rest).
   * JetStream: the stream's subjects; RabbitMQ: routing keys publishers use.
   * Not used by Kafka (a Kafka topic is one address).
   * @default - [`<name>.>`] (NATS, RabbitMQ); a dead-letter topic: its sources' subjects (RabbitMQ) or their max-deliveries advisories (NATS)
   * @see https://docs.nats.io/nats-concepts/subjects
   */
  readonly subjects?: readonly string[];
  /** Kafka partitions: the most consumers of one group that receive messages. @default 3 (Kafka only) */
  readonly partitions?: number;
  readonly retention?: RetentionArgs;
  /** Largest message accepted. @default - the broker's default */
  readonly maxMessageSize?: Size;
  /** Copies of every message. @default - min(3, broker nodes), 1 for an existing broker */
  readonly replicas?: number;
  /**
   * What happens when a limit is reached: drop the oldest messages, or refuse
   * new ones (JetStream `discard`, RabbitMQ `overflow`). Not for Kafka.
   * @default "old"
   */
  readonly discard?: "old" | "new";
  /**
   * The topic is fed from outside this stack (another stack, a device, a
   * partner): a subscription to it needs no publisher here. A string describes the source.
   * @default false
   */
  readonly external?: boolean | string;
  /** What the topic is for (AsyncAPI, diagram). */
  readonly description?: string;
  /** JSON Schema of the message payload, for the AsyncAPI document. @default - any object */
  readonly payload?: Record<string, unknown>;
}

/** A topic with every default applied; what subscriptions, the graph and the builders read. */
export interface TopicSpec {
  readonly logicalName: string;
  readonly broker: BrokerInfo;
  /** Stream / Kafka topic / exchange name. */
  readonly name: string;
  readonly subjects: readonly string[];
  readonly partitions?: number;
  readonly maxAgeMs?: number;
  readonly maxMessages?: number;
  readonly maxBytes?: number;
  readonly maxMessageBytes?: number;
  readonly replicas: number;
  readonly discard: "old" | "new";
  readonly external: boolean;
  readonly externalSource?: string;
  /** Topics whose dead letters this topic receives. */
  readonly deadLetterFor: readonly TopicSpec[];
  readonly description?: string;
  readonly payload?: Record<string, unknown>;
}

export const DEFAULT_MAX_AGE = "7d";
export const DEFAULT_PARTITIONS = 3;

/** JetStream advisory published when a message reaches a consumer's max deliveries. */
export function maxDeliveriesAdvisory(stream: string, consumer: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

export function resolveTopic(
  logicalName: string,
  broker: BrokerInfo,
  a: TopicContractArgs,
  deadLetterFor: readonly TopicSpec[] = [],
): TopicSpec {
  const name = a.name ?? logicalName;
  const maxAge = a.retention?.maxAge === null ? undefined : toMillis(a.retention?.maxAge ?? DEFAULT_MAX_AGE);
  const maxBytes = a.retention?.maxBytes !== undefined ? toBytes(a.retention.maxBytes) : undefined;
  const maxMessageBytes = a.maxMessageSize !== undefined ? toBytes(a.maxMessageSize) : undefined;
  let subjects: string[] = [];
  if (broker.kind !== "kafka") {
    if (a.subjects) subjects = [...a.subjects];
    else if (!deadLetterFor.length) subjects = [`${name}.>`];
    // RabbitMQ dead-letters keep their routing keys: the exchange carries its sources' subjects.
    else if (broker.kind === "rabbitmq") subjects = [...new Set(deadLetterFor.flatMap((t) => t.subjects))];
    // JetStream has no dead-letter queue: the stream captures the server's max-deliveries advisories.
    if (broker.kind === "nats") subjects.push(...deadLetterFor.map((t) => maxDeliveriesAdvisory(t.name, "*")));
  }
  return {
    logicalName,
    broker,
    name,
    subjects,
    ...(broker.kind === "kafka" ? { partitions: a.partitions ?? DEFAULT_PARTITIONS } : {}),
    ...(maxAge !== undefined ? { maxAgeMs: maxAge } : {}),
    ...(a.retention?.maxMessages !== undefined ? { maxMessages: a.retention.maxMessages } : {}),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    replicas: a.replicas ?? Math.min(3, broker.replicas ?? 1),
    discard: a.discard ?? "old",
    external: a.external !== undefined && a.external !== false,
    ...(typeof a.external === "string" ? { externalSource: a.external } : {}),
    deadLetterFor,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.payload !== undefined ? { payload: a.payload } : {}),
  };
}

const NAME_RULES: Record<BrokerKind, { re: RegExp; text: string }> = {
  nats: { re: /^[A-Za-z0-9_-]{1,200}$/, text: 'letters, digits, "-" and "_" (no ".", "*", ">" or spaces), at most 200' },
  kafka: { re: /^[A-Za-z0-9._-]{1,249}$/, text: 'letters, digits, ".", "-" and "_", at most 249' },
  rabbitmq: { re: /^[A-Za-z0-9._:-]{1,200}$/, text: 'letters, digits, ".", ":", "-" and "_", at most 200' },
};

function isWhole(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min;
}

/** Checks a topic's arguments against its broker; returns every problem. */
export function validateTopicContract(logicalName: string, broker: BrokerInfo, a: TopicContractArgs, deadLetterFor: readonly TopicSpec[] = []): Problems {
  const problems = new Problems();
  const title = BROKER_TITLES[broker.kind];
  const name = a.name ?? logicalName;
  const rule = NAME_RULES[broker.kind];
  if (!rule.re.test(name)) {
    problems.add("name", `\`name\` (${show(name)}) is not a valid ${title} ${broker.kind === "rabbitmq" ? "exchange" : broker.kind === "kafka" ? "topic" : "stream"} name: use ${rule.text} characters.`);
  }
  if (broker.kind === "kafka") {
    if (a.subjects !== undefined) {
      problems.add("subjects", `\`subjects\` does not apply to Kafka: a Kafka topic is a single address. Remove \`subjects\`, or declare one topic per kind of message.`);
    }
    if (a.partitions !== undefined && (!isWhole(a.partitions, 1) || a.partitions > 10000)) {
      problems.add("partitions", `\`partitions\` (${show(a.partitions)}) must be a whole number from 1 to 10000. Use e.g. ${DEFAULT_PARTITIONS}.`);
    }
    if (a.discard === "new") {
      problems.add("discard", `\`discard\` ("new") is not supported by Kafka: a Kafka topic always deletes its oldest segments. Remove \`discard\`.`);
    }
  } else {
    if (a.partitions !== undefined) {
      problems.add("partitions", `\`partitions\` (${show(a.partitions)}) only applies to Kafka; ${title} has no partitions. Remove it (scale consumers with \`maxInFlight\` and replicas instead).`);
    }
    if (a.subjects !== undefined && a.subjects.length === 0 && deadLetterFor.length === 0) {
      problems.add("subjects", `\`subjects\` is empty, so nothing could be published to the topic. List at least one subject, or leave \`subjects\` unset for [${show(`${name}.>`)}].`);
    }
    const seen = new Set<string>();
    (a.subjects ?? []).forEach((s, i) => {
      if (!isValidSubject(s)) {
        problems.add(`subjects[${i}]`, `\`subjects[${i}]\` (${show(s)}) is not a valid subject: use tokens separated by ".", with "*" for one token and ">" only as the last token, e.g. "orders.*".`);
      } else if (seen.has(s)) {
        problems.add(`subjects[${i}]`, `\`subjects[${i}]\` (${show(s)}) is listed twice. Remove the duplicate.`);
      }
      seen.add(s);
    });
  }
  const r = a.retention ?? {};
  if (r.maxAge !== undefined && r.maxAge !== null && (toMillis(r.maxAge) === undefined || toMillis(r.maxAge) === 0)) {
    problems.add("retention.maxAge", `\`retention.maxAge\` (${show(r.maxAge)}) must be a positive duration such as "30m", "24h" or "7d" (or a number of seconds), or null to keep messages regardless of age.`);
  }
  if (r.maxMessages !== undefined && !isWhole(r.maxMessages, 1)) {
    problems.add("retention.maxMessages", `\`retention.maxMessages\` (${show(r.maxMessages)}) must be a whole number >= 1.`);
  }
  if (r.maxBytes !== undefined && !toBytes(r.maxBytes)) {
    problems.add("retention.maxBytes", `\`retention.maxBytes\` (${show(r.maxBytes)}) must be a positive size such as "1Gi" or "500MB", or a number of bytes.`);
  }
  if (a.maxMessageSize !== undefined && !toBytes(a.maxMessageSize)) {
    problems.add("maxMessageSize", `\`maxMessageSize\` (${show(a.maxMessageSize)}) must be a positive size such as "1MiB", or a number of bytes.`);
  }
  if (a.replicas !== undefined) {
    if (!isWhole(a.replicas, 1) || a.replicas > 5) {
      problems.add("replicas", `\`replicas\` (${show(a.replicas)}) must be a whole number from 1 to 5.`);
    } else if (broker.replicas !== undefined && a.replicas > broker.replicas) {
      problems.add("replicas", `\`replicas\` (${a.replicas}) exceeds the ${broker.replicas} node(s) of broker ${show(broker.logicalName)}, so the topic could never be created. Set \`replicas\` to ${broker.replicas} or fewer, or add broker nodes.`);
    }
  }
  if (a.external !== undefined && a.external !== false && deadLetterFor.length > 0) {
    problems.add("external", `\`external\` and \`deadLetterFor\` are both set: a dead-letter topic is fed by the broker, not from outside. Remove \`external\`.`);
  }
  deadLetterFor.forEach((t, i) => {
    if (t.broker.logicalName !== broker.logicalName) {
      problems.add(`deadLetterFor[${i}]`, `\`deadLetterFor[${i}]\` (${show(t.logicalName)}) is on broker ${show(t.broker.logicalName)}, but this topic is on ${show(broker.logicalName)}; dead letters never cross brokers. Declare the dead-letter topic on ${show(t.broker.logicalName)}.`);
    }
  });
  return problems;
}

/** Shown in messages: a topic's subjects, quoted and comma-separated. */
export function showSubjects(t: TopicSpec): string {
  return t.subjects.map((s) => show(s)).join(", ");
}

/** True when the filter can match a message of the topic. */
export function filterMatchesTopic(filter: string, t: TopicSpec): boolean {
  return t.subjects.some((s) => subjectsOverlap(filter, s));
}
