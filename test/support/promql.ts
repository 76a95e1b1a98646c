import { parser } from "@prometheus-io/lezer-promql";

/** One vector selector of a query: the metric and its label matchers. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly { readonly label: string; readonly op: string; readonly value: string }[];
}

/**
 * Parses PromQL with Prometheus's own lezer grammar: syntax errors (as the
 * text around each error node) and every vector selector.
 */
export function parsePromQL(query: string): { errors: string[]; selectors: Selector[] } {
  const tree = parser.parse(query);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const text = (from: number, to: number) => query.slice(from, to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${JSON.stringify(text(Math.max(0, node.from - 10), node.to + 10))}`);
      if (node.name !== "VectorSelector") return;
      const id = node.node.getChild("Identifier");
      const matchers: Selector["matchers"][number][] = [];
      const list = node.node.getChild("LabelMatchers");
      for (let m = list?.firstChild; m; m = m.nextSibling) {
        const label = m.getChild("LabelName");
        const op = m.getChild("MatchOp");
        const value = m.getChild("StringLiteral");
        if (label && op && value) matchers.push({ label: text(label.from, label.to), op: text(op.from, op.to), value: JSON.parse(text(value.from, value.to)) });
      }
      selectors.push({ metric: id ? text(id.from, id.to) : "", matchers });
    },
  });
  return { errors, selectors };
}

/** Grafana's interval variables replaced by a duration, so a dashboard query parses as PromQL. */
export function withoutGrafanaVariables(query: string): string {
  return query.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m");
}
