/**
 * Every metric switchyard's alerts and dashboards read, with the exporter
 * that publishes it and where that exporter defines it. A test parses every
 * generated query and fails on any metric not listed here; the README lists
 * the same table. Pure data.
 */
export interface MetricSource {
  readonly exporter: string;
  /** Upstream file that defines the metric (repository and path). */
  readonly definedIn: string;
  readonly labels: readonly string[];
}

const KSM = "kube-state-metrics v2.20";
const ksm = (file: string) => `kubernetes/kube-state-metrics internal/store/${file}`;
const NATS = "prometheus-nats-exporter v0.20 (-jsz=all)";
const NATS_FILE = "nats-io/prometheus-nats-exporter collector/jsz.go";
const CONSUMER = ["stream_name", "consumer_name", "server_name", "account"];
const STREAM = ["stream_name", "server_name", "account"];
const KAFKA = "kafka_exporter v1.9 (Strimzi Kafka Exporter)";
const KAFKA_FILE = "danielqsj/kafka_exporter kafka_exporter.go";
const RABBIT = "rabbitmq_prometheus plugin, /metrics/per-object";
const RABBIT_FILE = "rabbitmq/rabbitmq-server deps/rabbitmq_prometheus/src/collectors/prometheus_rabbitmq_core_metrics_collector.erl";
const CADVISOR = "kubelet /metrics/cadvisor";
const CADVISOR_FILE = "kubernetes/kubernetes pkg/kubelet/server/server.go (containerPrometheusLabelsFunc)";

export const METRICS: Readonly<Record<string, MetricSource>> = {
  kube_deployment_spec_replicas: { exporter: KSM, definedIn: ksm("deployment.go"), labels: ["namespace", "deployment"] },
  kube_deployment_status_replicas_available: { exporter: KSM, definedIn: ksm("deployment.go"), labels: ["namespace", "deployment"] },
  kube_poddisruptionbudget_status_current_healthy: { exporter: KSM, definedIn: ksm("poddisruptionbudget.go"), labels: ["namespace", "poddisruptionbudget"] },
  kube_poddisruptionbudget_status_desired_healthy: { exporter: KSM, definedIn: ksm("poddisruptionbudget.go"), labels: ["namespace", "poddisruptionbudget"] },
  kube_horizontalpodautoscaler_spec_max_replicas: { exporter: KSM, definedIn: ksm("horizontalpodautoscaler.go"), labels: ["namespace", "horizontalpodautoscaler"] },
  kube_horizontalpodautoscaler_status_desired_replicas: { exporter: KSM, definedIn: ksm("horizontalpodautoscaler.go"), labels: ["namespace", "horizontalpodautoscaler"] },
  kube_pod_container_status_waiting_reason: { exporter: KSM, definedIn: ksm("pod.go"), labels: ["namespace", "pod", "container", "reason"] },
  kube_pod_container_resource_requests: { exporter: KSM, definedIn: ksm("pod.go"), labels: ["namespace", "pod", "container", "resource", "unit"] },
  container_cpu_usage_seconds_total: { exporter: CADVISOR, definedIn: CADVISOR_FILE, labels: ["namespace", "pod", "container"] },
  container_memory_working_set_bytes: { exporter: CADVISOR, definedIn: CADVISOR_FILE, labels: ["namespace", "pod", "container"] },
  jetstream_consumer_num_pending: { exporter: NATS, definedIn: NATS_FILE, labels: CONSUMER },
  jetstream_consumer_num_ack_pending: { exporter: NATS, definedIn: NATS_FILE, labels: CONSUMER },
  jetstream_consumer_num_redelivered: { exporter: NATS, definedIn: NATS_FILE, labels: CONSUMER },
  jetstream_consumer_delivered_consumer_seq: { exporter: NATS, definedIn: NATS_FILE, labels: CONSUMER },
  jetstream_consumer_ack_floor_stream_seq: { exporter: NATS, definedIn: NATS_FILE, labels: CONSUMER },
  jetstream_stream_total_messages: { exporter: NATS, definedIn: NATS_FILE, labels: STREAM },
  kafka_consumergroup_lag: { exporter: KAFKA, definedIn: KAFKA_FILE, labels: ["consumergroup", "topic", "partition"] },
  kafka_consumergroup_current_offset: { exporter: KAFKA, definedIn: KAFKA_FILE, labels: ["consumergroup", "topic", "partition"] },
  kafka_topic_partition_current_offset: { exporter: KAFKA, definedIn: KAFKA_FILE, labels: ["topic", "partition"] },
  kafka_topic_partition_oldest_offset: { exporter: KAFKA, definedIn: KAFKA_FILE, labels: ["topic", "partition"] },
  rabbitmq_queue_messages_ready: { exporter: RABBIT, definedIn: RABBIT_FILE, labels: ["vhost", "queue"] },
  rabbitmq_queue_messages_unacked: { exporter: RABBIT, definedIn: RABBIT_FILE, labels: ["vhost", "queue"] },
  ALERTS: { exporter: "Prometheus itself (one series per pending/firing alert)", definedIn: "prometheus/prometheus rules/alerting.go", labels: ["alertname", "alertstate", "<the alert's labels>"] },
};
