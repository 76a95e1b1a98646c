import type { Input } from "@pulumi/pulumi";
import type { NetworkPeerArgs } from "../model/workload-args";
import { type Manifest, HOSTNAME_KEY, ZONE_KEY, peer } from "../model/workload-manifests";
import { Problems, show } from "../model/problems";
import { type BrokerMeta, brokerMetadata, isOneOf } from "./broker-common";
import { toBytes } from "./durations";

/** Credentials a client uses; values may be secrets. */
export interface BrokerCredentialsArgs {
  readonly username: Input<string>;
  readonly password: Input<string>;
}

/** A NATS server this stack does not run. */
export interface ExistingNatsArgs {
  /** Client URL without credentials, e.g. `nats://nats.messaging:4222`. */
  readonly url: Input<string>;
  /** Monitoring endpoint (host:port) KEDA reads lag from, e.g. `nats.messaging:8222`. @default - none (no lag scaling) */
  readonly monitoringEndpoint?: Input<string>;
  /** @default - none (the server needs no authentication) */
  readonly credentials?: BrokerCredentialsArgs;
  /** Nodes of that cluster, for topic replica checks. @default 1 */
  readonly replicas?: number;
}

/** A NATS JetStream server: run in the cluster, or an existing one. */
export interface NatsJetStreamArgs {
  /** Bind to an existing server instead of running one. @default - run one in the cluster */
  readonly existing?: ExistingNatsArgs;
  /**
   * Servers (a JetStream RAFT cluster needs an odd number).
   * @default 3
   * @see https://docs.nats.io/running-a-nats-service/configuration/clustering/jetstream_clustering
   */
  readonly replicas?: 1 | 3 | 5;
  /** @default "nats:2.11.9-alpine" */
  readonly image?: Input<string>;
  /** JetStream file storage per server. @default { size: "10Gi" } */
  readonly storage?: { readonly size?: string; readonly storageClassName?: Input<string> };
  /** @default - requests 100m CPU / 256Mi, memory limit 1Gi */
  readonly resources?: { readonly cpuRequest?: Input<string>; readonly memoryRequest?: Input<string>; readonly memoryLimit?: Input<string> };
  /** Client credentials. @default - user "switchyard" with a generated password kept in state as a secret */
  readonly credentials?: BrokerCredentialsArgs;
  /** @default - the provider's namespace */
  readonly namespace?: Input<string>;
  /**
   * Peers admitted to the client and monitoring ports besides the stack's
   * services (each EventService opens its own path).
   * @default [{ namespace: "keda" }, { namespace: "nack" }] (KEDA reads lag, NACK manages streams)
   */
  readonly allowFrom?: readonly NetworkPeerArgs[];
  /** `false` creates no NetworkPolicy. @default true */
  readonly networkPolicy?: boolean;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
  /**
   * Node labels the servers' pods must match (e.g. dedicated broker nodes).
   * @default - any node
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
   */
  readonly nodeSelector?: Record<string, Input<string>>;
  /**
   * Taints the servers' pods tolerate.
   * @default - none
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
   */
  readonly tolerations?: readonly Record<string, Input<string | number>>[];
}

export const NATS_IMAGE = "nats:2.11.9-alpine";
export const NATS_PORTS = { client: 4222, cluster: 6222, monitor: 8222 } as const;
export const NATS_DEFAULT_USER = "switchyard";
export const DEFAULT_CONTROLLER_PEERS: readonly NetworkPeerArgs[] = [{ namespace: "keda" }, { namespace: "nack" }];
/** Keys of the broker credentials Secret (NACK `Account.spec.user` reads `user`/`password`). */
export const CREDENTIAL_KEYS = { user: "user", password: "password" } as const;

