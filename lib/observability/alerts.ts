import type { Manifest } from "../model/workload-manifests";
import { type AlertKey, type ResolvedAlert, type ResolvedMonitoring } from "./monitoring";
import { brokerQueries } from "./broker-queries";
import { deploymentPods, selector } from "./promql";
import type { MonitoredSubscription, MonitoredWorkload } from "./targets";

/**
 * Alerts derived from what was declared about a service: its replica count
 * or autoscaler, its PodDisruptionBudget, and for event services its
 * subscriptions' scaling capacity and dead letters. Contract in, rules out;
 * every expression reads only metrics listed in `METRICS`. Pure.
 */

/** One Prometheus alerting rule, as in a rule file or a PrometheusRule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** Window in which a consumer with messages out for delivery must acknowledge at least one. */
export const ACK_WINDOW = "5m";

/** Alert names, by setting. */
export const ALERT_NAMES: Readonly<Record<AlertKey, string>> = {
  replicasUnavailable: "SwitchyardReplicasUnavailable",
  belowDisruptionFloor: "SwitchyardBelowDisruptionFloor",
  crashLooping: "SwitchyardCrashLooping",
  autoscalerAtMax: "SwitchyardAutoscalerAtMax",
  backlogAboveCapacity: "SwitchyardBacklogAboveCapacity",
  deadLetters: "SwitchyardDeadLetters",
  notAcknowledging: "SwitchyardNotAcknowledging",
};

/** First steps for each alert, carried in its `runbook` annotation. */
export const RUNBOOKS: Readonly<Record<AlertKey, string>> = {
  replicasUnavailable: "kubectl -n <namespace> describe deployment <deployment>; look for pods Pending (capacity, quota) or failing readiness, and at recent rollouts.",
  belowDisruptionFloor: "Fewer pods are healthy than the PodDisruptionBudget requires, so voluntary evictions are blocked and one more failure means an outage: check pods and nodes now, pause node drains.",
  crashLooping: "kubectl -n <namespace> logs <pod> --previous; check the last deploy, configuration and secrets, and the memory limit (OOMKilled).",
  autoscalerAtMax: "The autoscaler wants more replicas than maxReplicas allows: raise maxReplicas if the cluster has room, or find why load grew.",
  backlogAboveCapacity: "The backlog exceeds what maxReplicas x lagPerReplica can work off: check consumer errors and processing time, raise maxReplicas, or throttle publishers.",
  deadLetters: "Messages failed maxDeliveries times and were dead-lettered: read them from the dead-letter topic, fix the cause, then replay or discard them.",
  notAcknowledging: "Messages are delivered but none is acknowledged: the consumer is stuck, failing before ack, or slower than its ack wait; check its logs and ack handling.",
};

function alertName(key: AlertKey): string {
  return ALERT_NAMES[key];
}

/** `service` plus the FailoverGroup member, for titles. */
function who(w: MonitoredWorkload): string {
  return w.member ? `${w.service} (${w.member})` : w.service;
}

/** `namespace/deployment`, or the deployment alone when the namespace is the provider's default. */
function where(w: MonitoredWorkload): string {
  return w.namespace !== undefined ? `${w.namespace}/${w.deployment}` : w.deployment;
}

