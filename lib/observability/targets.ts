import type { BrokerKind } from "../events/contract";

/**
 * What monitoring knows about one deployed service: the names of its
 * Kubernetes objects and what was declared about it (autoscaling bounds,
 * subscriptions, dead letters). Alerts and dashboards are derived from it.
 * Pure data: the components fill it in once the names are known.
 */
export interface MonitoredWorkload {
  /** Component name (`switchyard.dev/service`). */
  readonly service: string;
  /** FailoverGroup member (cluster) this workload is, if any. */
  readonly member?: string;
  /** Owning team (`switchyard.dev/team`), routed on in alerts. */
  readonly team?: string;
  /** Undefined when the service goes to the provider's default namespace: queries then match by the (stack-unique) object names alone. */
  readonly namespace?: string;
  readonly deployment: string;
  /** The main container's name. */
  readonly container: string;
  /** PodDisruptionBudget name, when the service has one. */
  readonly disruptionBudget?: string;
  /** The HorizontalPodAutoscaler owning the replica count (KEDA creates one per ScaledObject). */
  readonly autoscaler?: { readonly kind: "hpa" | "keda"; readonly name: string; readonly minReplicas: number; readonly maxReplicas: number };
  /** Fixed replica count, when no autoscaler owns it. */
  readonly replicas?: number;
  /** Durable subscriptions of an event service. */
  readonly subscriptions?: readonly MonitoredSubscription[];
}

/** One durable subscription, by the names its broker's exporter reports. */
export interface MonitoredSubscription {
  readonly durableName: string;
  readonly broker: BrokerKind;
  /** NATS stream, Kafka topic, or RabbitMQ exchange of the subscribed topic. */
  readonly topic: string;
  /** NATS durable consumer, Kafka consumer group, or RabbitMQ queue. */
  readonly consumer: string;
  /** Backlog the service can work off at its maximum scale (`lagPerReplica` x `maxReplicas`), when it scales on this subscription. */
  readonly capacity?: number;
  /** Where failed messages go: NATS stream, Kafka topic, or RabbitMQ exchange of the dead-letter topic. */
  readonly deadLetter?: string;
}
