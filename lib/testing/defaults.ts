import { createHash } from "node:crypto";

/**
 * Kinds the Kubernetes API server keeps outside namespaces (no
 * `metadata.namespace` default). Built-in kinds, plus the cluster-scoped
 * custom resources of the operators switchyard works with (KEDA, Gateway API,
 * cert-manager). Add your own with `clusterScopedKinds`.
 */
export const CLUSTER_SCOPED_KINDS: readonly string[] = [
  // core, RBAC, API machinery
  "Namespace",
  "Node",
  "PersistentVolume",
  "ComponentStatus",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "APIService",
  // admission, flow control, certificates
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "CertificateSigningRequest",
  "ClusterTrustBundle",
  // storage, scheduling, networking, node, resource
  "StorageClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "VolumeAttributesClass",
  "PriorityClass",
  "RuntimeClass",
  "IngressClass",
  "IPAddress",
  "ServiceCIDR",
  "DeviceClass",
  "ResourceSlice",
  "StorageVersionMigration",
  "TokenReview",
  "SelfSubjectReview",
  "SubjectAccessReview",
  "SelfSubjectAccessReview",
  "SelfSubjectRulesReview",
  // custom resources of common operators
  "ClusterTriggerAuthentication",
  "GatewayClass",
  "ClusterIssuer",
];

/** What the mocks know about the registration being answered. */
export interface RegistrationFacts {
  readonly type: string;
  readonly name: string;
  /** False for component resources. */
  readonly custom: boolean;
  readonly inputs: Record<string, any>;
}

/** 8 hex characters derived from a text: stable across runs, unlike the provider's random suffix. */
export function stableHex(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The Kubernetes object kind of a registration, or undefined when it is no single object (component, Helm release, list). */
export function kubernetesKind(f: RegistrationFacts): string | undefined {
  if (!f.custom || !f.type.startsWith("kubernetes:")) return undefined;
  const { apiVersion, kind } = f.inputs;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
  if (kind.endsWith("List")) return undefined;
  return kind;
}

/**
 * The state the engine, the provider and the API server would add to what a
 * program sent, for the resource kinds switchyard creates:
 * - Kubernetes objects: `metadata.name` (`<logical name>-<8 hex>`, as the
 *   provider auto-names, but stable) when unset, `metadata.namespace:
 *   "default"` when unset on a namespaced kind; the id is `<namespace>/<name>`
 *   (or `<name>`), as the Kubernetes provider's.
 * - `@pulumi/docker` `Image`: `repoDigest` `<imageName>@sha256:<64 hex>`.
 * - switchyard's `GeneratedPassword`: a `result` of `length` characters.
 * Returns the state (a copy of `state`) and the id.
 */
export function withEngineDefaults(f: RegistrationFacts, state: Record<string, any>, clusterScoped: ReadonlySet<string>): { state: Record<string, any>; id: string | undefined } {
  const kind = kubernetesKind(f);
  if (kind !== undefined) {
    const md: Record<string, any> = { ...(isObject(state.metadata) ? state.metadata : {}) };
    const isPatch = f.type.endsWith("Patch");
    if (md.name === undefined && !isPatch) md.name = `${f.name}-${stableHex(`${f.type}::${f.name}`)}`;
    const namespaced = !clusterScoped.has(kind);
    if (namespaced && md.namespace === undefined) md.namespace = "default";
    const id = typeof md.name === "string" ? (namespaced && typeof md.namespace === "string" ? `${md.namespace}/${md.name}` : md.name) : undefined;
    return { state: { ...state, metadata: md }, id };
  }
  if (f.type === "docker:index/image:Image" && state.repoDigest === undefined && typeof state.imageName === "string") {
    const repository = state.imageName.replace(/:[^/:@]+$/, "");
    return { state: { ...state, repoDigest: `${repository}@sha256:${stableHex(state.imageName, 64)}` }, id: undefined };
  }
  if (f.type === "pulumi-nodejs:dynamic/switchyard:GeneratedPassword" && state.result === undefined && typeof state.length === "number") {
    let result = "";
    for (let i = 0; result.length < state.length; i++) result += stableHex(`${f.name}:${i}`, 64);
    return { state: { ...state, result: result.slice(0, state.length) }, id: undefined };
  }
  return { state: { ...state }, id: undefined };
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
