import type { Input } from "@pulumi/pulumi";
import type {
  CallArgs,
  CallTarget,
  ImageBuildArgs,
  PortArgs,
  ProbeArgs,
  ServiceDefinition,
} from "./workload-args";
import { envStem } from "./names";

/** A port with every default filled in. */
export interface ResolvedPort {
  readonly name: string;
  readonly port: number;
  readonly servicePort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly appProtocol?: string;
}

export interface ResolvedCall {
  readonly target: CallTarget;
  readonly env: string;
}

/** Kubernetes probe literal (a subset of core/v1 Probe). */
export type ProbeManifest = Record<string, unknown>;

/** Everything the manifest builders need, with switchyard's defaults applied. */
export interface ResolvedWorkload {
  readonly name: string;
  /** Value of `switchyard.dev/component`, e.g. "autoscaledservice". */
  readonly component: string;
  readonly definition: ServiceDefinition;
  readonly ports: readonly ResolvedPort[];
  readonly probes: {
    readonly readiness?: ProbeManifest;
    readonly liveness?: ProbeManifest;
    readonly startup?: ProbeManifest;
  };
  readonly resources?: Record<string, Record<string, Input<string>>>;
  readonly podSecurityContext: Record<string, unknown>;
  readonly containerSecurityContext: Record<string, unknown>;
  readonly readOnlyRootFilesystem: boolean;
  readonly terminationGracePeriodSeconds: number;
  readonly preStopSleepSeconds?: number;
  readonly disruptionBudget?: { readonly maxUnavailable?: number | string; readonly minAvailable?: number | string };
  readonly topologySpread: boolean;
  readonly calls: readonly ResolvedCall[];
  readonly networkPolicy: boolean;
  readonly selectorLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly buildsImage: boolean;
}

/** Seconds a terminating pod keeps serving while endpoints drain. */
export const DEFAULT_PRESTOP_SLEEP = 5;

export const DEFAULT_RESOURCES = {
  cpuRequest: "100m",
  memoryRequest: "128Mi",
  cpuLimit: null,
  memoryLimit: "256Mi",
} as const;

export const DEFAULT_POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: "RuntimeDefault",
} as const;

export const DEFAULT_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  dropCapabilities: ["ALL"],
  addCapabilities: null,
} as const;

/** Label keys switchyard sets; documented in the README. */
export const LABELS = {
  name: "app.kubernetes.io/name",
  partOf: "app.kubernetes.io/part-of",
  service: "switchyard.dev/service",
  component: "switchyard.dev/component",
  team: "switchyard.dev/team",
} as const;

/** Pod annotation of a service that declares events: the logical names of the topics it subscribes or publishes to, comma-separated (for log pipelines). */
export const TOPICS_ANNOTATION = "switchyard.dev/topics";

/**
 * Merges user overrides over defaults: `undefined` keeps the default, `null`
 * removes the key, anything else replaces it.
 */
export function overlay<T extends object>(defaults: T, overrides: object | undefined | null): Partial<T> {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out as Partial<T>;
}

export function isImageBuild(image: ServiceDefinition["image"]): image is ImageBuildArgs {
  return typeof image === "object" && image !== null && "context" in image && "repository" in image;
}

export function resolvePorts(def: ServiceDefinition): ResolvedPort[] {
  const ports: readonly PortArgs[] = def.ports ?? (def.port !== undefined ? [{ name: "http", port: def.port }] : []);
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    servicePort: p.servicePort ?? p.port,
    protocol: p.protocol ?? "TCP",
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
  }));
}

export function normalizeCall(call: CallArgs): { target: CallTarget; env?: string } {
  return "target" in call ? call : { target: call };
}

export function resolveCalls(def: ServiceDefinition): ResolvedCall[] {
  return (def.calls ?? []).map((c) => {
    const { target, env } = normalizeCall(c);
    return { target, env: env ?? `${envStem(target.logicalName)}_URL` };
  });
}

function probeManifest(
  kind: "readiness" | "liveness" | "startup",
  user: ProbeArgs | undefined,
  def: ServiceDefinition,
  ports: readonly ResolvedPort[],
): ProbeManifest | undefined {
  const port = user?.port ?? ports[0]?.name;
  const path = user?.path ?? (user?.grpc || user?.command ? undefined : def.healthPath);
  let handler: Record<string, unknown>;
  if (user?.command) handler = { exec: { command: [...user.command] } };
  else if (port === undefined) return undefined;
  else if (user?.grpc) handler = { grpc: { port: typeof port === "number" ? port : portNumber(ports, port) } };
  else if (path !== undefined) handler = { httpGet: { path, port } };
  else handler = { tcpSocket: { port } };
  const timing = {
    readiness: { periodSeconds: 10, failureThreshold: 3 },
    liveness: { periodSeconds: 20, failureThreshold: 3 },
    startup: { periodSeconds: 2, failureThreshold: 60 },
  }[kind];
  return {
    ...handler,
    ...(user?.initialDelaySeconds !== undefined ? { initialDelaySeconds: user.initialDelaySeconds } : {}),
    periodSeconds: user?.periodSeconds ?? timing.periodSeconds,
    timeoutSeconds: user?.timeoutSeconds ?? 2,
    failureThreshold: user?.failureThreshold ?? timing.failureThreshold,
  };
}

