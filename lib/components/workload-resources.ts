import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
// Type-only and used only inside function bodies: the emitted .d.ts must not name
// `@pulumi/docker`, an optional peer (test/unit/package-consumers.test.ts checks).
import type * as dockerTypes from "@pulumi/docker";
import type { ImageBuildArgs, NetworkPeerArgs } from "../model/workload-args";
import type { ResolvedWorkload } from "../model/workload-resolve";
import {
  type CallerIdentity,
  type Manifest,
  type Placement,
  buildCallPolicy,
  buildDeployment,
  buildDisruptionBudget,
  buildEnvSecret,
  buildHttpRoute,
  buildIngressPolicy,
  buildService,
  buildServiceAccount,
  ownedSecretEnv,
} from "../model/workload-manifests";
import { isImageBuild } from "../model/workload-resolve";
import type { Problem } from "../model/problems";
import { summarize } from "../model/problems";

/**
 * The image built from a build spec: a `docker.Image` of the optional peer
 * `@pulumi/docker`, typed here by the outputs switchyard documents so that the
 * published types compile without that package installed. Cast it to
 * `docker.Image` to reach its other outputs.
 */
export interface BuiltImage extends pulumi.CustomResource {
  /** `<repository>@sha256:<digest>` of the pushed image: what the Deployment runs. */
  readonly repoDigest: pulumi.Output<string>;
  /** The image name (repository and tag) it was built and pushed as. */
  readonly imageName: pulumi.Output<string>;
}

/** The Kubernetes children of one service (in one cluster). */
export interface WorkloadChildren {
  /** The image built from source; only when `image` is a build spec (FailoverGroup members share one build and omit it). */
  readonly image?: BuiltImage;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly envSecret?: k8s.core.v1.Secret;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service?: k8s.core.v1.Service;
  readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  readonly ingressPolicy?: k8s.networking.v1.NetworkPolicy;
  readonly callPolicies: readonly k8s.networking.v1.NetworkPolicy[];
  readonly route?: k8s.apiextensions.CustomResource;
  /** Resolved image reference (the digest when built). */
  readonly imageRef: pulumi.Input<string>;
  /** The pods' namespace and labels, for another namespace's owner to admit them (see `CallerIdentity`). */
  readonly callerIdentity: pulumi.Output<CallerIdentity>;
}

export interface WorkloadOptions {
  /** Prefix of the children's logical names (the component name, or `${name}-${member}`). */
  readonly prefix: string;
  readonly parent: pulumi.Resource;
  /** `<type>::<name>` of the component: the scope of its children's stable names. */
  readonly scope: string;
  /** Explicit provider for every child (FailoverGroup members); otherwise inherited from the parent. */
  readonly provider?: pulumi.ProviderResource;
  readonly replicas?: number;
  readonly placement?: Placement;
  readonly defaultTrafficDistribution?: string;
  /** Fixed Service name (multi-cluster members share one). */
  readonly serviceName?: string;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  readonly extraEnv?: readonly Manifest[];
  /** Built image shared by several members, instead of building per member. */
  readonly imageRef?: pulumi.Input<string>;
  readonly deploymentAnnotations?: Record<string, string>;
  /** Metrics scrapers the ingress policy admits to the metrics port. */
  readonly scrapers?: { readonly peer: NetworkPeerArgs; readonly port: string };
}

/**
 * The Kubernetes name of a child: `<logical>-<8 hex>`, the hex derived from the
 * project, stack and the component's type and name. Like Pulumi's auto-naming
 * it is unique per stack, but it is the same on every run, so an `up`
 * interrupted after the API server created an object re-applies that same
 * object instead of leaving it orphaned. (Not derived from the component's URN
 * Output: a child depending on its parent component would wait on itself.)
 */
export function stableName(scope: string, logical: string): string {
  const key = `${pulumi.getProject()}\n${pulumi.getStack()}\n${scope}\n${logical}`;
  return `${logical}-${createHash("sha256").update(key).digest("hex").slice(0, 8)}`;
}

/** Sets `metadata.name` to the stable name unless the manifest already names the object. */
export function withStableName<T extends Manifest>(m: T, scope: string, logical: string): T {
  return { ...m, metadata: { ...m.metadata, name: m.metadata?.name ?? stableName(scope, logical) } };
}

/** Throws `InputPropertiesError` listing every problem, before any child exists. */
export function throwIfInvalid(type: string, name: string, problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  throw new pulumi.InputPropertiesError({
    message: summarize(type, name, problems),
    errors: problems.map((p) => ({ propertyPath: p.property, reason: p.message })),
  });
}

/** Creates the `@pulumi/docker` Image for a build spec; the optional peer is loaded only here, when used. */
export function buildImage(name: string, build: ImageBuildArgs, parent: pulumi.Resource): BuiltImage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const docker = require("@pulumi/docker") as typeof dockerTypes;
  const registry = build.registry
    ? {
        server: build.registry.server,
        ...(build.registry.username !== undefined ? { username: build.registry.username } : {}),
        ...(build.registry.password !== undefined ? { password: pulumi.secret(build.registry.password) } : {}),
      }
    : undefined;
  return new docker.Image(
    name,
    {
      imageName: build.repository,
      build: {
        context: build.context,
        ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}),
        ...(build.target ? { target: build.target } : {}),
        ...(build.buildArgs ? { args: build.buildArgs } : {}),
        platform: build.platform ?? "linux/amd64",
      },
      ...(registry ? { registry } : {}),
    },
    { parent },
  );
}

