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
import {
  type ServiceEventsArgs,
  type ServiceEventsChildren,
  bindServiceEvents,
  createBrokerPolicy,
  createEventsSecret,
  declaresEvents,
  eventsChildren,
  eventsEnv,
  monitoredSubscriptions,
  validateServiceEvents,
  withTopicsAnnotation,
} from "../events/service-events";
import type { SubscriptionObjects } from "../events/subscription";

/** A cluster of a multi-cluster FailoverGroup. */
export interface FailoverMemberArgs extends FailoverMemberSpec {
  /** Kubernetes provider of the member's cluster. */
  readonly provider: k8s.Provider;
}

export interface FailoverGroupArgs extends FailoverPolicyArgs {
  /**
   * The service run in every failure domain, with the events it publishes and
   * subscribes to. A subscription is one durable consumer for the whole group:
   * every replica of every member (zone or cluster) is a competing consumer of
   * it, so the broker hands each message to one replica of the group and a
   * message is processed once, not once per member. Warm standbys consume too;
   * `standbyReplicas: 0` keeps standbys idle until promoted. The subscriptions'
   * broker objects, the group's broker identity (Kafka/RabbitMQ user) and the
   * NetworkPolicy admitting the group's pods to the broker are created once,
   * with the group's own Kubernetes provider (give the group the provider of
   * the broker's cluster); each member gets its own events Secret and
   * `EVENTS_*` variables in its cluster. A NetworkPolicy admits pods of its own
   * cluster only: members in other clusters reach the broker through whatever
   * cross-cluster path you provide.
   */
  readonly service: ServiceDefinition & ServiceEventsArgs;
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
  /** The member's events Secret (broker URL and credentials) in its cluster; undefined when the service declares no events. */
  readonly eventsSecret?: k8s.core.v1.Secret;
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
  problems.addAll(validateServiceEvents(name, args.service ?? ({} as ServiceDefinition), { prefix: "service", kind: "A FailoverGroup", injector: "FailoverGroup" }).list);
  return problems;
}

/**
 * One service run across failure domains: zones of one cluster (hard spread,
 * PDB, zone-preferring traffic), or several clusters in active/standby where a
 * change of the active member promotes the new one before demoting the old.
 * With `service.publishes`/`service.subscribes` every member publishes and
 * consumes; the members share one durable consumer per subscription (see
 * `FailoverGroupArgs.service`).
 */
export class FailoverGroup extends ServiceComponent {
  readonly members: readonly FailoverMemberOutputs[];
  /** `<service>.<namespace>.svc.clusterset.local` when `exportService` is set. */
  readonly clustersetDnsName?: pulumi.Output<string>;
  /** Name of the active member ("" in zone mode); discovery outputs are the active member's. */
  readonly activeMember: string;
  /** One record per `service.subscribes` entry (empty without), shared by every member. */
  readonly subscriptions: readonly SubscriptionObjects[];
  /** The broker-side objects, once for the group; undefined when the service declares no events. */
  readonly events?: ServiceEventsChildren;

  static override isInstance(obj: unknown): obj is FailoverGroup {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: FailoverGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    throwIfInvalid(TYPE, name, validateFailoverGroup(name, args).list);
    const budget = args.service.disruptionBudget === undefined ? zonalDisruptionBudget(args, args.members) : undefined;
    const r = resolveWorkload(name, "failovergroup", withTopicsAnnotation(budget ? { ...args.service, disruptionBudget: budget } : args.service));
    const monitoring = effectiveMonitoring(TYPE, name, args.service.monitoring, r);
    const scrapers = scrapersOf(monitoring);
    super(TYPE, name, opts);
    const plan = planFailover(args, args.members);
    const placement = { zones: plan.zones };
    // Members share one image build and one Service name (MCS merges Services by name).
    const built = isImageBuild(args.service.image) ? buildImage(`${name}-image`, args.service.image, this) : undefined;
    const serviceName = plan.multiCluster ? (args.service.service?.name ?? name) : undefined;
    const ordered = [...plan.members].sort((a, b) => Number(b.active) - Number(a.active));
    const scope = `${TYPE}::${name}`;
    // Broker side, once for the group (the group's provider): one durable consumer per subscription, one identity.
    const bound = declaresEvents(args.service) ? bindServiceEvents(this, name, r.component, args.service) : undefined;
    const members: FailoverMemberOutputs[] = [];
    let activeDeployment: k8s.apps.v1.Deployment | undefined;
    for (const m of ordered) {
      const provider = args.members?.find((x) => x.name === m.name)?.provider;
      const prefix = plan.multiCluster ? `${name}-${m.name}` : name;
      const eventsSecret = bound ? createEventsSecret(bound, r, args.service.namespace, { prefix, parent: this, scope, ...(provider ? { provider } : {}) }) : undefined;
      const dependsOn = [...(activeDeployment ? [activeDeployment] : []), ...(bound?.resources ?? [])];
      const workload = createWorkload(r, {
        prefix,
        parent: this,
        scope,
        ...(provider ? { provider } : {}),
        replicas: m.replicas,
        placement,
        defaultTrafficDistribution: "PreferSameZone",
        ...(serviceName ? { serviceName } : {}),
        ...(built ? { imageRef: built.repoDigest } : {}),
        // Standbys change only after the active member is rolled out: promote before demote.
        // Pods start once their durable consumers exist.
        ...(dependsOn.length ? { dependsOn } : {}),
        ...(bound && eventsSecret ? { extraEnv: eventsEnv(bound, eventsSecret.metadata.name) } : {}),
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
          scope,
          ...(plan.multiCluster ? { member: m.name } : {}),
          ...(args.service.namespace !== undefined ? { namespace: args.service.namespace } : {}),
          hasService: true,
          hasDisruptionBudget: workload.disruptionBudget !== undefined,
          replicas: m.replicas,
          // The subscriptions' alerts once, with the active member: the consumer is the group's.
          ...(m.active && bound?.subscriptions.length ? { subscriptions: monitoredSubscriptions(bound) } : {}),
        },
        this,
        provider,
      );
      if (watched) this.monitoringTargets.push(watched.target);
      members.push({
        name: m.name,
        active: m.active,
        replicas: m.replicas,
        workload,
        callerIdentity: workload.callerIdentity,
        ...(eventsSecret ? { eventsSecret } : {}),
        ...(serviceExport ? { serviceExport } : {}),
        ...(watched ? { monitoring: watched } : {}),
      });
    }
    this.members = members;
    const active = members[0]!;
    this.activeMember = active.name;
    this.subscriptions = bound?.subscriptions ?? [];
    if (bound) this.events = eventsChildren(bound, createBrokerPolicy(bound, r, active.workload.deployment.metadata.namespace, { prefix: name, parent: this, scope }));
    const d = discovery(r, active.workload.service!, args.clusterDomain);
    if (plan.exportService) this.clustersetDnsName = pulumi.interpolate`${d.serviceName}.${d.namespace}.svc.clusterset.local`;
    this.publish(d, {
      activeMember: this.activeMember,
      ...(this.clustersetDnsName ? { clustersetDnsName: this.clustersetDnsName } : {}),
    });
  }
}
