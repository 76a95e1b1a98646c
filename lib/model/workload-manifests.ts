import type { Input } from "@pulumi/pulumi";
import type { NetworkPeerArgs, SecretKeyRef } from "./workload-args";
import type { ResolvedCall, ResolvedWorkload } from "./workload-resolve";

/** A Kubernetes object literal; values may be Pulumi inputs. */
export type Manifest = Record<string, any>;

export const ZONE_KEY = "topology.kubernetes.io/zone";
export const HOSTNAME_KEY = "kubernetes.io/hostname";

/** Values that only exist once other resources exist (auto-generated names). */
export interface WorkloadRefs {
  readonly image: Input<string>;
  readonly serviceAccountName: Input<string>;
  /** Name of the Secret holding `secretEnv` values, when the service has any. */
  readonly envSecretName?: Input<string>;
  /** Namespace the service runs in (the resolved one, for cross-namespace rules). */
  readonly namespace?: Input<string>;
}

/** How the pods are placed; the default is a soft spread over zones and nodes. */
export interface Placement {
  /** Zones to pin to (hard spread with `minDomains`); `"all"` spreads hard over every zone. */
  readonly zones?: readonly string[] | "all";
}

function metadata(r: ResolvedWorkload, namespace: Input<string> | undefined, extra?: Manifest): Manifest {
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    labels: { ...r.labels },
    ...(extra ?? {}),
  };
}

function isSecretRef(v: unknown): v is SecretKeyRef {
  return typeof v === "object" && v !== null && "secretName" in v && "key" in v;
}

/** The Secret that stores `secretEnv` values given directly (not references). */
export function ownedSecretEnv(r: ResolvedWorkload): Record<string, Input<string>> {
  const out: Record<string, Input<string>> = {};
  for (const [k, v] of Object.entries(r.definition.secretEnv ?? {})) {
    if (!isSecretRef(v)) out[k] = v as Input<string>;
  }
  return out;
}

export function buildEnvSecret(r: ResolvedWorkload, data: Record<string, Input<string>>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(r, r.definition.namespace),
    type: "Opaque",
    stringData: data,
  };
}

export function buildServiceAccount(r: ResolvedWorkload): Manifest {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(r, r.definition.namespace),
    automountServiceAccountToken: false,
  };
}

function containerEnv(r: ResolvedWorkload, refs: WorkloadRefs, extraEnv: readonly Manifest[]): Manifest[] {
  const env: Manifest[] = Object.entries(r.definition.env ?? {}).map(([name, value]) => ({ name, value }));
  for (const [name, v] of Object.entries(r.definition.secretEnv ?? {})) {
    const ref = isSecretRef(v) ? { name: v.secretName, key: v.key } : { name: refs.envSecretName, key: name };
    env.push({ name, valueFrom: { secretKeyRef: ref } });
  }
  for (const call of r.calls) env.push({ name: call.env, value: call.target.endpoint });
  env.push(...extraEnv);
  return env;
}

function spreadConstraints(r: ResolvedWorkload, placement: Placement): Manifest[] | undefined {
  const selector = { matchLabels: { ...r.selectorLabels } };
  const hard = placement.zones !== undefined;
  if (!r.topologySpread && !hard) return undefined;
  const zone: Manifest = {
    maxSkew: 1,
    topologyKey: ZONE_KEY,
    whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway",
    labelSelector: selector,
    matchLabelKeys: ["pod-template-hash"],
    // Zones whose nodes all carry a taint the pod does not tolerate (dedicated
    // or fake nodes) are not domains it could use: without Honor they count,
    // and a hard spread waits forever for a replica there.
    nodeTaintsPolicy: "Honor",
  };
  if (Array.isArray(placement.zones)) zone.minDomains = placement.zones.length;
  return [
    zone,
    {
      maxSkew: 1,
      topologyKey: HOSTNAME_KEY,
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: selector,
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    },
  ];
}

