import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hasBrand } from "../components/brand";
import { brokerMeta } from "./broker-common";
import { BrokerComponent, type ClientAccess, type EventBroker, type GraphScoped, checkBrokerArgs, plainOr } from "./broker";
import type { BrokerInfo } from "./contract";
import { KAFKA_PORT, type KafkaBrokerArgs, buildKafka, buildKafkaNodePool, validateKafkaBroker } from "./kafka-manifests";

const TYPE = "switchyard:index:KafkaBroker";

export type KafkaBrokerComponentArgs = KafkaBrokerArgs & GraphScoped;

/**
 * Kafka through the Strimzi operator: a KRaft `Kafka` with one dual-role
 * `KafkaNodePool`, a SCRAM-SHA-512 listener and simple ACL authorization, or
 * an existing Strimzi cluster. Each service gets its own `KafkaUser`.
 * Requires the Strimzi cluster operator (1.x, `kafka.strimzi.io/v1`).
 */
export class KafkaBroker extends BrokerComponent implements EventBroker {
  readonly kind = "kafka" as const;
  override readonly info: BrokerInfo;
  override readonly namespace: pulumi.Output<string>;
  /** Bootstrap servers, `host:port`. */
  override readonly endpoint: pulumi.Output<string>;
  readonly clientAccess: ClientAccess;
  readonly kafka: { readonly clusterName: string };
  readonly cluster?: k8s.apiextensions.CustomResource;
  readonly nodePool?: k8s.apiextensions.CustomResource;

  static override isInstance(obj: unknown): obj is KafkaBroker {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: KafkaBrokerComponentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const graph = checkBrokerArgs(TYPE, name, validateKafkaBroker(args), "-kafka-bootstrap", args.graph);
    super(TYPE, name, graph, opts);
    const ex = args.existing;
    this.info = { kind: "kafka", logicalName: name, replicas: ex ? (ex.replicas ?? 3) : (args.replicas ?? 3) };
    const domain = "cluster.local";
    if (ex) {
      this.namespace = pulumi.output(ex.namespace);
      this.endpoint = pulumi.output(ex.bootstrapServers);
      this.kafka = { clusterName: ex.clusterName };
      this.clientAccess = { podSelector: { "strimzi.io/cluster": ex.clusterName, "strimzi.io/broker-role": "true" }, port: KAFKA_PORT };
    } else {
      const m = brokerMeta(name, "kafkabroker", args.namespace);
      this.cluster = new k8s.apiextensions.CustomResource(name, buildKafka(m, args) as k8s.apiextensions.CustomResourceArgs, { parent: this });
      this.nodePool = new k8s.apiextensions.CustomResource(`${name}-pool`, buildKafkaNodePool(m, args) as k8s.apiextensions.CustomResourceArgs, { parent: this });
      this.namespace = this.cluster.metadata.namespace;
      this.endpoint = pulumi.interpolate`${name}-kafka-bootstrap.${this.namespace}.svc:${KAFKA_PORT}`;
      this.kafka = { clusterName: name };
      this.clientAccess = { podSelector: { "strimzi.io/cluster": name, "strimzi.io/broker-role": "true" }, port: KAFKA_PORT };
    }
    this.finish("kafka", ex ? plainOr(ex.bootstrapServers, name) : `${name}-kafka-bootstrap.${plainOr(args.namespace, "<namespace>")}.svc.${domain}:${KAFKA_PORT}`, ex !== undefined);
  }
}