/** Every alert of one workload; empty when all are off. */
export function deriveAlerts(w: MonitoredWorkload, m: ResolvedMonitoring): AlertRule[] {
  const rules: AlertRule[] = [];
  const ns = w.namespace;
  const add = (key: AlertKey, expr: string, summary: string, description: string, extra: Record<string, string> = {}) => {
    const a: ResolvedAlert | undefined = m.alerts[key];
    if (!a) return;
    const name = alertName(key);
    rules.push({
      alert: name,
      expr,
      for: a.for,
      labels: {
        ...m.alertLabels,
        severity: a.severity,
        service: w.service,
        ...(w.member ? { member: w.member } : {}),
        ...(ns !== undefined ? { namespace: ns } : {}),
        ...(w.team ? { team: w.team } : {}),
        ...extra,
      },
      annotations: {
        summary,
        description,
        runbook: RUNBOOKS[key].replace(/<namespace>/g, ns ?? "<namespace>").replace(/<deployment>/g, w.deployment),
        ...(m.runbookBaseUrl ? { runbook_url: `${m.runbookBaseUrl}/${name}` } : {}),
      },
    });
  };

  const dep = { namespace: ns, deployment: w.deployment };
  add(
    "replicasUnavailable",
    `${selector("kube_deployment_status_replicas_available", dep)} < ${selector("kube_deployment_spec_replicas", dep)}`,
    `${who(w)}: replicas unavailable`,
    `Deployment ${where(w)} has {{ $value }} available replicas, fewer than desired, for ${m.alerts.replicasUnavailable?.for}.`,
  );
  if (w.disruptionBudget) {
    const pdb = { namespace: ns, poddisruptionbudget: w.disruptionBudget };
    add(
      "belowDisruptionFloor",
      `${selector("kube_poddisruptionbudget_status_current_healthy", pdb)} < ${selector("kube_poddisruptionbudget_status_desired_healthy", pdb)}`,
      `${who(w)}: below its disruption budget`,
      `Only {{ $value }} pods of ${where(w)} are healthy, below the floor of PodDisruptionBudget ${w.disruptionBudget}.`,
    );
  }
  add(
    "crashLooping",
    `max_over_time(${selector("kube_pod_container_status_waiting_reason", { namespace: ns, pod: deploymentPods(w.deployment), container: w.container, reason: "CrashLoopBackOff" })}[5m]) >= 1`,
    `${who(w)}: container crash-looping`,
    `Container ${w.container} of pod {{ $labels.pod }} (${where(w)}) is in CrashLoopBackOff.`,
  );
  if (w.autoscaler) {
    const hpa = { namespace: ns, horizontalpodautoscaler: w.autoscaler.name };
    add(
      "autoscalerAtMax",
      `${selector("kube_horizontalpodautoscaler_status_desired_replicas", hpa)} >= ${selector("kube_horizontalpodautoscaler_spec_max_replicas", hpa)}`,
      `${who(w)}: autoscaler at its maximum`,
      `${w.autoscaler.kind === "keda" ? "KEDA's HorizontalPodAutoscaler" : "HorizontalPodAutoscaler"} ${w.autoscaler.name} has wanted maxReplicas (${w.autoscaler.maxReplicas}) for ${m.alerts.autoscalerAtMax?.for}; load beyond it is not absorbed.`,
    );
  }
  for (const s of w.subscriptions ?? []) subscriptionAlerts(w, s, m, add);
  return rules;
}

type Add = (key: AlertKey, expr: string, summary: string, description: string, extra?: Record<string, string>) => void;

function subscriptionAlerts(w: MonitoredWorkload, s: MonitoredSubscription, m: ResolvedMonitoring, add: Add): void {
  const q = brokerQueries(s.broker);
  const sub = { subscription: s.durableName };
  const threshold = m.alerts.backlogAboveCapacity?.threshold ?? s.capacity;
  if (threshold !== undefined) {
    add(
      "backlogAboveCapacity",
      `${q.backlog(s)} > ${threshold}`,
      `${who(w)}: backlog above capacity on ${s.durableName}`,
      `{{ $value }} messages wait for ${s.durableName} on ${s.topic}, more than ${threshold}${s.capacity !== undefined && m.alerts.backlogAboveCapacity?.threshold === undefined ? " (lagPerReplica x maxReplicas)" : ""}.`,
      sub,
    );
  }
  const dead = s.deadLetter !== undefined ? q.deadLetters(s.deadLetter) : undefined;
  if (dead) {
    add(
      "deadLetters",
      `${dead} > 0`,
      `${who(w)}: dead letters in ${s.deadLetter}`,
      `{{ $value }} messages are in dead-letter destination ${s.deadLetter} (from ${s.durableName} on ${s.topic}).`,
      sub,
    );
  }
  add(
    "notAcknowledging",
    q.notAcknowledging(s, ACK_WINDOW),
    `${who(w)}: ${s.durableName} is not acknowledging`,
    `Messages of ${s.topic} are out for delivery to ${s.durableName}, but none was acknowledged within ${ACK_WINDOW}, for ${m.alerts.notAcknowledging?.for}.`,
    sub,
  );
}

/** The rule group of one workload (`switchyard-<service>[-<member>]`). */
export function buildRuleGroup(w: MonitoredWorkload, m: ResolvedMonitoring): RuleGroup {
  return { name: `switchyard-${w.service}${w.member ? `-${w.member}` : ""}`, rules: deriveAlerts(w, m) };
}

/** A `monitoring.coreos.com/v1` PrometheusRule holding the groups. */
export function buildPrometheusRule(groups: readonly RuleGroup[], meta: { readonly namespace?: string; readonly labels: Record<string, string>; readonly name?: string }): Manifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { ...(meta.name ? { name: meta.name } : {}), ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}), labels: { ...meta.labels } },
    spec: { groups: groups.filter((g) => g.rules.length).map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ ...r })) })) },
  };
}