/** The Deployment; `replicas` undefined leaves `spec.replicas` unset for an autoscaler. */
export function buildDeployment(
  r: ResolvedWorkload,
  refs: WorkloadRefs,
  opts: { readonly replicas?: number; readonly placement?: Placement; readonly extraEnv?: readonly Manifest[] } = {},
): Manifest {
  const def = r.definition;
  const placement = opts.placement ?? {};
  const env = containerEnv(r, refs, opts.extraEnv ?? []);
  const container: Manifest = {
    name: r.name,
    image: refs.image,
    ...(def.command !== undefined ? { command: def.command } : {}),
    ...(def.args !== undefined ? { args: def.args } : {}),
    ports: r.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
    ...(env.length ? { env } : {}),
    ...(r.resources ? { resources: r.resources } : {}),
    ...(r.probes.readiness ? { readinessProbe: r.probes.readiness } : {}),
    ...(r.probes.liveness ? { livenessProbe: r.probes.liveness } : {}),
    ...(r.probes.startup ? { startupProbe: r.probes.startup } : {}),
    ...(r.preStopSleepSeconds !== undefined ? { lifecycle: { preStop: { sleep: { seconds: r.preStopSleepSeconds } } } } : {}),
    securityContext: r.containerSecurityContext,
    ...(r.readOnlyRootFilesystem ? { volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] } : {}),
  };
  const spread = spreadConstraints(r, placement);
  const zones = Array.isArray(placement.zones) ? placement.zones : undefined;
  const podSpec: Manifest = {
    serviceAccountName: refs.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: r.terminationGracePeriodSeconds,
    securityContext: r.podSecurityContext,
    containers: [container],
    ...(r.readOnlyRootFilesystem ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }] } : {}),
    ...(spread ? { topologySpreadConstraints: spread } : {}),
    ...(zones
      ? {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_KEY, operator: "In", values: [...zones] }] }],
              },
            },
          },
        }
      : {}),
    ...(def.nodeSelector ? { nodeSelector: def.nodeSelector } : {}),
    ...(def.tolerations ? { tolerations: def.tolerations } : {}),
    ...(def.imagePullSecrets ? { imagePullSecrets: def.imagePullSecrets.map((name) => ({ name })) } : {}),
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(r, def.namespace),
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: { ...r.selectorLabels } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: { labels: { ...r.labels }, ...(def.podAnnotations ? { annotations: def.podAnnotations } : {}) },
        spec: podSpec,
      },
    },
  };
}

export function buildService(
  r: ResolvedWorkload,
  opts: { readonly defaultTrafficDistribution?: string; readonly name?: string } = {},
): Manifest {
  const svc = r.definition.service ?? {};
  const traffic = svc.trafficDistribution === null ? undefined : (svc.trafficDistribution ?? opts.defaultTrafficDistribution);
  const name = svc.name ?? opts.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(r, r.definition.namespace, {
      ...(name ? { name } : {}),
      ...(svc.annotations ? { annotations: svc.annotations } : {}),
    }),
    spec: {
      type: "ClusterIP",
      selector: { ...r.selectorLabels },
      ports: r.ports.map((p) => ({
        name: p.name,
        port: p.servicePort,
        targetPort: p.name,
        protocol: p.protocol,
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
      sessionAffinity: svc.sessionAffinity ?? "None",
      ...(svc.sessionAffinity === "ClientIP"
        ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: svc.sessionAffinityTimeoutSeconds ?? 10800 } } }
        : {}),
      ...(traffic ? { trafficDistribution: traffic } : {}),
    },
  };
}