/** The `CallerIdentity` of a service's pods running in `namespace`. */
export function callerIdentityOf(r: ResolvedWorkload, namespace: pulumi.Input<string>): pulumi.Output<CallerIdentity> {
  const podLabels = { ...r.selectorLabels };
  return pulumi.output(namespace).apply((ns) => ({ namespace: ns, podLabels }));
}

/** Creates the children of one service from its resolved description. */
export function createWorkload(r: ResolvedWorkload, o: WorkloadOptions): WorkloadChildren {
  const child = (extra?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({
    parent: o.parent,
    ...(o.provider ? { provider: o.provider } : {}),
    ...extra,
  });
  const def = r.definition;
  let image: BuiltImage | undefined;
  let imageRef: pulumi.Input<string>;
  if (o.imageRef !== undefined) imageRef = o.imageRef;
  else if (isImageBuild(def.image)) {
    image = buildImage(`${o.prefix}-image`, def.image, o.parent);
    imageRef = image.repoDigest;
  } else imageRef = def.image as pulumi.Input<string>;

  const serviceAccount = new k8s.core.v1.ServiceAccount(`${o.prefix}-sa`, withStableName(buildServiceAccount(r), o.scope, `${o.prefix}-sa`), child());
  const owned = ownedSecretEnv(r);
  const envSecret = Object.keys(owned).length
    ? new k8s.core.v1.Secret(
        `${o.prefix}-env`,
        withStableName(buildEnvSecret(r, Object.fromEntries(Object.entries(owned).map(([k, v]) => [k, pulumi.secret(v)]))), o.scope, `${o.prefix}-env`),
        child({ additionalSecretOutputs: ["data", "stringData"] }),
      )
    : undefined;
  const manifest = buildDeployment(
    r,
    {
      image: imageRef,
      serviceAccountName: serviceAccount.metadata.name,
      ...(envSecret ? { envSecretName: envSecret.metadata.name } : {}),
    },
    {
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
      ...(o.placement ? { placement: o.placement } : {}),
      ...(o.extraEnv ? { extraEnv: o.extraEnv } : {}),
    },
  );
  if (o.deploymentAnnotations) manifest.metadata.annotations = { ...o.deploymentAnnotations };
  const deployment = new k8s.apps.v1.Deployment(o.prefix, withStableName(manifest, o.scope, o.prefix) as k8s.apps.v1.DeploymentArgs, child(o.dependsOn ? { dependsOn: o.dependsOn } : {}));
  const namespace = deployment.metadata.namespace;

  const service = r.ports.length
    ? new k8s.core.v1.Service(
        o.prefix,
        withStableName(
          buildService(r, {
            ...(o.defaultTrafficDistribution ? { defaultTrafficDistribution: o.defaultTrafficDistribution } : {}),
            ...(o.serviceName ? { name: o.serviceName } : {}),
          }),
          o.scope,
          o.prefix,
        ) as k8s.core.v1.ServiceArgs,
        child(),
      )
    : undefined;
  const pdbManifest = buildDisruptionBudget(r);
  const disruptionBudget = pdbManifest
    ? new k8s.policy.v1.PodDisruptionBudget(`${o.prefix}-pdb`, withStableName(pdbManifest, o.scope, `${o.prefix}-pdb`), child())
    : undefined;
  const policyManifest = buildIngressPolicy(r, o.scrapers);
  const ingressPolicy = policyManifest
    ? new k8s.networking.v1.NetworkPolicy(`${o.prefix}-ingress`, withStableName(policyManifest, o.scope, `${o.prefix}-ingress`), child())
    : undefined;
  // Callee-side policies: only for targets that give a pod selector (services of this
  // stack, and ServiceRefs with `admitCallers`). No caller-side egress policy is needed:
  // the policies here are ingress-only.
  const callPolicies: k8s.networking.v1.NetworkPolicy[] = [];
  for (const call of r.calls) {
    const m = buildCallPolicy(r, call, namespace);
    const logical = `${o.prefix}-to-${call.target.logicalName}`;
    if (m) callPolicies.push(new k8s.networking.v1.NetworkPolicy(logical, withStableName(m, o.scope, logical), child()));
  }
  const routeManifest = service ? buildHttpRoute(r, service.metadata.name) : undefined;
  const route = routeManifest
    ? new k8s.apiextensions.CustomResource(`${o.prefix}-route`, withStableName(routeManifest, o.scope, `${o.prefix}-route`) as k8s.apiextensions.CustomResourceArgs, child())
    : undefined;
  return {
    ...(image ? { image } : {}),
    serviceAccount,
    ...(envSecret ? { envSecret } : {}),
    deployment,
    ...(service ? { service } : {}),
    ...(disruptionBudget ? { disruptionBudget } : {}),
    ...(ingressPolicy ? { ingressPolicy } : {}),
    callPolicies,
    ...(route ? { route } : {}),
    imageRef,
    callerIdentity: callerIdentityOf(r, namespace),
  };
}
