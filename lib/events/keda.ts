import type { Input } from "@pulumi/pulumi";
import type { Manifest } from "../model/workload-manifests";
import { Problems, show } from "../model/problems";
import type { TopicSpec } from "./contract";

/**
 * Lag-driven autoscaling through a KEDA `ScaledObject`: replicas =
 * ceil(backlog / lagPerReplica), between `minReplicas` (0 allowed) and
 * `maxReplicas`. KEDA owns `spec.replicas` of the Deployment. Pure.
 * @see https://keda.sh/docs/latest/reference/scaledobject-spec/
 */
export interface EventScalingArgs {
  /** Durable name of the subscription whose backlog drives scaling. @default - the service's first subscription */
  readonly subscription?: string;
  /** Backlog one replica is expected to work off (KEDA `lagThreshold` / `value`). @default 100 */
  readonly lagPerReplica?: number;
  /** `0` scales to zero when there is no backlog. @default 0 */
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  /** Backlog above which a service at zero replicas wakes up. @default 0 (any message) */
  readonly activationLag?: number;
  /** Seconds without backlog before scaling to zero. @default 300 */
  readonly cooldownSeconds?: number;
  /** Seconds between two looks at the backlog. @default 30 */
  readonly pollingIntervalSeconds?: number;
  /**
   * Replicas to run when the backlog cannot be read (broker unreachable) for
   * `failureThreshold` polls; `false` keeps the last count.
   * @default { replicas: max(1, minReplicas), failureThreshold: 3 }
   */
  readonly fallback?: { readonly replicas: number; readonly failureThreshold?: number } | false;
}

export interface ResolvedScaling {
  readonly subscription: string;
  readonly lagPerReplica: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly activationLag: number;
  readonly cooldownSeconds: number;
  readonly pollingIntervalSeconds: number;
  readonly fallback?: { readonly replicas: number; readonly failureThreshold: number };
}

/** A subscription the service owns, as scaling sees it. */
export interface ScalableSubscription {
  readonly durableName: string;
  readonly topic: TopicSpec;
  readonly ordered: boolean;
}

export function resolveScaling(a: EventScalingArgs, subscriptions: readonly ScalableSubscription[]): ResolvedScaling {
  const minReplicas = a.minReplicas ?? 0;
  return {
    subscription: a.subscription ?? subscriptions[0]?.durableName ?? "",
    lagPerReplica: a.lagPerReplica ?? 100,
    minReplicas,
    maxReplicas: a.maxReplicas,
    activationLag: a.activationLag ?? 0,
    cooldownSeconds: a.cooldownSeconds ?? 300,
    pollingIntervalSeconds: a.pollingIntervalSeconds ?? 30,
    ...(a.fallback === false
      ? {}
      : { fallback: { replicas: a.fallback?.replicas ?? Math.max(1, minReplicas), failureThreshold: a.fallback?.failureThreshold ?? 3 } }),
  };
}

function whole(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min;
}

/**
 * The KEDA traps: min above max, scaling on a consumer that does not exist,
 * Kafka replicas beyond the partitions (they would idle), lag that cannot be
 * read (no monitoring endpoint).
 */
export function validateScaling(
  a: EventScalingArgs,
  subscriptions: readonly ScalableSubscription[],
  opts: { readonly lagReadable: boolean; readonly brokerName: string; readonly minAvailable?: number | string },
  prefix = "scaling",
): Problems {
  const problems = new Problems();
  const p = (s: string) => `${prefix}.${s}`;
  const r = resolveScaling(a, subscriptions);
  if (!whole(r.minReplicas, 0)) {
    problems.add(p("minReplicas"), `\`${p("minReplicas")}\` (${show(r.minReplicas)}) must be a whole number >= 0 (0 scales to zero).`);
  }
  if (!whole(r.maxReplicas, 1)) {
    problems.add(p("maxReplicas"), `\`${p("maxReplicas")}\` (${show(r.maxReplicas)}) must be a whole number >= 1. Set it to the most replicas you allow.`);
  } else if (whole(r.minReplicas, 0) && r.maxReplicas < r.minReplicas) {
    problems.add(p("maxReplicas"), `\`${p("maxReplicas")}\` (${r.maxReplicas}) must be >= \`${p("minReplicas")}\` (${r.minReplicas}). Set \`${p("maxReplicas")}\` to ${r.minReplicas} or more.`);
  }
  if (!whole(r.lagPerReplica, 1)) {
    problems.add(p("lagPerReplica"), `\`${p("lagPerReplica")}\` (${show(r.lagPerReplica)}) must be a whole number >= 1: the backlog one replica works off.`);
  }
  if (!whole(r.activationLag, 0)) {
    problems.add(p("activationLag"), `\`${p("activationLag")}\` (${show(r.activationLag)}) must be a whole number >= 0.`);
  }
  if (!whole(r.cooldownSeconds, 0)) {
    problems.add(p("cooldownSeconds"), `\`${p("cooldownSeconds")}\` (${show(r.cooldownSeconds)}) must be a whole number of seconds >= 0.`);
  }
  if (!whole(r.pollingIntervalSeconds, 1)) {
    problems.add(p("pollingIntervalSeconds"), `\`${p("pollingIntervalSeconds")}\` (${show(r.pollingIntervalSeconds)}) must be a whole number of seconds >= 1.`);
  }
  if (r.fallback && a.fallback) {
    if (!whole(r.fallback.replicas, 0) || (whole(r.maxReplicas, 1) && r.fallback.replicas > r.maxReplicas)) {
      problems.add(p("fallback.replicas"), `\`${p("fallback.replicas")}\` (${show(r.fallback.replicas)}) must be a whole number from 0 to \`${p("maxReplicas")}\` (${show(r.maxReplicas)}).`);
    }
    if (!whole(r.fallback.failureThreshold, 1)) {
      problems.add(p("fallback.failureThreshold"), `\`${p("fallback.failureThreshold")}\` (${show(r.fallback.failureThreshold)}) must be a whole number >= 1.`);
    }
  }
  if (subscriptions.length === 0) {
    problems.add(prefix, `\`${prefix}\` scales on a subscription's backlog, but the service has no \`subscribes\`. Add a subscription, or remove \`${prefix}\` and set \`replicas\`.`);
    return problems;
  }
  const sub = subscriptions.find((s) => s.durableName === r.subscription);
  if (!sub) {
    const names = subscriptions.map((s) => show(s.durableName)).join(", ");
    problems.add(p("subscription"), `\`${p("subscription")}\` (${show(r.subscription)}) names no consumer of this service (its durable names: ${names}); KEDA would read the lag of a consumer that does not exist and never scale. Use one of those names.`);
    return problems;
  }
  const partitions = sub.topic.partitions;
  if (sub.topic.broker.kind === "kafka" && partitions !== undefined && whole(r.maxReplicas, 1) && r.maxReplicas > partitions) {
    problems.add(p("maxReplicas"), `\`${p("maxReplicas")}\` (${r.maxReplicas}) exceeds the ${partitions} partitions of Kafka topic ${show(sub.topic.logicalName)}: a consumer group never gives a partition to two consumers, so replicas beyond ${partitions} would idle (and KEDA caps the count at the partitions). Set \`${p("maxReplicas")}\` to ${partitions}, or raise the topic's \`partitions\`.`);
  }
  if (!opts.lagReadable) {
    problems.add(prefix, `\`${prefix}\` needs the backlog of broker ${show(opts.brokerName)}, but that existing NATS server has no \`existing.monitoringEndpoint\`, so KEDA could not read it. Set \`existing.monitoringEndpoint\` (e.g. "nats.messaging:8222").`);
  }
  if (r.minReplicas === 0 && opts.minAvailable !== undefined) {
    problems.add("disruptionBudget.minAvailable", `\`disruptionBudget.minAvailable\` (${show(opts.minAvailable)}) would block every node drain while KEDA runs the service at few replicas (it scales down to 0). Use \`maxUnavailable\` (the default, 1) instead.`);
  }
  return problems;
}