export function buildDisruptionBudget(r: ResolvedWorkload): Manifest | undefined {
  if (!r.disruptionBudget) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(r, r.definition.namespace),
    spec: {
      ...r.disruptionBudget,
      selector: { matchLabels: { ...r.selectorLabels } },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}

/** A NetworkPolicy peer from `NetworkPeerArgs`. */
export function peer(p: NetworkPeerArgs): Manifest {
  const out: Manifest = {};
  if (p.podLabels) out.podSelector = { matchLabels: { ...p.podLabels } };
  if (p.namespace === "*") out.namespaceSelector = {};
  else if (p.namespace !== undefined) out.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": p.namespace } };
  if (!p.podLabels && p.namespace === undefined) out.podSelector = {};
  return out;
}

/**
 * The service's own ingress policy: everything is denied except the sources
 * in `allowFrom`, the route's gateway namespace, and callers of the same
 * stack (who add their own policies, see `buildCallPolicy`). Callers from
 * other stacks are admitted through `allowFrom` with their `callerIdentity`.
 * Ingress only: egress (to callees, the broker, DNS) is left open.
 */
export function buildIngressPolicy(r: ResolvedWorkload, scrapers?: { readonly peer: NetworkPeerArgs; readonly port: string }): Manifest | undefined {
  if (!r.networkPolicy) return undefined;
  const np = r.definition.networkPolicy;
  const peers = (np ? (np.allowFrom ?? []) : []).map(peer);
  const route = r.definition.route;
  if (route) {
    peers.push(
      route.gateway.namespace !== undefined
        ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": route.gateway.namespace } } }
        : { podSelector: {} },
    );
  }
  const ports = r.ports.map((p) => ({ protocol: p.protocol, port: p.name }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(r, r.definition.namespace),
    spec: {
      podSelector: { matchLabels: { ...r.selectorLabels } },
      policyTypes: ["Ingress"],
      ingress: [
        ...(peers.length ? [{ from: peers, ...(ports.length ? { ports } : {}) }] : []),
        // Metrics scrapers reach the metrics port only.
        ...(scrapers ? [{ from: [peer(scrapers.peer)], ports: [{ protocol: "TCP", port: scrapers.port }] }] : []),
      ],
    },
  };
}

/**
 * Who a service's pods are, as a NetworkPolicy in another namespace admits
 * them: the namespace they run in and the labels selecting them (the
 * service's selector, `app.kubernetes.io/name=<name>`, stable across
 * deployments). Every service component exposes it as `callerIdentity`, so
 * the owner of a service it calls through a `ServiceRef` can admit exactly
 * these pods. The shape also fits `networkPolicy.allowFrom` of a switchyard
 * service.
 */
export interface CallerIdentity {
  /** Namespace the caller's pods run in. */
  readonly namespace: string;
  /** Labels of the caller's pods (its selector labels). */
  readonly podLabels: Record<string, string>;
}

/**
 * The NetworkPolicy peer that admits exactly a caller's pods: one peer with
 * both a `podSelector` and a `namespaceSelector`, so both must match (two
 * peers would admit either).
 */
export function callerPeer(caller: { readonly namespace: Input<string>; readonly podLabels: Record<string, string> }): Manifest {
  return {
    podSelector: { matchLabels: { ...caller.podLabels } },
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": caller.namespace } },
  };
}

/**
 * An ingress rule admitting a caller's pods to `ports` (TCP; container port
 * numbers or names), or to every port when `ports` is empty: what the owner of
 * a called service adds to their own NetworkPolicy instead of letting the
 * caller write one in their namespace.
 * @example
 * // in the callee's stack, with the caller's `callerIdentity` (e.g. from a StackReference):
 * ingress: [callerIngressRule({ namespace: "shop", podLabels: { "app.kubernetes.io/name": "orders" } }, [8080])]
 */
export function callerIngressRule(
  caller: { readonly namespace: Input<string>; readonly podLabels: Record<string, string> },
  ports: readonly (number | string)[] = [],
): Manifest {
  return {
    from: [callerPeer(caller)],
    ...(ports.length ? { ports: ports.map((port) => ({ protocol: "TCP", port })) } : {}),
  };
}

/**
 * The policy a caller adds in its callee's namespace: admits exactly the
 * caller's pods to the callee's port. Undefined when the target gives no pod
 * selector: a `ServiceRef` gives one only with `admitCallers: true` (by
 * default a caller writes nothing in another team's namespace); switchyard
 * services of the same stack always do, the stack owning both sides.
 *
 * The caller needs no egress rule of its own: switchyard's policies are
 * ingress-only (`policyTypes: ["Ingress"]`), so a caller's egress is not
 * restricted by them.
 */
export function buildCallPolicy(r: ResolvedWorkload, call: ResolvedCall, callerNamespace: Input<string>): Manifest | undefined {
  const t = call.target;
  if (!t.podSelector || t.podPort === undefined) return undefined;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { namespace: t.namespace, labels: { ...r.labels } },
    spec: {
      podSelector: { matchLabels: { ...t.podSelector } },
      policyTypes: ["Ingress"],
      ingress: [callerIngressRule({ namespace: callerNamespace, podLabels: r.selectorLabels }, [t.podPort])],
    },
  };
}

/** Gateway API HTTPRoute attaching the service (and weighted extra backends) to a Gateway. */
export function buildHttpRoute(r: ResolvedWorkload, serviceName: Input<string>): Manifest | undefined {
  const route = r.definition.route;
  if (!route || r.ports.length === 0) return undefined;
  const backends = route.backends ?? [];
  const primaryWeight = route.weight ?? (backends.length ? 100 : 1);
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: metadata(r, r.definition.namespace),
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: route.gateway.name,
          ...(route.gateway.namespace !== undefined ? { namespace: route.gateway.namespace } : {}),
          ...(route.gateway.sectionName !== undefined ? { sectionName: route.gateway.sectionName } : {}),
        },
      ],
      ...(route.hostnames ? { hostnames: [...route.hostnames] } : {}),
      rules: [
        {
          matches: (route.pathPrefixes ?? ["/"]).map((value) => ({ path: { type: "PathPrefix", value } })),
          backendRefs: [
            { group: "", kind: "Service", name: serviceName, port: r.ports[0]!.servicePort, weight: primaryWeight },
            ...backends.map((b) => ({
              group: "",
              kind: "Service",
              name: b.target.serviceName,
              namespace: b.target.namespace,
              port: b.target.port,
              weight: b.weight,
            })),
          ],
        },
      ],
    },
  };
}
