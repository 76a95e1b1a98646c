import { describe, expect, it } from "vitest";
import { type BrokerInfo, resolveTopic, validateTopicContract } from "../../lib/events/contract";
import { resolveDelivery, validateDelivery } from "../../lib/events/delivery";
import {
  deriveJetStreamConsumer,
  deriveJetStreamStream,
  deriveKafkaConsumer,
  deriveKafkaTopicConfig,
  deriveRabbitMqQueue,
} from "../../lib/events/derive";
import { goDuration, toBytes, toMillis } from "../../lib/events/durations";
import { isValidSubject, subjectCovers, subjectsOverlap, toBindingKey } from "../../lib/events/subjects";

const nats: BrokerInfo = { kind: "nats", logicalName: "nats", replicas: 3 };
const kafka: BrokerInfo = { kind: "kafka", logicalName: "kafka", replicas: 3 };
const rabbit: BrokerInfo = { kind: "rabbitmq", logicalName: "rabbit", replicas: 1 };
const msgs = (p: { list: readonly { message: string }[] }) => p.list.map((x) => x.message);

describe("durations, sizes and subjects", () => {
  it("parses durations and prints Go durations", () => {
    expect(toMillis("30s")).toBe(30_000);
    expect(toMillis("1m30s")).toBe(90_000);
    expect(toMillis("7d")).toBe(604_800_000);
    expect(toMillis(2)).toBe(2000);
    expect(toMillis("500ms")).toBe(500);
    expect(toMillis("30 s")).toBeUndefined();
    expect(toMillis("-1s")).toBeUndefined();
    expect(goDuration(604_800_000)).toBe("168h");
    expect(goDuration(90_000)).toBe("90s");
    expect(goDuration(120_000)).toBe("2m");
    expect(goDuration(1500)).toBe("1500ms");
  });
  it("parses sizes", () => {
    expect(toBytes("1Gi")).toBe(1024 ** 3);
    expect(toBytes("10MB")).toBe(10_000_000);
    expect(toBytes(42)).toBe(42);
    expect(toBytes("lots")).toBeUndefined();
  });
  it("matches subjects with NATS wildcards", () => {
    expect(isValidSubject("orders.*.created")).toBe(true);
    expect(isValidSubject("orders.>")).toBe(true);
    expect(isValidSubject("orders.>.x")).toBe(false);
    expect(isValidSubject("orders..x")).toBe(false);
    expect(isValidSubject("ord*rs")).toBe(false);
    expect(subjectsOverlap("orders.created", "orders.*")).toBe(true);
    expect(subjectsOverlap("orders.>", "orders.a.b")).toBe(true);
    expect(subjectsOverlap("orders.>", "orders")).toBe(false);
    expect(subjectsOverlap("payments.*", "orders.*")).toBe(false);
    expect(subjectsOverlap("a.*", "a.b.c")).toBe(false);
    expect(subjectCovers("orders.>", "orders.*")).toBe(true);
    expect(subjectCovers("orders.*", "orders.>")).toBe(false);
    expect(toBindingKey("orders.>")).toBe("orders.#");
    expect(toBindingKey("orders.*")).toBe("orders.*");
  });
});

