import type { Input } from "@pulumi/pulumi";
import type { NetworkPeerArgs } from "../model/workload-args";
import { type Manifest, peer } from "../model/workload-manifests";
import { Problems, show } from "../model/problems";
import { type BrokerMeta, brokerMetadata, isOneOf } from "./broker-common";
import { toBytes } from "./durations";
import type { BrokerCredentialsArgs } from "./nats-manifests";

/** A RabbitMQ server this stack does not run (the topology operator reaches it through a connection Secret). */
export interface ExistingRabbitMqArgs {
  /** Management API URL the topology operator uses, e.g. `http://rabbit.messaging:15672`. */
  readonly managementUrl: Input<string>;
  /** AMQP host and port clients use, e.g. `rabbit.messaging:5672`. */
  readonly amqpHost: Input<string>;
  /** Administrator credentials for the topology operator. */
  readonly credentials: BrokerCredentialsArgs;
  /** Nodes of that cluster, for topic replica checks. @default 1 */
  readonly replicas?: number;
}

/** RabbitMQ through its operators: a `RabbitmqCluster` run by this stack, or an existing server. */
export interface RabbitMqBrokerArgs {
  readonly existing?: ExistingRabbitMqArgs;
  /**
   * Nodes (quorum queues need an odd number).
   * @default 3
   * @see https://www.rabbitmq.com/docs/quorum-queues
   */
  readonly replicas?: 1 | 3 | 5;
  /** @default - the operator's default image */
  readonly image?: string;
  /** @default { size: "10Gi" } */
  readonly storage?: { readonly size?: string; readonly storageClassName?: string };
  /** Virtual host of every exchange, queue and permission. @default "/" */
  readonly vhost?: string;
  /**
   * Peers admitted to AMQP and management besides the stack's services.
   * @default [{ namespace: "keda" }, { namespace: "rabbitmq-system" }] (KEDA reads queue length, the topology operator manages objects)
   */
  readonly allowFrom?: readonly NetworkPeerArgs[];
  /** @default - the provider's namespace */
  readonly namespace?: Input<string>;
}

export const AMQP_PORT = 5672;
export const RABBIT_DEFAULT_PEERS: readonly NetworkPeerArgs[] = [{ namespace: "keda" }, { namespace: "rabbitmq-system" }];

export function validateRabbitMqBroker(a: RabbitMqBrokerArgs): Problems {
  const problems = new Problems();
  if (a.existing) {
    for (const key of ["replicas", "image", "storage"] as const) {
      if (a[key] !== undefined) problems.add(key, `\`${key}\` only applies to a server run by this stack, but \`existing\` is set. Remove \`${key}\`.`);
    }
  } else {
    if (a.replicas !== undefined && !isOneOf(a.replicas, [1, 3, 5])) {
      problems.add("replicas", `\`replicas\` (${show(a.replicas)}) must be 1, 3 or 5: quorum queues need a majority of an odd number of nodes. Use 3.`);
    }
    if (a.storage?.size !== undefined && !toBytes(a.storage.size)) {
      problems.add("storage.size", `\`storage.size\` (${show(a.storage.size)}) must be a Kubernetes quantity such as "10Gi".`);
    }
  }
  if (a.vhost !== undefined && (a.vhost === "" || a.vhost.length > 255)) {
    problems.add("vhost", `\`vhost\` (${show(a.vhost)}) must be 1-255 characters, e.g. "/".`);
  }
  return problems;
}

export function buildRabbitmqCluster(m: BrokerMeta, a: RabbitMqBrokerArgs): Manifest {
  return {
    apiVersion: "rabbitmq.com/v1beta1",
    kind: "RabbitmqCluster",
    metadata: brokerMetadata(m, m.name),
    spec: {
      replicas: a.replicas ?? 3,
      ...(a.image !== undefined ? { image: a.image } : {}),
      persistence: {
        storage: a.storage?.size ?? "10Gi",
        ...(a.storage?.storageClassName !== undefined ? { storageClassName: a.storage.storageClassName } : {}),
      },
      rabbitmq: { additionalConfig: "default_queue_type = quorum\n" },
    },
  };
}

/** Pods of a RabbitmqCluster carry `app.kubernetes.io/name: <cluster>`. */
export function rabbitPodSelector(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name };
}

export function buildRabbitPolicy(m: BrokerMeta, allowFrom: readonly NetworkPeerArgs[]): Manifest {
  const pods = rabbitPodSelector(m.name);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: brokerMetadata(m),
    spec: {
      podSelector: { matchLabels: pods },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ podSelector: { matchLabels: pods } }] },
        ...(allowFrom.length
          ? [{ from: allowFrom.map(peer), ports: [AMQP_PORT, 15672, 15692].map((port) => ({ protocol: "TCP", port })) }]
          : []),
      ],
    },
  };
}

/** How topology objects find their server: the cluster resource, or a connection Secret. */
export type RabbitClusterReference = { readonly name: Input<string>; readonly namespace?: Input<string> } | { readonly connectionSecret: { readonly name: Input<string> } };

/** A messaging-topology-operator object (`Exchange`, `Queue`, `Binding`, `Policy`, `User`, `Permission`). */
export function buildRabbitObject(kind: string, m: BrokerMeta, ref: RabbitClusterReference, spec: Record<string, unknown>): Manifest {
  return {
    apiVersion: "rabbitmq.com/v1beta1",
    kind,
    metadata: brokerMetadata(m),
    spec: { ...spec, rabbitmqClusterReference: ref },
  };
}

/** Permission regexes: configure nothing, write the published exchanges, read the subscribed queues. */
export function rabbitPermissions(writeExchanges: readonly string[], readQueues: readonly string[]): { configure: string; write: string; read: string } {
  const alt = (names: readonly string[]) => (names.length ? `^(${[...new Set(names)].sort().map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$` : "^$");
  return { configure: "^$", write: alt(writeExchanges), read: alt(readQueues) };
}
