import type { Input } from "@pulumi/pulumi";
import type { MonitoringArgs } from "../observability/monitoring";

/**
 * Argument types of the workload layer shared by every service component.
 * Fields that decide which resources exist are plain values; everything else
 * accepts `pulumi.Input`.
 */

/** A value that may be unset explicitly with `null` to drop a switchyard default. */
export type Unsettable<T> = T | null;

/** A named port of the service's container. */
export interface PortArgs {
  /** Port name (IANA_SVC_NAME: <= 15 chars, lower-case, letters/digits/"-"). */
  readonly name: string;
  /** Container port, 1-65535. */
  readonly port: number;
  /**
   * Port the Kubernetes Service exposes.
   * @default - the container port
   */
  readonly servicePort?: number;
  /** @default "TCP" */
  readonly protocol?: "TCP" | "UDP" | "SCTP";
  /**
   * Application protocol hint for gateways and meshes (e.g. `http`, `kubernetes.io/h2c`).
   * @see https://kubernetes.io/docs/concepts/services-networking/service/#application-protocol
   */
  readonly appProtocol?: string;
}

/** One probe. Exactly one of `path` (HTTP GET), `tcp`, `grpc` or `command` decides the handler. */
export interface ProbeArgs {
  /** HTTP GET path; when unset the probe opens a TCP connection. */
  readonly path?: string;
  /** Use a gRPC health check instead of HTTP/TCP. @default false */
  readonly grpc?: boolean;
  /** Run a command in the container instead of a network check. */
  readonly command?: readonly string[];
  /**
   * Port name or number to probe; must be one of `ports`.
   * @default - the first port
   */
  readonly port?: string | number;
  /** @default - 0 */
  readonly initialDelaySeconds?: number;
  /** @default 10 (startup: 2) */
  readonly periodSeconds?: number;
  /** @default 2 */
  readonly timeoutSeconds?: number;
  /** @default 3 (startup: 60, i.e. two minutes to start) */
  readonly failureThreshold?: number;
}

/** Probes of the main container; `false` removes a probe. */
export interface ProbesArgs {
  /** @default - TCP (or `healthPath`) on the first port */
  readonly readiness?: ProbeArgs | false;
  /** @default - TCP (or `healthPath`) on the first port, periodSeconds 20 */
  readonly liveness?: ProbeArgs | false;
  /** @default - TCP (or `healthPath`) on the first port, up to 2 minutes */
  readonly startup?: ProbeArgs | false;
}

/** A reference to a key of an existing Kubernetes Secret. */
export interface SecretKeyRef {
  readonly secretName: Input<string>;
  readonly key: Input<string>;
}

/** Requests and limits; `null` removes a default. */
export interface ResourcesArgs {
  /** @default "100m" */
  readonly cpuRequest?: Unsettable<Input<string>>;
  /** @default "128Mi" */
  readonly memoryRequest?: Unsettable<Input<string>>;
  /** @default - unset (CPU limits cause throttling; set one if you need it) */
  readonly cpuLimit?: Unsettable<Input<string>>;
  /** @default "256Mi" */
  readonly memoryLimit?: Unsettable<Input<string>>;
}

/** Pod-level security settings; every field may be `null` to unset it. */
export interface PodSecurityArgs {
  /** @default true */
  readonly runAsNonRoot?: Unsettable<boolean>;
  /** @default 65532 */
  readonly runAsUser?: Unsettable<number>;
  /** @default 65532 */
  readonly runAsGroup?: Unsettable<number>;
  /** @default 65532 */
  readonly fsGroup?: Unsettable<number>;
  /** @default "RuntimeDefault" */
  readonly seccompProfile?: Unsettable<"RuntimeDefault" | "Localhost" | "Unconfined">;
}

/** Container-level security settings; every field may be `null` to unset it. */
export interface ContainerSecurityArgs {
  /** @default false */
  readonly allowPrivilegeEscalation?: Unsettable<boolean>;
  /** @default true (an emptyDir is mounted at /tmp) */
  readonly readOnlyRootFilesystem?: Unsettable<boolean>;
  /** @default ["ALL"] */
  readonly dropCapabilities?: Unsettable<readonly string[]>;
  /** @default - none */
  readonly addCapabilities?: Unsettable<readonly string[]>;
}

/** PodDisruptionBudget; the default never blocks a node drain. */
export interface DisruptionBudgetArgs {
  /** @default 1 (when `minAvailable` is unset) */
  readonly maxUnavailable?: number | string;
  /** Mutually exclusive with `maxUnavailable`. */
  readonly minAvailable?: number | string;
}

/** A source admitted by the service's NetworkPolicy, in addition to its declared callers. */
export interface NetworkPeerArgs {
  /** Pods with these labels (in `namespace`, or the service's own namespace). */
  readonly podLabels?: Record<string, string>;
  /** Namespace name of the peer; `"*"` for all namespaces. */
  readonly namespace?: string;
}

/** Kubernetes Service options (load balancing). */
export interface ServiceOptionsArgs {
  /**
   * Fixed name for the Kubernetes Service (and so the DNS name).
   * @default - auto-named from the component name
   */
  readonly name?: string;
  /** @default "None" */
  readonly sessionAffinity?: "None" | "ClientIP";
  /** Only with `sessionAffinity: "ClientIP"`. @default 10800 */
  readonly sessionAffinityTimeoutSeconds?: number;
  /**
   * Prefer endpoints close to the client.
   * @default - unset (FailoverGroup zone mode: "PreferSameZone")
   * @see https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution
   */
  readonly trafficDistribution?: Unsettable<"PreferClose" | "PreferSameZone" | "PreferSameNode">;
  readonly annotations?: Record<string, Input<string>>;
}