export function validateNatsJetStream(a: NatsJetStreamArgs): Problems {
  const problems = new Problems();
  if (a.existing) {
    for (const key of ["replicas", "image", "storage", "resources", "credentials"] as const) {
      if (a[key] !== undefined) {
        problems.add(key, `\`${key}\` only applies to a server run by this stack, but \`existing\` is set. Remove \`${key}\`${key === "credentials" ? " (use `existing.credentials`)" : ""}.`);
      }
    }
    if (a.existing.replicas !== undefined && (!Number.isInteger(a.existing.replicas) || a.existing.replicas < 1)) {
      problems.add("existing.replicas", `\`existing.replicas\` (${show(a.existing.replicas)}) must be a whole number >= 1.`);
    }
    return problems;
  }
  if (a.replicas !== undefined && !isOneOf(a.replicas, [1, 3, 5])) {
    problems.add("replicas", `\`replicas\` (${show(a.replicas)}) must be 1, 3 or 5: JetStream replicates through RAFT, which needs an odd number of servers. Use 3 for a highly available cluster.`);
  }
  const size = a.storage?.size;
  if (size !== undefined && !toBytes(size)) {
    problems.add("storage.size", `\`storage.size\` (${show(size)}) must be a Kubernetes quantity such as "10Gi".`);
  }
  return problems;
}

export interface NatsRefs {
  readonly configMapName: Input<string>;
  readonly credentialsSecretName: Input<string>;
}

/** Server configuration; credentials come from the environment (the Secret), never from this file. */
export function natsConfig(name: string, replicas: number): string {
  const routes = Array.from({ length: replicas }, (_, i) => `    nats://${name}-${i}.${name}-headless:${NATS_PORTS.cluster}`);
  return [
    "server_name: $POD_NAME",
    `port: ${NATS_PORTS.client}`,
    `http_port: ${NATS_PORTS.monitor}`,
    "lame_duck_duration: 30s",
    "lame_duck_grace_period: 10s",
    "jetstream {",
    "  store_dir: /data",
    "}",
    "authorization {",
    "  user: $NATS_USER",
    "  password: $NATS_PASSWORD",
    "}",
    ...(replicas > 1
      ? ["cluster {", `  name: ${name}`, `  port: ${NATS_PORTS.cluster}`, "  routes: [", ...routes, "  ]", "}"]
      : []),
    "",
  ].join("\n");
}

export function buildNatsConfigMap(m: BrokerMeta, replicas: number): Manifest {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: brokerMetadata(m), data: { "nats.conf": natsConfig(m.name, replicas) } };
}

export function buildNatsStatefulSet(m: BrokerMeta, a: NatsJetStreamArgs, refs: NatsRefs): Manifest {
  const replicas = a.replicas ?? 3;
  const res = a.resources ?? {};
  const selector = { matchLabels: { ...m.selectorLabels } };
  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: refs.credentialsSecretName, key } } });
  const health = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: "monitor" },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: brokerMetadata(m, m.name),
    spec: {
      replicas,
      serviceName: `${m.name}-headless`,
      podManagementPolicy: "Parallel",
      selector,
      template: {
        metadata: { labels: { ...m.labels } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          ...(a.nodeSelector ? { nodeSelector: { ...a.nodeSelector } } : {}),
          ...(a.tolerations?.length ? { tolerations: a.tolerations.map((t) => ({ ...t })) } : {}),
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "nats",
              image: a.image ?? NATS_IMAGE,
              args: ["--config", "/etc/nats/nats.conf"],
              ports: [
                { name: "client", containerPort: NATS_PORTS.client, protocol: "TCP" },
                { name: "cluster", containerPort: NATS_PORTS.cluster, protocol: "TCP" },
                { name: "monitor", containerPort: NATS_PORTS.monitor, protocol: "TCP" },
              ],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                secretEnv("NATS_USER", CREDENTIAL_KEYS.user),
                secretEnv("NATS_PASSWORD", CREDENTIAL_KEYS.password),
              ],
              resources: {
                requests: { cpu: res.cpuRequest ?? "100m", memory: res.memoryRequest ?? "256Mi" },
                limits: { memory: res.memoryLimit ?? "1Gi" },
              },
              startupProbe: health("/healthz", 5, 60),
              readinessProbe: health("/healthz?js-enabled-only=true", 10, 3),
              livenessProbe: health("/healthz?js-enabled-only=true", 30, 3),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [
                { name: "config", mountPath: "/etc/nats" },
                { name: "data", mountPath: "/data" },
              ],
            },
          ],
          volumes: [{ name: "config", configMap: { name: refs.configMapName } }],
          topologySpreadConstraints: [ZONE_KEY, HOSTNAME_KEY].map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: selector,
          })),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(a.storage?.storageClassName !== undefined ? { storageClassName: a.storage.storageClassName } : {}),
            resources: { requests: { storage: a.storage?.size ?? "10Gi" } },
          },
        },
      ],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    },
  };
}