describe("topic contract", () => {
  it("applies defaults per broker", () => {
    expect(resolveTopic("orders", nats, {})).toEqual({
      logicalName: "orders", broker: nats, name: "orders", subjects: ["orders.>"], maxAgeMs: 604_800_000,
      replicas: 3, discard: "old", external: false, deadLetterFor: [],
    });
    const k = resolveTopic("orders", kafka, { retention: { maxAge: null, maxBytes: "3Gi" } });
    expect(k.partitions).toBe(3);
    expect(k.subjects).toEqual([]);
    expect(k.maxAgeMs).toBeUndefined();
    expect(resolveTopic("orders", { kind: "nats", logicalName: "ext" }, {}).replicas).toBe(1);
    expect(resolveTopic("orders", nats, { external: "partner SFTP drop" })).toMatchObject({ external: true, externalSource: "partner SFTP drop" });
  });
  it("a NATS dead-letter topic captures the max-deliveries advisories of its sources", () => {
    const orders = resolveTopic("orders", nats, {});
    expect(resolveTopic("orders-dlq", nats, {}, [orders]).subjects).toEqual(["$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.*"]);
    expect(resolveTopic("dlq", rabbit, {}, [resolveTopic("orders", rabbit, {})]).subjects).toEqual(["orders.>"]);
  });
  it("derives the JetStream stream and Kafka topic config", () => {
    expect(deriveJetStreamStream(resolveTopic("orders", nats, { subjects: ["orders.*"], retention: { maxMessages: 10, maxBytes: "1Mi" }, maxMessageSize: "1KiB", discard: "new", description: "d" }))).toEqual({
      name: "orders", subjects: ["orders.*"], storage: "file", retention: "limits", replicas: 3, discard: "new",
      maxAge: "168h", maxMsgs: 10, maxBytes: 1048576, maxMsgSize: 1024, description: "d",
    });
    expect(deriveKafkaTopicConfig(resolveTopic("orders", kafka, { partitions: 4, retention: { maxBytes: 4000 }, maxMessageSize: 100 }))).toEqual({
      "retention.ms": 604_800_000, "retention.bytes": 1000, "max.message.bytes": 100, "min.insync.replicas": 2,
    });
    expect(deriveKafkaTopicConfig(resolveTopic("o", kafka, { replicas: 1, retention: { maxAge: null } }))).toEqual({ "retention.ms": -1, "min.insync.replicas": 1 });
  });
  it("reports every topic problem at once, with exact texts", () => {
    expect(msgs(validateTopicContract("orders", nats, { name: "or.ders", subjects: ["a..b", "x.>", "x.>"], partitions: 2, replicas: 4, retention: { maxAge: "forever", maxMessages: 0, maxBytes: "lots" }, maxMessageSize: -1 }))).toEqual([
      '`name` ("or.ders") is not a valid NATS JetStream stream name: use letters, digits, "-" and "_" (no ".", "*", ">" or spaces), at most 200 characters.',
      "`partitions` (2) only applies to Kafka; NATS JetStream has no partitions. Remove it (scale consumers with `maxInFlight` and replicas instead).",
      '`subjects[0]` ("a..b") is not a valid subject: use tokens separated by ".", with "*" for one token and ">" only as the last token, e.g. "orders.*".',
      '`subjects[2]` ("x.>") is listed twice. Remove the duplicate.',
      '`retention.maxAge` ("forever") must be a positive duration such as "30m", "24h" or "7d" (or a number of seconds), or null to keep messages regardless of age.',
      "`retention.maxMessages` (0) must be a whole number >= 1.",
      '`retention.maxBytes` ("lots") must be a positive size such as "1Gi" or "500MB", or a number of bytes.',
      "`maxMessageSize` (-1) must be a positive size such as \"1MiB\", or a number of bytes.",
      '`replicas` (4) exceeds the 3 node(s) of broker "nats", so the topic could never be created. Set `replicas` to 3 or fewer, or add broker nodes.',
    ]);
    expect(msgs(validateTopicContract("orders", kafka, { subjects: ["a"], partitions: 0, discard: "new", replicas: 9 }))).toEqual([
      "`subjects` does not apply to Kafka: a Kafka topic is a single address. Remove `subjects`, or declare one topic per kind of message.",
      "`partitions` (0) must be a whole number from 1 to 10000. Use e.g. 3.",
      '`discard` ("new") is not supported by Kafka: a Kafka topic always deletes its oldest segments. Remove `discard`.',
      "`replicas` (9) must be a whole number from 1 to 5.",
    ]);
    expect(msgs(validateTopicContract("q", rabbit, { subjects: [] }))).toEqual([
      '`subjects` is empty, so nothing could be published to the topic. List at least one subject, or leave `subjects` unset for ["q.>"].',
    ]);
    const other = resolveTopic("orders", { kind: "nats", logicalName: "other" }, {});
    expect(msgs(validateTopicContract("dlq", nats, { external: true }, [other]))).toEqual([
      "`external` and `deadLetterFor` are both set: a dead-letter topic is fed by the broker, not from outside. Remove `external`.",
      '`deadLetterFor[0]` ("orders") is on broker "other", but this topic is on "nats"; dead letters never cross brokers. Declare the dead-letter topic on "other".',
    ]);
    expect(validateTopicContract("orders", nats, {}).list).toEqual([]);
  });
});

