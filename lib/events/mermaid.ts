import { showDuration } from "./durations";
import { EventGraphModel, type ServiceNode, type TopicNode } from "./graph";

/**
 * The event graph as a Mermaid flowchart: services as rounded nodes, topics
 * grouped by broker, publish and subscribe edges labelled with subjects and
 * the durable consumer, dead-letter flows dashed. Deterministic.
 * @see https://mermaid.js.org/syntax/flowchart.html
 */
function id(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}

export function toMermaid(graph: EventGraphModel): string {
  const lines = ["flowchart LR"];
  const topicId = (t: TopicNode) => id("t", `${t.broker.props.logicalName}__${t.spec.logicalName}`);
  const serviceId = (s: ServiceNode) => id("s", s.logicalName);
  for (const b of graph.brokers) {
    lines.push(`  subgraph ${id("b", b.props.logicalName)}[${label(`${EventGraphModel.brokerTitle(b.props.kind)}: ${b.props.logicalName}`)}]`);
    for (const t of b.topics) {
      const subjects = EventGraphModel.displaySubjects(t.spec);
      const detail = t.spec.partitions !== undefined ? `${t.spec.partitions} partitions` : subjects.join(", ");
      lines.push(`    ${topicId(t)}[[${label(`${t.spec.logicalName}<br/>${detail}`)}]]`);
    }
    lines.push("  end");
  }
  for (const s of graph.services) {
    const scale = s.scaling ? `<br/>${s.scaling.minReplicas}..${s.scaling.maxReplicas} replicas on lag` : "";
    const text = s.role === "consumer" ? `${s.logicalName} (consumer)` : s.logicalName;
    lines.push(`  ${serviceId(s)}([${label(text + scale)}])`);
  }
  for (const t of graph.topics) {
    if (t.spec.external) {
      const ext = id("x", `${t.broker.props.logicalName}__${t.spec.logicalName}`);
      lines.push(`  ${ext}>${label(`outside: ${t.spec.externalSource ?? "external"}`)}] --> ${topicId(t)}`);
    }
  }
  for (const s of graph.services) {
    for (const t of s.publishes) {
      const subjects = t.publishers.find((p) => p.service === s)?.subjects ?? [];
      lines.push(`  ${serviceId(s)} -->${subjects.length ? `|${label(subjects.join(", "))}|` : ""} ${topicId(t)}`);
    }
  }
  for (const s of graph.services) {
    for (const sub of s.subscriptions) {
      const c = sub.contract;
      const parts = [c.durableName, ...(c.filters.length ? [c.filters.join(", ")] : []), c.maxDeliveries === -1 ? "unlimited" : `max ${c.maxDeliveries}`];
      if (c.backoffMs.length) parts.push(`backoff ${c.backoffMs.map(showDuration).join("/")}`);
      lines.push(`  ${topicId(sub.topic)} -->|${label(parts.join(" · "))}| ${serviceId(s)}`);
      if (c.deadLetter) {
        lines.push(`  ${topicId(sub.topic)} -.->|${label(`dead letters of ${c.durableName}`)}| ${topicId(graph.topic(c.deadLetter))}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}