/** The build of a container image from source, through `@pulumi/docker`. */
export interface ImageBuildArgs {
  /** Repository to push to, e.g. `registry.example.com/team/orders`. */
  readonly repository: Input<string>;
  /** Build context directory. */
  readonly context: string;
  /** @default - `Dockerfile` in the context */
  readonly dockerfile?: string;
  readonly target?: string;
  readonly buildArgs?: Record<string, Input<string>>;
  /** @default "linux/amd64" */
  readonly platform?: string;
  /** Registry credentials for the push. */
  readonly registry?: {
    readonly server: Input<string>;
    readonly username?: Input<string>;
    readonly password?: Input<string>;
  };
}

/** Something a service can call: another switchyard service or a `ServiceRef`. */
export interface CallTarget {
  /** Logical name: the stem of the injected variable (`orders` -> `ORDERS_URL`). */
  readonly logicalName: string;
  /** Port clients use, or undefined when the target exposes no port. */
  readonly port: number | undefined;
  /** Port on the target's pods (number or container port name), for the NetworkPolicy. */
  readonly podPort: number | string | undefined;
  readonly serviceName: Input<string>;
  readonly namespace: Input<string>;
  readonly endpoint: Input<string>;
  /** Labels of the target's pods, to open the network path; undefined when unknown. */
  readonly podSelector: Record<string, string> | undefined;
}

/** A `calls` entry: a target, optionally with its own variable name. */
export type CallArgs = CallTarget | { readonly target: CallTarget; readonly env?: string };

/** North-south exposure through a Gateway API HTTPRoute attached to an existing Gateway. */
export interface RouteArgs {
  readonly gateway: {
    readonly name: Input<string>;
    readonly namespace?: Input<string>;
    readonly sectionName?: Input<string>;
  };
  readonly hostnames?: readonly Input<string>[];
  /** Path prefixes routed to the service. @default ["/"] */
  readonly pathPrefixes?: readonly string[];
  /** Weight of this service among the backends. @default 1 (100 with `backends`) */
  readonly weight?: number;
  /** Further weighted backends, e.g. a canary. */
  readonly backends?: readonly { readonly target: CallTarget; readonly weight: number }[];
}

/** Everything that describes one service's pods, network and exposure. */
export interface ServiceDefinition {
  /** Container image reference, or a build spec (creates a `@pulumi/docker` Image and deploys its digest). */
  readonly image: Input<string> | ImageBuildArgs;
  readonly command?: Input<Input<string>[]>;
  readonly args?: Input<Input<string>[]>;
  /** Plain environment variables. */
  readonly env?: Record<string, Input<string>>;
  /**
   * Secret environment variables: a value (stored as a Pulumi secret in a
   * Kubernetes Secret the component owns) or a reference to an existing Secret key.
   */
  readonly secretEnv?: Record<string, Input<string> | SecretKeyRef>;
  /** Container ports; the first one is the primary port. */
  readonly ports?: readonly PortArgs[];
  /** Shorthand for `ports: [{ name: "http", port }]`. */
  readonly port?: number;
  /** HTTP path for the default probes; unset means TCP probes. */
  readonly healthPath?: string;
  readonly probes?: ProbesArgs;
  /** @default - requests 100m CPU / 128Mi, memory limit 256Mi */
  readonly resources?: Unsettable<ResourcesArgs>;
  readonly podSecurity?: PodSecurityArgs;
  readonly containerSecurity?: ContainerSecurityArgs;
  /** @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Seconds the container waits in preStop before SIGTERM, so endpoints drain.
   * @default 5
   */
  readonly preStopSleepSeconds?: Unsettable<number>;
  /** @default - the provider's namespace */
  readonly namespace?: Input<string>;
  readonly nodeSelector?: Record<string, Input<string>>;
  readonly tolerations?: readonly Record<string, Input<string | number>>[];
  readonly imagePullSecrets?: readonly Input<string>[];
  /** @default { maxUnavailable: 1 }; `false` creates none */
  readonly disruptionBudget?: DisruptionBudgetArgs | false;
  /**
   * Spread replicas over zones and nodes (soft constraints).
   * @default true
   */
  readonly topologySpread?: boolean;
  /** Services this one calls: injects `<NAME>_URL` and opens the network path. */
  readonly calls?: readonly CallArgs[];
  /**
   * Ingress NetworkPolicy: deny by default, admit declared callers and `allowFrom`.
   * `false` creates no policy.
   * @default {}
   */
  readonly networkPolicy?: false | { readonly allowFrom?: readonly NetworkPeerArgs[] };
  readonly service?: ServiceOptionsArgs;
  readonly route?: RouteArgs;
  /** Extra labels on every object (not selectors). */
  readonly labels?: Record<string, string>;
  readonly podAnnotations?: Record<string, Input<string>>;
  /** Owning team, as label `switchyard.dev/team`. */
  readonly team?: string;
  /** Application this service belongs to (`app.kubernetes.io/part-of`). */
  readonly partOf?: string;
  /**
   * Metrics scraping (ServiceMonitor) and alerts derived from this service's
   * declared contract (PrometheusRule); needs the Prometheus Operator CRDs.
   * `false` turns both off; stack config `switchyard:monitoring` sets defaults.
   * @default {} (on)
   */
  readonly monitoring?: MonitoringArgs | false;
}