describe("delivery contract", () => {
  const orders = resolveTopic("orders", nats, { subjects: ["orders.created", "orders.cancelled"] });
  const dlq = resolveTopic("orders-dlq", nats, {}, [orders]);

  it("applies defaults", () => {
    expect(resolveDelivery("billing", {})).toEqual({
      durableName: "billing", filters: [], ackWaitMs: 30_000, maxDeliveries: 5, backoffMs: [], maxInFlight: 100, ordered: false, startAt: "all",
    });
    expect(resolveDelivery("b", { ordered: true, filter: "orders.created" })).toMatchObject({ maxInFlight: 1, filters: ["orders.created"] });
  });

  it("reports every delivery problem with exact texts", () => {
    expect(msgs(validateDelivery(orders, { durableName: "bad.name", filter: ["payments.*", "orders..x"], ackWait: "10ms", maxDeliveries: 0, backoff: ["5s", "nope"], maxInFlight: 0 }, undefined, "subscribes[0]"))).toEqual([
      '`subscribes[0].durableName` ("bad.name") must be 1-63 letters, digits, "-" and "_", starting with a letter or digit. Set `subscribes[0].durableName` explicitly.',
      '`subscribes[0].filter[0]` ("payments.*") matches none of the subjects of topic "orders" ("orders.created", "orders.cancelled"), so the subscription would never receive a message. Use a filter within those subjects, or remove it.',
      '`subscribes[0].filter[1]` ("orders..x") is not a valid subject pattern: tokens separated by ".", "*" for one token, ">" only last.',
      '`subscribes[0].ackWait` ("10ms") must be a duration of at least 1s, e.g. "30s".',
      "`subscribes[0].maxDeliveries` (0) must be a whole number >= 1 (deliveries including the first), or -1 for unlimited.",
      '`subscribes[0].backoff[1]` ("nope") must be a duration of at least 1s, e.g. "10s".',
      "`subscribes[0].maxInFlight` (0) must be a whole number >= 1.",
    ]);
  });

  it("keeps maxDeliveries and backoff consistent", () => {
    expect(msgs(validateDelivery(orders, { maxDeliveries: 3, backoff: ["30s", "1m", "5m"] }, undefined, "", "w"))).toEqual([
      "`backoff` has 3 entries but `maxDeliveries` (3) allows only 2 redeliveries, so the extra entries would never be used (and JetStream rejects the consumer). Remove entries, or raise `maxDeliveries` to 4.",
    ]);
    expect(msgs(validateDelivery(orders, { backoff: ["10s"] }, undefined, "", "w"))).toEqual([
      '`backoff[0]` ("10s") is shorter than `ackWait` (30s). JetStream uses each backoff entry as the ack deadline of that delivery, so a message still being processed would be delivered again. Make every entry at least 30s.',
    ]);
    const q = resolveTopic("q", rabbit, {});
    expect(msgs(validateDelivery(q, { backoff: ["1m"] }, undefined, "", "w"))).toEqual([
      "`backoff` is not supported by RabbitMQ: a quorum queue redelivers a returned message at once, and a second, delayed retry layer would multiply the deliveries. Remove `backoff`, or use NATS JetStream or Kafka for delayed retries.",
    ]);
    expect(msgs(validateDelivery(orders, { ordered: true, maxInFlight: 5 }, undefined, "", "w"))).toEqual([
      "`maxInFlight` (5) contradicts `ordered`: strict order means one message in flight. Remove `maxInFlight` or `ordered`.",
    ]);
    const k = resolveTopic("k", kafka, {});
    expect(msgs(validateDelivery(k, { filter: "k.x" }, undefined, "", "w"))).toEqual([
      "`filter` is not supported by Kafka: a consumer group reads every message of the topic. Remove the filter, or split the topic.",
    ]);
  });

  it("checks the dead-letter destination", () => {
    const stray = resolveTopic("stray", nats, {});
    const elsewhere = resolveTopic("x", { kind: "nats", logicalName: "other" }, {});
    expect(msgs(validateDelivery(orders, {}, stray, "", "w"))).toEqual([
      '`deadLetter` ("stray") does not list topic "orders" in its `deadLetterFor`, so on NATS JetStream it would not capture this consumer\'s max-deliveries advisories. Add "orders" to `deadLetterFor` of "stray".',
    ]);
    expect(msgs(validateDelivery(orders, { maxDeliveries: -1 }, orders, "", "w"))).toEqual([
      '`deadLetter` is the subscription\'s own topic "orders": failed messages would be delivered again forever. Use a separate dead-letter topic.',
      "`deadLetter` is set but `maxDeliveries` is -1 (unlimited), so no message would ever be dead-lettered. Set `maxDeliveries` to a limit, e.g. 5.",
    ]);
    expect(msgs(validateDelivery(orders, {}, elsewhere, "", "w"))).toEqual([
      '`deadLetter` ("x") is on broker "other", but topic "orders" is on "nats"; dead letters never cross brokers. Use a dead-letter topic on "nats".',
    ]);
    expect(validateDelivery(orders, { maxDeliveries: 4, backoff: ["30s", "2m"] }, dlq, "", "w").list).toEqual([]);
  });
});