/** Where KEDA reads the backlog of the scaled subscription. */
export type LagSource =
  | { readonly kind: "nats"; readonly monitoringEndpoint: Input<string>; readonly stream: string; readonly consumer: string }
  | { readonly kind: "kafka"; readonly bootstrapServers: Input<string>; readonly topic: string; readonly group: string; readonly startAt: "all" | "new" }
  | { readonly kind: "rabbitmq"; readonly queue: string };

/** Keys of the service's events Secret that a TriggerAuthentication reads. */
export const KEDA_SECRET_KEYS = { sasl: "keda-sasl", tls: "keda-tls", host: "keda-host" } as const;

export function buildTrigger(r: ResolvedScaling, source: LagSource, authName?: Input<string>): Manifest {
  const auth = authName !== undefined ? { authenticationRef: { name: authName, kind: "TriggerAuthentication" } } : {};
  const lag = { lagThreshold: String(r.lagPerReplica), activationLagThreshold: String(r.activationLag) };
  switch (source.kind) {
    case "nats":
      return {
        type: "nats-jetstream",
        name: source.consumer,
        metadata: { natsServerMonitoringEndpoint: source.monitoringEndpoint, account: "$G", stream: source.stream, consumer: source.consumer, ...lag },
        ...auth,
      };
    case "kafka":
      return {
        type: "kafka",
        name: source.group,
        metadata: {
          bootstrapServers: source.bootstrapServers,
          consumerGroup: source.group,
          topic: source.topic,
          ...lag,
          offsetResetPolicy: source.startAt === "all" ? "earliest" : "latest",
          allowIdleConsumers: "false",
        },
        ...auth,
      };
    case "rabbitmq":
      return {
        type: "rabbitmq",
        name: source.queue,
        metadata: { protocol: "amqp", queueName: source.queue, mode: "QueueLength", value: String(r.lagPerReplica), activationValue: String(r.activationLag) },
        ...auth,
      };
  }
}

export function buildScaledObject(
  r: ResolvedScaling,
  target: { readonly deploymentName: Input<string>; readonly namespace?: Input<string>; readonly labels: Record<string, string> },
  trigger: Manifest,
): Manifest {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), labels: { ...target.labels } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target.deploymentName },
      minReplicaCount: r.minReplicas,
      maxReplicaCount: r.maxReplicas,
      pollingInterval: r.pollingIntervalSeconds,
      cooldownPeriod: r.cooldownSeconds,
      ...(r.fallback ? { fallback: { failureThreshold: r.fallback.failureThreshold, replicas: r.fallback.replicas } } : {}),
      triggers: [trigger],
    },
  };
}

/** TriggerAuthentication reading the service's events Secret (same namespace as the ScaledObject). */
export function buildTriggerAuthentication(
  kind: "kafka" | "rabbitmq",
  secretName: Input<string>,
  keys: { readonly username: string; readonly password: string },
  target: { readonly namespace?: Input<string>; readonly labels: Record<string, string> },
): Manifest {
  const ref = (parameter: string, key: string) => ({ parameter, name: secretName, key });
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: { ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), labels: { ...target.labels } },
    spec: {
      secretTargetRef:
        kind === "kafka"
          ? [ref("sasl", KEDA_SECRET_KEYS.sasl), ref("username", keys.username), ref("password", keys.password), ref("tls", KEDA_SECRET_KEYS.tls)]
          : [ref("host", KEDA_SECRET_KEYS.host)],
    },
  };
}
