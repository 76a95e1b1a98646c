import type { NetworkPeerArgs } from "../model/workload-args";
import type { ResolvedPort } from "../model/workload-resolve";
import { isLabelValue } from "../model/names";
import { Problems, show } from "../model/problems";

/**
 * What every service gets for monitoring, on by default: a Prometheus
 * Operator `ServiceMonitor` for its metrics port, and a `PrometheusRule` of
 * alerts derived from what was declared about it. Pure: types, defaults and
 * validation.
 * @see https://prometheus-operator.dev/docs/api-reference/api/
 */

export type Severity = "critical" | "warning" | "info";

/** One alert: how long the condition must hold, and how loud it is. */
export interface AlertSettings {
  /** Prometheus duration the condition must hold before the alert fires, e.g. "10m". */
  readonly for?: string;
  readonly severity?: Severity;
}

/** The backlog alert; its threshold defaults to the scaling capacity. */
export interface BacklogAlertSettings extends AlertSettings {
  /**
   * Messages waiting above which the alert fires.
   * @default - `lagPerReplica` x `maxReplicas` of the service's `scaling`; no alert without `scaling`
   */
  readonly threshold?: number;
}

/** Every alert switchyard derives; `false` drops one. */
export interface AlertsArgs {
  /** Fewer available replicas than desired. @default { for: "15m", severity: "warning" } */
  readonly replicasUnavailable?: AlertSettings | false;
  /** Fewer healthy pods than the PodDisruptionBudget's floor. @default { for: "5m", severity: "critical" } */
  readonly belowDisruptionFloor?: AlertSettings | false;
  /** A container in CrashLoopBackOff. @default { for: "5m", severity: "warning" } */
  readonly crashLooping?: AlertSettings | false;
  /** The autoscaler (HPA, or KEDA's HPA) wants its maximum. @default { for: "15m", severity: "warning" } */
  readonly autoscalerAtMax?: AlertSettings | false;
  /** Event services: backlog above what `maxReplicas` can work off. @default { for: "10m", severity: "critical" } */
  readonly backlogAboveCapacity?: BacklogAlertSettings | false;
  /** Event services: the dead-letter destination holds messages. @default { for: "1m", severity: "warning" } */
  readonly deadLetters?: AlertSettings | false;
  /** Event services: messages are out for delivery but none is acknowledged. @default { for: "10m", severity: "critical" } */
  readonly notAcknowledging?: AlertSettings | false;
}

/** The metrics endpoint a `ServiceMonitor` scrapes. */
export interface MetricsScrapeArgs {
  /**
   * Name of the service port serving metrics.
   * @default - the port named "metrics" if declared, else the first port
   */
  readonly port?: string;
  /** @default "/metrics" */
  readonly path?: string;
  /** @default "30s" */
  readonly interval?: string;
  /** @default - Prometheus's default (10s) */
  readonly scrapeTimeout?: string;
  /** @default "http" */
  readonly scheme?: "http" | "https";
}

/**
 * Monitoring of one service. Every field has a default; the stack config
 * `switchyard:monitoring` (same shape) sets defaults for every service of a
 * stack, and `false` there or here turns monitoring off.
 */
export interface MonitoringArgs {
  /** Scrape the service's metrics endpoint. `false`: no ServiceMonitor. @default {} */
  readonly metrics?: MetricsScrapeArgs | false;
  /** Alerts of the service's PrometheusRule. `false`: no PrometheusRule. @default {} */
  readonly alerts?: AlertsArgs | false;
  /**
   * Labels on the ServiceMonitor and PrometheusRule objects, so the Prometheus
   * that should load them selects them (kube-prometheus-stack selects
   * `release: <its release name>` by default).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /** Labels on every alert, for routing in Alertmanager (the service's `team` is always added). @default {} */
  readonly alertLabels?: Record<string, string>;
  /**
   * Base URL of your runbooks; each alert gets `runbook_url: <base>/<alertname>`.
   * @default - no `runbook_url`; every alert still carries a `runbook` annotation with first steps
   */
  readonly runbookBaseUrl?: string;
  /**
   * Prometheus pods admitted to the metrics port by the service's NetworkPolicy.
   * `false` admits none (scraping then needs your own policy).
   * @default { podLabels: { "app.kubernetes.io/name": "prometheus" }, namespace: "*" }
   */
  readonly scrapedBy?: NetworkPeerArgs | false;
}

export const ALERT_KEYS = [
  "replicasUnavailable",
  "belowDisruptionFloor",
  "crashLooping",
  "autoscalerAtMax",
  "backlogAboveCapacity",
  "deadLetters",
  "notAcknowledging",
] as const;
export type AlertKey = (typeof ALERT_KEYS)[number];

export const DEFAULT_ALERTS: Readonly<Record<AlertKey, Required<AlertSettings>>> = {
  replicasUnavailable: { for: "15m", severity: "warning" },
  belowDisruptionFloor: { for: "5m", severity: "critical" },
  crashLooping: { for: "5m", severity: "warning" },
  autoscalerAtMax: { for: "15m", severity: "warning" },
  backlogAboveCapacity: { for: "10m", severity: "critical" },
  deadLetters: { for: "1m", severity: "warning" },
  notAcknowledging: { for: "10m", severity: "critical" },
};