describe("derived broker settings: one retry layer, the same number of deliveries everywhere", () => {
  const cases = [
    { maxDeliveries: 1, backoff: [] },
    { maxDeliveries: 5, backoff: [] },
    { maxDeliveries: 4, backoff: ["30s", "2m", "10m"] },
    { maxDeliveries: 6, backoff: ["1m"] },
    { maxDeliveries: -1, backoff: [] },
  ];
  for (const c of cases) {
    it(`maxDeliveries ${c.maxDeliveries}, backoff [${c.backoff.join(", ")}]`, () => {
      const contract = resolveDelivery("w", c);
      const js = deriveJetStreamConsumer(resolveTopic("o", nats, {}), contract);
      expect(js.spec.maxDeliver).toBe(c.maxDeliveries);
      expect((js.spec.backoff as string[] | undefined)?.length ?? 0).toBe(c.backoff.length);
      if (c.maxDeliveries !== -1) expect(c.backoff.length).toBeLessThan(c.maxDeliveries);
      expect(js.retries).toEqual({ mechanism: "broker-redelivery", deliveries: c.maxDeliveries, clientAttempts: 1 });
      const kf = deriveKafkaConsumer(resolveTopic("o", kafka, {}), contract);
      expect(kf.retries.deliveries).toBe(c.maxDeliveries);
      // Exactly one retry layer: retry topics (1 attempt per delivery) or in-process attempts, never both.
      if (c.backoff.length) expect(kf.retries).toEqual({ mechanism: "retry-topics", deliveries: c.maxDeliveries, clientAttempts: 1 });
      else expect(kf.retries).toEqual({ mechanism: "in-process", deliveries: c.maxDeliveries, clientAttempts: c.maxDeliveries });
      expect(kf.retryTopics.length).toBe(c.backoff.length);
      if (!c.backoff.length) {
        const rq = deriveRabbitMqQueue(resolveTopic("o", rabbit, {}), contract);
        // delivery-limit counts returns: deliveries - 1.
        expect(rq.policy.definition["delivery-limit"]).toBe(c.maxDeliveries === -1 ? -1 : c.maxDeliveries - 1);
        expect(rq.queueArguments).toEqual({});
        expect(rq.retries.clientAttempts).toBe(1);
      }
    });
  }

  it("JetStream consumer fields", () => {
    const orders = resolveTopic("orders", nats, {});
    const dlq = resolveTopic("orders-dlq", nats, {}, [orders]);
    const js = deriveJetStreamConsumer(orders, resolveDelivery("billing", { filter: ["orders.a", "orders.b"], maxDeliveries: 3, backoff: ["30s", "5m"], startAt: "new" }, dlq));
    expect(js).toEqual({
      spec: {
        durableName: "billing", streamName: "orders", deliverPolicy: "new", ackPolicy: "explicit", ackWait: "30s",
        maxDeliver: 3, backoff: ["30s", "5m"], maxAckPending: 100, replayPolicy: "instant", filterSubjects: ["orders.a", "orders.b"],
      },
      deadLetterSubject: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.orders.billing",
      retries: { mechanism: "broker-redelivery", deliveries: 3, clientAttempts: 1 },
    });
    expect(deriveJetStreamConsumer(orders, resolveDelivery("b", { filter: "orders.a", ackWait: "1m" })).spec).toMatchObject({ filterSubject: "orders.a", ackWait: "1m" });
  });

  it("RabbitMQ quorum queue policy", () => {
    const orders = resolveTopic("orders", rabbit, { retention: { maxAge: "1h", maxMessages: 1000, maxBytes: 1000000 } });
    const dlq = resolveTopic("dlq", rabbit, {}, [orders]);
    expect(deriveRabbitMqQueue(orders, resolveDelivery("billing", { filter: "orders.>", ordered: true, ackWait: "1m" }, dlq))).toEqual({
      queueName: "orders.billing",
      bindingKeys: ["orders.#"],
      queueArguments: { "x-single-active-consumer": true },
      policy: {
        pattern: "^orders\\.billing$",
        definition: {
          "delivery-limit": 4, "consumer-timeout": 60_000, "message-ttl": 3_600_000, "max-length": 1000, "max-length-bytes": 1000000,
          "dead-letter-exchange": "dlq", "dead-letter-strategy": "at-least-once", overflow: "reject-publish",
        },
      },
      prefetch: 1,
      retries: { mechanism: "broker-redelivery", deliveries: 5, clientAttempts: 1 },
    });
    const q = deriveRabbitMqQueue(resolveTopic("o", rabbit, { discard: "new", retention: { maxAge: null } }), resolveDelivery("w", {}));
    expect(q.bindingKeys).toEqual(["o.#"]);
    expect(q.policy.definition).toEqual({ "delivery-limit": 4, "consumer-timeout": 30_000, overflow: "reject-publish" });
  });

  it("Kafka retry and dead-letter topics", () => {
    const orders = resolveTopic("orders", kafka, {});
    const dlq = resolveTopic("orders.dlq", kafka, {}, [orders]);
    expect(deriveKafkaConsumer(orders, resolveDelivery("billing", { maxDeliveries: 5, backoff: ["10s", "1m"], maxInFlight: 50, ackWait: "10m" }, dlq))).toEqual({
      groupId: "billing",
      retryTopics: [
        { name: "orders.billing.retry-1", delayMs: 10_000 },
        { name: "orders.billing.retry-2", delayMs: 60_000 },
      ],
      deadLetterTopic: "orders.dlq",
      maxPollRecords: 50,
      maxPollIntervalMs: 600_000,
      retries: { mechanism: "retry-topics", deliveries: 5, clientAttempts: 1 },
    });
  });
});
