/**
 * The Prometheus alerts of one service, written out as the benchmark's
 * hand-written programs would: the rules switchyard derives by default
 * (availability, disruption budget, crash loops, autoscaler ceiling, and for a
 * NATS consumer its backlog, dead letters and acknowledgements). Plain data.
 */

type Obj = Record<string, any>;

export interface AlertFacts {
  readonly name: string;
  /** Names of the service's Deployment and PodDisruptionBudget. */
  readonly deployment: string;
  readonly pdb: string;
  readonly team: string;
  readonly namespace: string;
  readonly autoscaler?: { readonly hpa: string; readonly max: number; readonly keda?: boolean };
  readonly subscription?: { readonly durable: string; readonly topic: string; readonly capacity?: number; readonly deadLetter?: string };
}

/** The Prometheus alerts of one service: availability, disruption budget, crash loops, autoscaler ceiling, consumer health. */
export function alertRules(f: AlertFacts): Obj[] {
  const dep = f.deployment;
  const pdb = f.pdb;
  const at = `${f.namespace}/${dep}`;
  const ns = `namespace="${f.namespace}"`;
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string, description: string, runbook: string, extra: Obj = {}) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity, service: f.name, namespace: f.namespace, team: f.team, ...extra },
    annotations: { summary, description, runbook },
  });
  const rules = [
    rule(
      "SwitchyardReplicasUnavailable",
      `kube_deployment_status_replicas_available{${ns},deployment="${dep}"} < kube_deployment_spec_replicas{${ns},deployment="${dep}"}`,
      "15m",
      "warning",
      `${f.name}: replicas unavailable`,
      `Deployment ${at} has {{ $value }} available replicas, fewer than desired, for 15m.`,
      `kubectl -n ${f.namespace} describe deployment ${dep}; look for pods Pending (capacity, quota) or failing readiness, and at recent rollouts.`,
    ),
    rule(
      "SwitchyardBelowDisruptionFloor",
      `kube_poddisruptionbudget_status_current_healthy{${ns},poddisruptionbudget="${pdb}"} < kube_poddisruptionbudget_status_desired_healthy{${ns},poddisruptionbudget="${pdb}"}`,
      "5m",
      "critical",
      `${f.name}: below its disruption budget`,
      `Only {{ $value }} pods of ${at} are healthy, below the floor of PodDisruptionBudget ${pdb}.`,
      "Fewer pods are healthy than the PodDisruptionBudget requires, so voluntary evictions are blocked and one more failure means an outage: check pods and nodes now, pause node drains.",
    ),
    rule(
      "SwitchyardCrashLooping",
      `max_over_time(kube_pod_container_status_waiting_reason{${ns},pod=~"${dep}-[a-z0-9]+-[a-z0-9]+",container="${f.name}",reason="CrashLoopBackOff"}[5m]) >= 1`,
      "5m",
      "warning",
      `${f.name}: container crash-looping`,
      `Container ${f.name} of pod {{ $labels.pod }} (${at}) is in CrashLoopBackOff.`,
      `kubectl -n ${f.namespace} logs <pod> --previous; check the last deploy, configuration and secrets, and the memory limit (OOMKilled).`,
    ),
  ];
  const a = f.autoscaler;
  if (a) {
    rules.push(
      rule(
        "SwitchyardAutoscalerAtMax",
        `kube_horizontalpodautoscaler_status_desired_replicas{${ns},horizontalpodautoscaler="${a.hpa}"} >= kube_horizontalpodautoscaler_spec_max_replicas{${ns},horizontalpodautoscaler="${a.hpa}"}`,
        "15m",
        "warning",
        `${f.name}: autoscaler at its maximum`,
        `${a.keda ? "KEDA's HorizontalPodAutoscaler" : "HorizontalPodAutoscaler"} ${a.hpa} has wanted maxReplicas (${a.max}) for 15m; load beyond it is not absorbed.`,
        "The autoscaler wants more replicas than maxReplicas allows: raise maxReplicas if the cluster has room, or find why load grew.",
      ),
    );
  }
  const sub = f.subscription;
  if (sub) {
    const consumer = `stream_name="${sub.topic}",consumer_name="${sub.durable}"`;
    const extra = { subscription: sub.durable };
    if (sub.capacity !== undefined) {
      rules.push(
        rule(
          "SwitchyardBacklogAboveCapacity",
          `max(jetstream_consumer_num_pending{${consumer}}) > ${sub.capacity}`,
          "10m",
          "critical",
          `${f.name}: backlog above capacity on ${sub.durable}`,
          `{{ $value }} messages wait for ${sub.durable} on ${sub.topic}, more than ${sub.capacity} (lagPerReplica x maxReplicas).`,
          "The backlog exceeds what maxReplicas x lagPerReplica can work off: check consumer errors and processing time, raise maxReplicas, or throttle publishers.",
          extra,
        ),
      );
    }
    if (sub.deadLetter !== undefined) {
      rules.push(
        rule(
          "SwitchyardDeadLetters",
          `max(jetstream_stream_total_messages{stream_name="${sub.deadLetter}"}) > 0`,
          "1m",
          "warning",
          `${f.name}: dead letters in ${sub.deadLetter}`,
          `{{ $value }} messages are in dead-letter destination ${sub.deadLetter} (from ${sub.durable} on ${sub.topic}).`,
          "Messages failed maxDeliveries times and were dead-lettered: read them from the dead-letter topic, fix the cause, then replay or discard them.",
          extra,
        ),
      );
    }
    rules.push(
      rule(
        "SwitchyardNotAcknowledging",
        `max(jetstream_consumer_num_ack_pending{${consumer}}) > 0 and max(changes(jetstream_consumer_ack_floor_stream_seq{${consumer}}[5m])) == 0`,
        "10m",
        "critical",
        `${f.name}: ${sub.durable} is not acknowledging`,
        `Messages of ${sub.topic} are out for delivery to ${sub.durable}, but none was acknowledged within 5m, for 10m.`,
        "Messages are delivered but none is acknowledged: the consumer is stuck, failing before ack, or slower than its ack wait; check its logs and ack handling.",
        extra,
      ),
    );
  }
  return rules;
}