/** The client Service (`name`) and the headless Service (`name-headless`) the routes use. */
export function buildNatsServices(m: BrokerMeta): { client: Manifest; headless: Manifest } {
  const port = (name: keyof typeof NATS_PORTS) => ({ name, port: NATS_PORTS[name], targetPort: name, protocol: "TCP" });
  return {
    client: {
      apiVersion: "v1",
      kind: "Service",
      metadata: brokerMetadata(m, m.name),
      spec: { type: "ClusterIP", selector: { ...m.selectorLabels }, ports: [port("client"), port("monitor")] },
    },
    headless: {
      apiVersion: "v1",
      kind: "Service",
      metadata: brokerMetadata(m, `${m.name}-headless`),
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: { ...m.selectorLabels },
        ports: [port("client"), port("cluster"), port("monitor")],
      },
    },
  };
}

/** Never blocks a drain, keeps RAFT quorum: one server down at a time. */
export function buildBrokerPdb(m: BrokerMeta): Manifest {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: brokerMetadata(m),
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...m.selectorLabels } } },
  };
}

/** Deny by default: servers reach each other, `allowFrom` reaches the client and monitoring ports. */
export function buildNatsPolicy(m: BrokerMeta, allowFrom: readonly NetworkPeerArgs[]): Manifest {
  const own = { podSelector: { matchLabels: { ...m.selectorLabels } } };
  const tcp = (...ports: string[]) => ports.map((port) => ({ protocol: "TCP", port }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: brokerMetadata(m),
    spec: {
      podSelector: { matchLabels: { ...m.selectorLabels } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [own], ports: tcp("client", "cluster", "monitor") },
        ...(allowFrom.length ? [{ from: allowFrom.map(peer), ports: tcp("client", "monitor") }] : []),
      ],
    },
  };
}

/**
 * NACK `Account`: how the controller reaches the server; streams and consumers
 * name it by its object name. No `spec.name`: the CRD lists it, but NACK's Go
 * type has no such field, so the controller's first write (its finalizer)
 * drops it and every refresh would then show drift.
 */
export function buildNatsAccount(m: BrokerMeta, servers: Input<string>, credentialsSecretName?: Input<string>): Manifest {
  return {
    apiVersion: "jetstream.nats.io/v1beta2",
    kind: "Account",
    metadata: brokerMetadata(m),
    spec: {
      servers: [servers],
      ...(credentialsSecretName !== undefined
        ? { user: { secret: { name: credentialsSecretName }, user: CREDENTIAL_KEYS.user, password: CREDENTIAL_KEYS.password } }
        : {}),
    },
  };
}

/** NACK `Stream` / `Consumer` with the derived spec, bound to the broker's Account. */
export function buildJetStreamObject(
  kind: "Stream" | "Consumer",
  m: BrokerMeta,
  spec: Record<string, unknown>,
  accountName: Input<string>,
  labels: Record<string, string> = {},
): Manifest {
  return {
    apiVersion: "jetstream.nats.io/v1beta2",
    kind,
    metadata: brokerMetadata(m, undefined, labels),
    spec: { ...spec, account: accountName },
  };
}
