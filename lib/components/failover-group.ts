import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceDefinition } from "../model/workload-args";
import type { CallerIdentity } from "../model/workload-manifests";
import {
  type FailoverMemberSpec,
  type FailoverPolicyArgs,
  buildServiceExport,
  planFailover,
  validateFailover,
  zonalDisruptionBudget,
} from "../model/failover";
import { checkName } from "../model/names";
import { Problems } from "../model/problems";
import { validateServiceDefinition } from "../model/workload-validate";
import { isImageBuild, resolveWorkload } from "../model/workload-resolve";
import { hasBrand } from "./brand";
import { ServiceComponent, discovery } from "./service-component";
import { type MonitoringChildren, createMonitoring, effectiveMonitoring, scrapersOf } from "./monitoring-resources";
import { type WorkloadChildren, buildImage, createWorkload, throwIfInvalid } from "./workload-resources";

/** A cluster of a multi-cluster FailoverGroup. */
export interface FailoverMemberArgs extends FailoverMemberSpec {
  /** Kubernetes provider of the member's cluster. */
  readonly provider: k8s.Provider;
}

export interface FailoverGroupArgs extends FailoverPolicyArgs {
  /** The service run in every failure domain. */
  readonly service: ServiceDefinition;
  /** Clusters for active/standby failover; omit for zone failover in one cluster. */
  readonly members?: readonly FailoverMemberArgs[];
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

/** What FailoverGroup deploys into one failure domain (cluster). */
export interface FailoverMemberOutputs {
  readonly name: string;
  readonly active: boolean;
  readonly replicas: number;
  readonly workload: WorkloadChildren;
  readonly serviceExport?: k8s.apiextensions.CustomResource;
  /** ServiceMonitor and PrometheusRule in the member's cluster; undefined when monitoring is off. */
  readonly monitoring?: MonitoringChildren;
  /**
   * The member's pods as a NetworkPolicy of a service they call admits them:
   * `{ namespace, podLabels }` in the member's cluster (see `CallerIdentity`).
   */
  readonly callerIdentity: pulumi.Output<CallerIdentity>;
}

const TYPE = "switchyard:index:FailoverGroup";
export const ROLE_ANNOTATION = "switchyard.dev/failover-role";

export function validateFailoverGroup(name: string, args: FailoverGroupArgs): Problems {
  args ??= {} as FailoverGroupArgs; // plain-JS callers may omit the args
  const problems = new Problems();
  checkName(problems, "name", name, "");
  problems.addAll(validateServiceDefinition(args.service ?? ({} as ServiceDefinition), { requirePort: true, prefix: "service" }).list);
  problems.addAll(validateFailover(args, args.members, name).list);
  return problems;
}

/**
 * One service run across failure domains: zones of one cluster (hard spread,
 * PDB, zone-preferring traffic), or several clusters in active/standby where a
 * change of the active member promotes the new one before demoting the old.
 */
export class FailoverGroup extends ServiceComponent {
  readonly members: readonly FailoverMemberOutputs[];
  /** `<service>.<namespace>.svc.clusterset.local` when `exportService` is set. */
  readonly clustersetDnsName?: pulumi.Output<string>;
  /** Name of the active member ("" in zone mode); discovery outputs are the active member's. */
  readonly activeMember: string;

  static override isInstance(obj: unknown): obj is FailoverGroup {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: FailoverGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    throwIfInvalid(TYPE, name, validateFailoverGroup(name, args).list);
    const budget = args.service.disruptionBudget === undefined ? zonalDisruptionBudget(args, args.members) : undefined;
    const r = resolveWorkload(name, "failovergroup", budget ? { ...args.service, disruptionBudget: budget } : args.service);
    const monitoring = effectiveMonitoring(TYPE, name, args.service.monitoring, r);
    const scrapers = scrapersOf(monitoring);
    super(TYPE, name, opts);
    const plan = planFailover(args, args.members);
    const placement = { zones: plan.zones };
    // Members share one image build and one Service name (MCS merges Services by name).
    const built = isImageBuild(args.service.image) ? buildImage(`${name}-image`, args.service.image, this) : undefined;
    const serviceName = plan.multiCluster ? (args.service.service?.name ?? name) : undefined;
    const ordered = [...plan.members].sort((a, b) => Number(b.active) - Number(a.active));
    const members: FailoverMemberOutputs[] = [];
    let activeDeployment: k8s.apps.v1.Deployment | undefined;
    for (const m of ordered) {
      const provider = args.members?.find((x) => x.name === m.name)?.provider;
      const prefix = plan.multiCluster ? `${name}-${m.name}` : name;
      const workload = createWorkload(r, {
        prefix,
        parent: this,
        scope: `${TYPE}::${name}`,
        ...(provider ? { provider } : {}),
        replicas: m.replicas,
        placement,
        defaultTrafficDistribution: "PreferSameZone",
        ...(serviceName ? { serviceName } : {}),
        ...(built ? { imageRef: built.repoDigest } : {}),
        // Standbys change only after the active member is rolled out: promote before demote.
        ...(activeDeployment ? { dependsOn: [activeDeployment] } : {}),
        ...(plan.multiCluster ? { deploymentAnnotations: { [ROLE_ANNOTATION]: m.active ? "active" : "standby" } } : {}),
        ...(scrapers ? { scrapers } : {}),
      });
      if (m.active) activeDeployment = workload.deployment;
      const serviceExport =
        plan.exportService && workload.service
          ? new k8s.apiextensions.CustomResource(
              `${prefix}-export`,
              buildServiceExport(workload.service.metadata.name, args.service.namespace, r.labels) as k8s.apiextensions.CustomResourceArgs,
              { parent: this, ...(provider ? { provider } : {}) },
            )
          : undefined;
      const watched = createMonitoring(
        r,
        monitoring,
        {
          prefix,
          scope: `${TYPE}::${name}`,
          ...(plan.multiCluster ? { member: m.name } : {}),
          ...(args.service.namespace !== undefined ? { namespace: args.service.namespace } : {}),
          hasService: true,
          hasDisruptionBudget: workload.disruptionBudget !== undefined,
          replicas: m.replicas,
        },
        this,
        provider,
      );
      if (watched) this.monitoringTargets.push(watched.target);
      members.push({ name: m.name, active: m.active, replicas: m.replicas, workload, callerIdentity: workload.callerIdentity, ...(serviceExport ? { serviceExport } : {}), ...(watched ? { monitoring: watched } : {}) });
    }
    this.members = members;
    const active = members[0]!;
    this.activeMember = active.name;
    const d = discovery(r, active.workload.service!, args.clusterDomain);
    if (plan.exportService) this.clustersetDnsName = pulumi.interpolate`${d.serviceName}.${d.namespace}.svc.clusterset.local`;
    this.publish(d, {
      activeMember: this.activeMember,
      ...(this.clustersetDnsName ? { clustersetDnsName: this.clustersetDnsName } : {}),
    });
  }
}
