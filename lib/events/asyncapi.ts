import { showDuration } from "./durations";
import type { BrokerKind } from "./contract";
import { EventGraphModel, type SubscriptionNode, type TopicNode } from "./graph";

/**
 * The event graph as an AsyncAPI 3.0 document: one server per broker, one
 * channel per topic, a `send` operation per publisher and a `receive`
 * operation per subscription, with the delivery contract under
 * `x-switchyard-delivery`. Pure and deterministic (same graph, same text).
 * @see https://www.asyncapi.com/docs/reference/specification/v3.0.0
 */
export interface AsyncApiInfo {
  /** @default "switchyard event graph" */
  readonly title?: string;
  /** @default "1.0.0" */
  readonly version?: string;
  readonly description?: string;
}

const PROTOCOL: Record<BrokerKind, string> = { nats: "nats", kafka: "kafka", rabbitmq: "amqp" };

function key(name: string): string {
  return name.replace(/[^\w.-]/g, "_");
}

function channelKeys(graph: EventGraphModel): Map<TopicNode, string> {
  const counts = new Map<string, number>();
  for (const t of graph.topics) counts.set(t.spec.logicalName, (counts.get(t.spec.logicalName) ?? 0) + 1);
  return new Map(
    graph.topics.map((t) => [t, key(counts.get(t.spec.logicalName)! > 1 ? `${t.broker.props.logicalName}.${t.spec.logicalName}` : t.spec.logicalName)]),
  );
}

function delivery(sub: SubscriptionNode): Record<string, unknown> {
  const c = sub.contract;
  return {
    durableName: c.durableName,
    ...(c.filters.length ? { filter: [...c.filters] } : {}),
    ackWait: showDuration(c.ackWaitMs),
    maxDeliveries: c.maxDeliveries,
    ...(c.backoffMs.length ? { backoff: c.backoffMs.map(showDuration) } : {}),
    maxInFlight: c.maxInFlight,
    ordered: c.ordered,
    startAt: c.startAt,
    ...(c.deadLetter ? { deadLetter: c.deadLetter.logicalName } : {}),
  };
}

export function toAsyncApi(graph: EventGraphModel, info: AsyncApiInfo = {}): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  for (const b of graph.brokers) {
    servers[key(b.props.logicalName)] = {
      host: b.props.host,
      protocol: PROTOCOL[b.props.kind],
      title: b.props.logicalName,
      description: `${EventGraphModel.brokerTitle(b.props.kind)}${b.props.existing ? " (existing server)" : " run by this stack"}.`,
    };
  }
  const keys = channelKeys(graph);
  const channels: Record<string, unknown> = {};
  for (const t of graph.topics) {
    const s = t.spec;
    const id = keys.get(t)!;
    const lines = [
      s.description,
      s.external ? `Fed from outside this stack${s.externalSource ? `: ${s.externalSource}` : ""}.` : undefined,
      s.deadLetterFor.length ? `Dead letters of ${s.deadLetterFor.map((d) => d.logicalName).join(", ")}.` : undefined,
      s.subjects.length > 1 ? `Subjects: ${s.subjects.join(", ")}.` : undefined,
    ].filter((l): l is string => l !== undefined);
    const kafka = s.broker.kind === "kafka";
    channels[id] = {
      address: kafka ? s.name : s.subjects.length === 1 ? s.subjects[0] : null,
      title: s.logicalName,
      ...(lines.length ? { description: lines.join(" ") } : {}),
      servers: [{ $ref: `#/servers/${key(t.broker.props.logicalName)}` }],
      messages: {
        [`${id}.message`]: {
          name: s.logicalName,
          contentType: "application/json",
          payload: s.payload ?? { type: "object" },
        },
      },
      ...(kafka ? { bindings: { kafka: { topic: s.name, partitions: s.partitions, replicas: s.replicas, bindingVersion: "0.5.0" } } } : {}),
      ...(s.broker.kind === "rabbitmq"
        ? { bindings: { amqp: { is: "routingKey", exchange: { name: s.name, type: "topic", durable: true, autoDelete: false }, bindingVersion: "0.3.0" } } }
        : {}),
      "x-switchyard-topic": {
        name: s.name,
        broker: t.broker.props.logicalName,
        ...(s.subjects.length ? { subjects: [...s.subjects] } : {}),
        replicas: s.replicas,
        ...(s.maxAgeMs !== undefined ? { maxAge: showDuration(s.maxAgeMs) } : {}),
        external: s.external,
      },
    };
  }
  const operations: Record<string, unknown> = {};
  const ref = (t: TopicNode) => {
    const id = keys.get(t)!;
    return { channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/${id}.message` }] };
  };
  for (const svc of graph.services) {
    for (const t of svc.publishes) {
      const subjects = t.publishers.find((p) => p.service === svc)?.subjects ?? [];
      operations[key(`${svc.logicalName}.send.${keys.get(t)}`)] = {
        action: "send",
        ...ref(t),
        summary: `${svc.logicalName} publishes to ${t.spec.logicalName}${subjects.length ? ` on ${subjects.join(", ")}` : ""}.`,
      };
    }
    for (const sub of svc.subscriptions) {
      const t = sub.topic;
      const c = sub.contract;
      operations[key(`${svc.logicalName}.receive.${keys.get(t)}.${c.durableName}`)] = {
        action: "receive",
        ...ref(t),
        summary: `${svc.logicalName} consumes ${t.spec.logicalName} as ${c.durableName}.`,
        ...(t.broker.props.kind === "kafka"
          ? { bindings: { kafka: { groupId: { type: "string", enum: [c.durableName] }, bindingVersion: "0.5.0" } } }
          : {}),
        "x-switchyard-delivery": delivery(sub),
      };
    }
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: info.title ?? "switchyard event graph",
      version: info.version ?? "1.0.0",
      ...(info.description !== undefined ? { description: info.description } : {}),
    },
    defaultContentType: "application/json",
    servers,
    channels,
    operations,
  };
}
