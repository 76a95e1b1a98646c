import type { Input } from "@pulumi/pulumi";
import type { NetworkPeerArgs } from "../model/workload-args";
import { type Manifest, peer } from "../model/workload-manifests";
import { Problems, show } from "../model/problems";
import { type BrokerMeta, brokerMetadata } from "./broker-common";
import type { TopicSpec } from "./contract";
import { toBytes } from "./durations";
import { DEFAULT_CONTROLLER_PEERS } from "./nats-manifests";

/** A Kafka cluster managed by a Strimzi operator that this stack does not create. */
export interface ExistingKafkaArgs {
  /** Bootstrap address clients use, e.g. `events-kafka-bootstrap.kafka:9092`. */
  readonly bootstrapServers: Input<string>;
  /** Name of the Strimzi `Kafka` resource: topics and users carry it as `strimzi.io/cluster`. */
  readonly clusterName: string;
  /** Namespace of that `Kafka` resource (its operators watch it). */
  readonly namespace: Input<string>;
  /** Brokers of that cluster, for topic replica checks. @default 3 */
  readonly replicas?: number;
}

/** Kafka through the Strimzi operator: a KRaft cluster run by this stack, or an existing one. */
export interface KafkaBrokerArgs {
  /** Use an existing Strimzi-managed cluster. @default - create `Kafka` + `KafkaNodePool` */
  readonly existing?: ExistingKafkaArgs;
  /**
   * Nodes of the dual-role (controller and broker) KRaft node pool.
   * @default 3
   * @see https://strimzi.io/docs/operators/latest/deploying#assembly-kraft-mode-str
   */
  readonly replicas?: number;
  /** Kafka version. @default - the operator's default */
  readonly version?: string;
  /** Persistent storage per node. @default { size: "20Gi" } */
  readonly storage?: { readonly size?: string; readonly storageClassName?: string };
  /**
   * Peers the listener's NetworkPolicy admits besides the stack's services.
   * @default [{ namespace: "keda" }, { namespace: "nack" }]
   */
  readonly allowFrom?: readonly NetworkPeerArgs[];
  /** @default - the provider's namespace */
  readonly namespace?: Input<string>;
}

export const KAFKA_PORT = 9092;
export const KAFKA_SASL_MECHANISM = "SCRAM-SHA-512";

export function validateKafkaBroker(a: KafkaBrokerArgs): Problems {
  const problems = new Problems();
  if (a.existing) {
    for (const key of ["replicas", "version", "storage"] as const) {
      if (a[key] !== undefined) problems.add(key, `\`${key}\` only applies to a cluster run by this stack, but \`existing\` is set. Remove \`${key}\`.`);
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(a.existing.clusterName)) {
      problems.add("existing.clusterName", `\`existing.clusterName\` (${show(a.existing.clusterName)}) must be the name of a Strimzi \`Kafka\` resource (a DNS-1123 label).`);
    }
    return problems;
  }
  if (a.replicas !== undefined && (!Number.isInteger(a.replicas) || a.replicas < 1 || a.replicas > 9)) {
    problems.add("replicas", `\`replicas\` (${show(a.replicas)}) must be a whole number from 1 to 9.`);
  } else if (a.replicas === 2 || a.replicas === 4) {
    problems.add("replicas", `\`replicas\` (${a.replicas}) must be odd: the KRaft controllers run on every node and need a majority. Use ${a.replicas + 1}.`);
  }
  if (a.storage?.size !== undefined && !toBytes(a.storage.size)) {
    problems.add("storage.size", `\`storage.size\` (${show(a.storage.size)}) must be a Kubernetes quantity such as "20Gi".`);
  }
  return problems;
}

/** Strimzi `Kafka` (KRaft, node pools) with a SCRAM-SHA-512 internal listener and simple authorization. */
export function buildKafka(m: BrokerMeta, a: KafkaBrokerArgs): Manifest {
  const replicas = a.replicas ?? 3;
  const rf = Math.min(3, replicas);
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "Kafka",
    metadata: { ...brokerMetadata(m, m.name), annotations: { "strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled" } },
    spec: {
      kafka: {
        ...(a.version !== undefined ? { version: a.version } : {}),
        listeners: [
          {
            name: "plain",
            port: KAFKA_PORT,
            type: "internal",
            tls: false,
            authentication: { type: "scram-sha-512" },
            networkPolicyPeers: (a.allowFrom ?? DEFAULT_CONTROLLER_PEERS).map(peer),
          },
        ],
        authorization: { type: "simple" },
        config: {
          "offsets.topic.replication.factor": rf,
          "transaction.state.log.replication.factor": rf,
          "transaction.state.log.min.isr": Math.max(1, rf - 1),
          "default.replication.factor": rf,
          "min.insync.replicas": Math.max(1, rf - 1),
          "auto.create.topics.enable": false,
        },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  };
}

export function buildKafkaNodePool(m: BrokerMeta, a: KafkaBrokerArgs): Manifest {
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaNodePool",
    metadata: brokerMetadata(m, `${m.name}-pool`, { "strimzi.io/cluster": m.name }),
    spec: {
      replicas: a.replicas ?? 3,
      roles: ["controller", "broker"],
      storage: {
        type: "jbod",
        volumes: [
          {
            id: 0,
            type: "persistent-claim",
            size: a.storage?.size ?? "20Gi",
            ...(a.storage?.storageClassName !== undefined ? { class: a.storage.storageClassName } : {}),
            deleteClaim: false,
            kraftMetadata: "shared",
          },
        ],
      },
    },
  };
}

/** Strimzi `KafkaTopic`; `spec.topicName` holds the Kafka name (it may contain "." and "_"). */
export function buildKafkaTopic(m: BrokerMeta, cluster: string, t: Pick<TopicSpec, "name" | "partitions" | "replicas">, config: Record<string, unknown>): Manifest {
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaTopic",
    metadata: brokerMetadata(m, undefined, { "strimzi.io/cluster": cluster }),
    spec: { topicName: t.name, partitions: t.partitions ?? 1, replicas: t.replicas, config },
  };
}

export interface KafkaAccess {
  readonly readTopics: readonly string[];
  readonly writeTopics: readonly string[];
  readonly groups: readonly string[];
}

/** Strimzi `KafkaUser` with SCRAM-SHA-512 (password from our Secret) and exactly the ACLs its service needs. */
export function buildKafkaUser(m: BrokerMeta, cluster: string, access: KafkaAccess, passwordSecret: Input<string>, passwordKey: string): Manifest {
  const topic = (name: string, operations: string[]) => ({ type: "allow", resource: { type: "topic", name, patternType: "literal" }, operations, host: "*" });
  const read = [...new Set(access.readTopics)].sort();
  const write = [...new Set(access.writeTopics)].sort();
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaUser",
    metadata: brokerMetadata(m, undefined, { "strimzi.io/cluster": cluster }),
    spec: {
      authentication: { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: passwordSecret, key: passwordKey } } } },
      authorization: {
        type: "simple",
        acls: [
          ...read.map((n) => topic(n, ["Read", "Describe"])),
          ...write.map((n) => topic(n, ["Write", "Describe"])),
          ...[...new Set(access.groups)].sort().map((name) => ({
            type: "allow",
            resource: { type: "group", name, patternType: "literal" },
            operations: ["Read", "Describe"],
            host: "*",
          })),
        ],
      },
    },
  };
}