export const DEFAULT_SCRAPERS: NetworkPeerArgs = { podLabels: { "app.kubernetes.io/name": "prometheus" }, namespace: "*" };

export interface ResolvedAlert {
  readonly for: string;
  readonly severity: Severity;
  readonly threshold?: number;
}

export interface ResolvedScrape {
  readonly port: string;
  readonly path: string;
  readonly interval: string;
  readonly scrapeTimeout?: string;
  readonly scheme: "http" | "https";
}

/** Monitoring of one service with every default applied. */
export interface ResolvedMonitoring {
  /** Undefined: no ServiceMonitor (turned off, or the service has no port). */
  readonly scrape?: ResolvedScrape;
  /** Alerts that are on; empty: no PrometheusRule. */
  readonly alerts: Partial<Record<AlertKey, ResolvedAlert>>;
  readonly labels: Record<string, string>;
  readonly alertLabels: Record<string, string>;
  readonly runbookBaseUrl?: string;
  /** Undefined: nobody is admitted to the metrics port by switchyard. */
  readonly scrapedBy?: NetworkPeerArgs;
}

/** Service settings over stack settings, field by field (alerts one by one). */
export function mergeMonitoring(stack: MonitoringArgs | false | undefined, service: MonitoringArgs | false | undefined): MonitoringArgs | false {
  if (service === false || (service === undefined && stack === false)) return false;
  const base: MonitoringArgs = stack === false || stack === undefined ? {} : stack;
  const own: MonitoringArgs = service ?? {};
  const alerts =
    own.alerts === false || (own.alerts === undefined && base.alerts === false)
      ? false
      : { ...(base.alerts || {}), ...(own.alerts || {}) };
  const metrics =
    own.metrics === false || (own.metrics === undefined && base.metrics === false)
      ? false
      : { ...(base.metrics || {}), ...(own.metrics || {}) };
  const scrapedBy = own.scrapedBy !== undefined ? own.scrapedBy : base.scrapedBy;
  const runbookBaseUrl = own.runbookBaseUrl ?? base.runbookBaseUrl;
  return {
    metrics,
    alerts,
    labels: { ...(base.labels ?? {}), ...(own.labels ?? {}) },
    alertLabels: { ...(base.alertLabels ?? {}), ...(own.alertLabels ?? {}) },
    ...(runbookBaseUrl !== undefined ? { runbookBaseUrl } : {}),
    ...(scrapedBy !== undefined ? { scrapedBy } : {}),
  };
}

/** Applies the defaults; `undefined` when monitoring is off. */
export function resolveMonitoring(m: MonitoringArgs | false, ports: readonly ResolvedPort[]): ResolvedMonitoring | undefined {
  if (m === false) return undefined;
  const alerts: Partial<Record<AlertKey, ResolvedAlert>> = {};
  if (m.alerts !== false) {
    for (const key of ALERT_KEYS) {
      const a = m.alerts?.[key];
      if (a === false) continue;
      const threshold = key === "backlogAboveCapacity" ? (a as BacklogAlertSettings | undefined)?.threshold : undefined;
      alerts[key] = {
        for: a?.for ?? DEFAULT_ALERTS[key].for,
        severity: a?.severity ?? DEFAULT_ALERTS[key].severity,
        ...(threshold !== undefined ? { threshold } : {}),
      };
    }
  }
  let scrape: ResolvedScrape | undefined;
  if (m.metrics !== false && ports.length) {
    const s = m.metrics ?? {};
    scrape = {
      port: s.port ?? (ports.find((p) => p.name === "metrics") ?? ports[0]!).name,
      path: s.path ?? "/metrics",
      interval: s.interval ?? "30s",
      ...(s.scrapeTimeout !== undefined ? { scrapeTimeout: s.scrapeTimeout } : {}),
      scheme: s.scheme ?? "http",
    };
  }
  const scrapedBy = m.scrapedBy === false ? undefined : (m.scrapedBy ?? DEFAULT_SCRAPERS);
  return {
    ...(scrape ? { scrape } : {}),
    alerts,
    labels: { ...(m.labels ?? {}) },
    alertLabels: { ...(m.alertLabels ?? {}) },
    ...(m.runbookBaseUrl !== undefined ? { runbookBaseUrl: m.runbookBaseUrl.replace(/\/+$/, "") } : {}),
    ...(scrape && scrapedBy ? { scrapedBy } : {}),
  };
}

/** A Prometheus duration: units y, w, d, h, m, s, ms, largest first, e.g. "1h30m". */
const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