function portNumber(ports: readonly ResolvedPort[], name: string): number | undefined {
  return ports.find((p) => p.name === name)?.port;
}

function resolveResources(def: ServiceDefinition): ResolvedWorkload["resources"] {
  if (def.resources === null) return undefined;
  const r = overlay(DEFAULT_RESOURCES as Record<string, unknown>, def.resources) as Record<string, Input<string> | null>;
  const requests: Record<string, Input<string>> = {};
  const limits: Record<string, Input<string>> = {};
  if (r.cpuRequest != null) requests.cpu = r.cpuRequest;
  if (r.memoryRequest != null) requests.memory = r.memoryRequest;
  if (r.cpuLimit != null) limits.cpu = r.cpuLimit;
  if (r.memoryLimit != null) limits.memory = r.memoryLimit;
  const out: Record<string, Record<string, Input<string>>> = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return Object.keys(out).length ? out : undefined;
}

/** Standard labels of every object a service creates. */
export function serviceLabels(name: string, component: string, def: ServiceDefinition): Record<string, string> {
  return {
    ...(def.labels ?? {}),
    [LABELS.name]: name,
    [LABELS.service]: name,
    [LABELS.component]: component,
    ...(def.partOf ? { [LABELS.partOf]: def.partOf } : {}),
    ...(def.team ? { [LABELS.team]: def.team } : {}),
  };
}

/** Labels that select a service's pods; stable, so other stacks can reference them. */
export function selectorLabels(name: string): Record<string, string> {
  return { [LABELS.name]: name };
}

/** Applies every default of the workload layer to a service definition. */
export function resolveWorkload(name: string, component: string, def: ServiceDefinition): ResolvedWorkload {
  const ports = resolvePorts(def);
  const probe = (kind: "readiness" | "liveness" | "startup") => {
    const user = def.probes?.[kind];
    return user === false ? undefined : probeManifest(kind, user, def, ports);
  };
  const pod = overlay(DEFAULT_POD_SECURITY as Record<string, unknown>, def.podSecurity);
  const podSecurityContext: Record<string, unknown> = { ...pod };
  if (pod.seccompProfile !== undefined) podSecurityContext.seccompProfile = { type: pod.seccompProfile };
  const c = overlay(DEFAULT_CONTAINER_SECURITY as Record<string, unknown>, def.containerSecurity);
  const containerSecurityContext: Record<string, unknown> = {};
  if (c.allowPrivilegeEscalation !== undefined) containerSecurityContext.allowPrivilegeEscalation = c.allowPrivilegeEscalation;
  if (c.readOnlyRootFilesystem !== undefined) containerSecurityContext.readOnlyRootFilesystem = c.readOnlyRootFilesystem;
  const caps: Record<string, unknown> = {};
  if (c.dropCapabilities) caps.drop = [...(c.dropCapabilities as string[])];
  if (c.addCapabilities) caps.add = [...(c.addCapabilities as string[])];
  if (Object.keys(caps).length) containerSecurityContext.capabilities = caps;
  const pdb = def.disruptionBudget;
  return {
    name,
    component,
    definition: def,
    ports,
    probes: { readiness: probe("readiness"), liveness: probe("liveness"), startup: probe("startup") },
    resources: resolveResources(def),
    podSecurityContext,
    containerSecurityContext,
    readOnlyRootFilesystem: c.readOnlyRootFilesystem === true,
    terminationGracePeriodSeconds: def.terminationGracePeriodSeconds ?? 30,
    preStopSleepSeconds: def.preStopSleepSeconds === null ? undefined : (def.preStopSleepSeconds ?? DEFAULT_PRESTOP_SLEEP),
    disruptionBudget:
      pdb === false
        ? undefined
        : pdb?.minAvailable !== undefined
          ? { minAvailable: pdb.minAvailable }
          : { maxUnavailable: pdb?.maxUnavailable ?? 1 },
    topologySpread: def.topologySpread ?? true,
    calls: resolveCalls(def),
    networkPolicy: def.networkPolicy !== false,
    selectorLabels: selectorLabels(name),
    labels: serviceLabels(name, component, def),
    buildsImage: isImageBuild(def.image),
  };
}
