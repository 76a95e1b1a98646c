import { DASHBOARD_LABEL, METRICS } from "../../../lib";
import { type Selector, parsePromQL, withoutGrafanaVariables } from "../../support/promql";
import { type Series, labelKey, select } from "./exposition";
import { getJson } from "./kube";

/**
 * The queries a deployed stack really carries, read back from the API
 * server (PrometheusRules and the StackDashboard's ConfigMap), and their
 * vector selectors.
 */

/** One query and where it comes from (`<PrometheusRule> <alert>` or `dashboard <panel>`). */
export interface Query {
  readonly source: string;
  readonly expr: string;
}

/** Every alert expression of the PrometheusRules in `namespace`, and every query of the dashboards there. */
export function deployedQueries(namespace: string): { rules: Query[]; dashboard: Query[] } {
  const rules: Query[] = [];
  for (const r of getJson(["get", "prometheusrules.monitoring.coreos.com", "-n", namespace]).items) {
    for (const g of r.spec.groups) for (const rule of g.rules) rules.push({ source: `${r.metadata.name} ${rule.alert}`, expr: rule.expr });
  }
  const dashboard: Query[] = [];
  for (const cm of getJson(["get", "configmaps", "-n", namespace, "-l", DASHBOARD_LABEL]).items) {
    for (const json of Object.values(cm.data as Record<string, string>)) {
      for (const p of JSON.parse(json).panels) {
        for (const t of p.targets ?? []) dashboard.push({ source: `dashboard ${p.title} ${t.refId} (${t.legendFormat})`, expr: withoutGrafanaVariables(t.expr) });
      }
    }
  }
  return { rules, dashboard };
}

/** A vector selector, where it comes from, and which exporter publishes its metric (per `METRICS`). */
export interface SourcedSelector extends Selector {
  readonly source: string;
  readonly exporter: string;
}

/** Every vector selector of the queries; throws on a query that does not parse or a metric `METRICS` does not list. */
export function selectorsOf(queries: readonly Query[]): SourcedSelector[] {
  return queries.flatMap((q) => {
    const { errors, selectors } = parsePromQL(q.expr);
    if (errors.length) throw new Error(`${q.source}: ${q.expr}: ${errors.join("; ")}`);
    return selectors.map((s) => {
      const source = METRICS[s.metric];
      if (!source) throw new Error(`${q.source}: metric ${s.metric} is not listed in METRICS`);
      return { ...s, source: q.source, exporter: source.exporter };
    });
  });
}

const OPS: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/**
 * Evaluates `<selector> <op> <selector>` as Prometheus does on one instant:
 * one-to-one matching on identical label sets (no `on`/`ignoring`), the
 * left sample kept where the comparison holds. Undefined for any other shape.
 * `pairs` counts the matched samples: zero means the two sides never meet and
 * the alert could never fire.
 */
export function evalComparison(expr: string, series: readonly Series[]): { pairs: number; result: Series[] } | undefined {
  const m = /^[a-zA-Z_:][\w:]*\{[^}]*\} (<|<=|>|>=|==|!=) [a-zA-Z_:][\w:]*\{[^}]*\}$/.exec(expr);
  if (!m) return undefined;
  const [left, right] = parsePromQL(expr).selectors;
  const rhs = new Map(select(right!, series).map((s) => [labelKey(s), s]));
  const pairs = select(left!, series).filter((s) => rhs.has(labelKey(s)));
  return { pairs: pairs.length, result: pairs.filter((s) => OPS[m[1]!]!(s.value, rhs.get(labelKey(s))!.value)) };
}