export function isPromDuration(v: unknown): boolean {
  return typeof v === "string" && v !== "" && PROM_DURATION.test(v);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const QUALIFIED_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Labels switchyard sets on every alert; `alertLabels` may not replace them. */
export const RESERVED_ALERT_LABELS = ["severity", "service", "namespace", "team"] as const;

/**
 * Every problem of a service's monitoring settings (after merging the stack's),
 * with `prefix` the property path (`monitoring` or `service.monitoring`).
 */
export function validateMonitoring(m: MonitoringArgs | false | undefined, ports: readonly ResolvedPort[], prefix = "monitoring"): Problems {
  const problems = new Problems();
  if (m === false || m === undefined) return problems;
  if (typeof m !== "object" || m === null) {
    problems.add(prefix, `\`${prefix}\` (${show(m)}) must be an object or false.`);
    return problems;
  }
  const duration = (property: string, v: unknown) => {
    if (v !== undefined && !isPromDuration(v)) {
      problems.add(property, `\`${property}\` (${show(v)}) must be a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first). Fix the value.`);
    }
  };
  if (m.metrics && typeof m.metrics === "object") {
    const p = `${prefix}.metrics`;
    const names = ports.map((x) => x.name);
    if (m.metrics.port !== undefined && !names.includes(m.metrics.port)) {
      problems.add(
        `${p}.port`,
        names.length
          ? `\`${p}.port\` (${show(m.metrics.port)}) is not a port of this service (ports: ${names.map((n) => show(n)).join(", ")}). Use one of them or add the port to \`ports\`.`
          : `\`${p}.port\` (${show(m.metrics.port)}) is set but the service declares no \`ports\`, so there is no Service to scrape. Add the port to \`ports\` or set \`${p}\` to false.`,
      );
    }
    if (m.metrics.path !== undefined && !m.metrics.path.startsWith("/")) {
      problems.add(`${p}.path`, `\`${p}.path\` (${show(m.metrics.path)}) must start with "/". Use ${show("/" + m.metrics.path)}.`);
    }
    duration(`${p}.interval`, m.metrics.interval);
    duration(`${p}.scrapeTimeout`, m.metrics.scrapeTimeout);
    if (m.metrics.scheme !== undefined && m.metrics.scheme !== "http" && m.metrics.scheme !== "https") {
      problems.add(`${p}.scheme`, `\`${p}.scheme\` (${show(m.metrics.scheme)}) must be "http" or "https".`);
    }
  }
  if (m.alerts && typeof m.alerts === "object") {
    for (const [key, a] of Object.entries(m.alerts)) {
      const p = `${prefix}.alerts.${key}`;
      if (!(ALERT_KEYS as readonly string[]).includes(key)) {
        problems.add(p, `\`${p}\` is not an alert switchyard derives (alerts: ${ALERT_KEYS.join(", ")}). Remove it or fix the name.`);
        continue;
      }
      if (a === false || a === undefined) continue;
      duration(`${p}.for`, a.for);
      if (a.severity !== undefined && !["critical", "warning", "info"].includes(a.severity)) {
        problems.add(`${p}.severity`, `\`${p}.severity\` (${show(a.severity)}) must be "critical", "warning" or "info".`);
      }
      const threshold = (a as BacklogAlertSettings).threshold;
      if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1)) {
        problems.add(`${p}.threshold`, `\`${p}.threshold\` (${show(threshold)}) must be a whole number of messages >= 1.`);
      }
    }
  }
  for (const [key, value] of Object.entries(m.labels ?? {})) {
    const p = `${prefix}.labels.${key}`;
    if (!QUALIFIED_KEY.test(key)) problems.add(p, `\`${prefix}.labels\` key ${show(key)} is not a valid Kubernetes label key. Use e.g. "release".`);
    else if (typeof value !== "string" || !isLabelValue(value)) problems.add(p, `\`${p}\` (${show(value)}) is not a valid Kubernetes label value (<= 63 characters: letters, digits, "-", "_", ".", starting and ending with a letter or digit).`);
  }
  for (const [key, value] of Object.entries(m.alertLabels ?? {})) {
    const p = `${prefix}.alertLabels.${key}`;
    if (!LABEL_NAME.test(key) || key.startsWith("__")) {
      problems.add(p, `\`${prefix}.alertLabels\` key ${show(key)} is not a valid Prometheus label name (letters, digits and "_", not starting with a digit or "__"). Rename it, e.g. ${show(key.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^(\d|__)/, "_$1").replace(/^_+/, ""))}.`);
    } else if ((RESERVED_ALERT_LABELS as readonly string[]).includes(key)) {
      problems.add(p, `\`${p}\` would replace the label ${show(key)} that switchyard sets on every alert. Set it through its own setting (${key === "severity" ? "`alerts.<name>.severity`" : key === "team" ? "the service's `team`" : "the service itself"}) or use another label name.`);
    } else if (typeof value !== "string") {
      problems.add(p, `\`${p}\` (${show(value)}) must be a string.`);
    }
  }
  if (m.runbookBaseUrl !== undefined && !/^https?:\/\/\S+$/.test(m.runbookBaseUrl)) {
    problems.add(`${prefix}.runbookBaseUrl`, `\`${prefix}.runbookBaseUrl\` (${show(m.runbookBaseUrl)}) must be an http(s) URL, e.g. "https://runbooks.example.com/switchyard".`);
  }
  return problems;
}
