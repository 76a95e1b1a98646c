import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { CallTarget, ServiceDefinition } from "../model/workload-args";
import type { CallerIdentity } from "../model/workload-manifests";
import { checkName } from "../model/names";
import { Problems, show } from "../model/problems";
import { validateServiceDefinition } from "../model/workload-validate";
import { resolveWorkload } from "../model/workload-resolve";
import { BRAND, hasBrand } from "../components/brand";
import { discovery } from "../components/service-component";
import { type MonitoringChildren, createMonitoring, effectiveMonitoring, scrapersOf } from "../components/monitoring-resources";
import { type WorkloadChildren, createWorkload, stableName, throwIfInvalid, withStableName } from "../components/workload-resources";
import type { MonitoredWorkload } from "../observability/targets";
import { BROKER_TITLES } from "./contract";
import { EVENT_ENV } from "./event-env";
import { type EventScalingArgs, type LagSource, buildScaledObject, buildTrigger, buildTriggerAuthentication, resolveScaling, validateScaling } from "./keda";
import {
  type ServiceEventsArgs,
  type ServiceEventsChildren,
  bindServiceEvents,
  createBrokerPolicy,
  createEventsSecret,
  durableOf,
  eventsChildren,
  eventsEnv,
  monitoredSubscriptions,
  validateServiceEvents,
  withTopicsAnnotation,
} from "./service-events";
import type { SubscriptionObjects } from "./subscription";

export type { PublishArgs, SubscribeArgs } from "./service-events";

const TYPE = "switchyard:index:EventService";

export interface EventServiceArgs extends ServiceDefinition, ServiceEventsArgs {
  /** Scale on the backlog with a KEDA ScaledObject; KEDA then owns `spec.replicas`. @default - fixed `replicas` */
  readonly scaling?: EventScalingArgs;
  /** Fixed replica count when `scaling` is unset. @default 1 */
  readonly replicas?: number;
  /** What the service does, for the AsyncAPI document and diagram. */
  readonly description?: string;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

/** Every problem of an EventService's arguments, before anything is created. */
export function validateEventService(name: string, args: EventServiceArgs): Problems {
  const problems = new Problems();
  checkName(problems, "name", name, "-scaler-auth");
  problems.addAll(validateServiceDefinition(args, { requirePort: false }).list);
  problems.addAll(validateServiceEvents(name, args, { kind: "An EventService", injector: "EventService", alwaysInjects: true }).list);
  const subs = args.subscribes ?? [];
  if (args.scaling) {
    if (args.replicas !== undefined) {
      problems.add("replicas", `\`replicas\` (${args.replicas}) and \`scaling\` are both set; with \`scaling\` KEDA owns the replica count. Remove \`replicas\`.`);
    }
    const scalable = subs.filter((s) => s.topic?.spec).map((s) => ({ durableName: durableOf(name, s), topic: s.topic.spec, ordered: s.ordered ?? false }));
    const sub = subs.find((s) => durableOf(name, s) === (args.scaling!.subscription ?? scalable[0]?.durableName));
    const broker = sub?.topic?.broker;
    const pdb = args.disruptionBudget;
    problems.addAll(
      validateScaling(args.scaling, scalable, {
        lagReadable: broker?.kind !== "nats" || broker.nats?.monitoringEndpoint !== undefined,
        brokerName: broker?.logicalName ?? "",
        ...(pdb && pdb.minAvailable !== undefined ? { minAvailable: pdb.minAvailable } : {}),
      }).list,
    );
  } else if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 0)) {
    problems.add("replicas", `\`replicas\` (${show(args.replicas)}) must be a whole number >= 0.`);
  }
  return problems;
}

/**
 * A service that reacts to events and scales on its backlog: the workload
 * layer's Deployment (secure defaults, PDB, ingress policy), the events every
 * service kind may declare (durable subscriptions, published topics, broker
 * address and credentials from its own Secret, a NetworkPolicy that admits it
 * to its broker), and optionally a KEDA ScaledObject scaling it on the backlog
 * of one subscription (down to zero). A service scaled on CPU that consumes
 * events is an `AutoScaledService` with `subscribes`.
 */
export class EventService extends pulumi.ComponentResource implements CallTarget {
  declare readonly [BRAND]: string;
  readonly workload: WorkloadChildren;
  readonly deployment: k8s.apps.v1.Deployment;
  /**
   * One record per `subscribes` entry: its delivery contract and broker
   * objects (named `<service>-<durable name>`), which are children of this
   * service.
   */
  readonly subscriptions: readonly SubscriptionObjects[];
  /** The broker-side objects (`subscriptions`, `brokerPolicy`, the broker identity), as every service kind exposes them. */
  readonly events: ServiceEventsChildren;
  readonly eventsSecret: k8s.core.v1.Secret;
  readonly brokerPolicy?: k8s.networking.v1.NetworkPolicy;
  readonly scaledObject?: k8s.apiextensions.CustomResource;
  readonly triggerAuthentication?: k8s.apiextensions.CustomResource;
  readonly kafkaUser?: k8s.apiextensions.CustomResource;
  readonly rabbitUser?: k8s.apiextensions.CustomResource;
  readonly rabbitPermission?: k8s.apiextensions.CustomResource;
  readonly logicalName: string;
  readonly port: number | undefined;
  readonly podPort: string | undefined;
  readonly serviceName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  /**
   * What another namespace's owner admits to let this service call theirs:
   * its namespace and pod labels (see `ServiceRef.admitCallers`).
   */
  readonly callerIdentity: pulumi.Output<CallerIdentity>;
  readonly podSelector: Record<string, string>;
  /** ServiceMonitor (when the service has a port) and PrometheusRule; undefined when monitoring is off. */
  readonly monitoring?: MonitoringChildren;
  /** What monitoring knows about the service; `StackDashboard` shows it. */
  readonly monitoringTargets: pulumi.Output<MonitoredWorkload>[] = [];

  static override isInstance(obj: unknown): obj is EventService {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: EventServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    throwIfInvalid(TYPE, name, validateEventService(name, args).list);
    const r = resolveWorkload(name, "eventservice", withTopicsAnnotation(args));
    const monitoring = effectiveMonitoring(TYPE, name, args.monitoring, r);
    super(TYPE, name, {}, opts);
    const scope = `${TYPE}::${name}`;
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    this.logicalName = name;

    // Up to 8b22bf3 the subscriptions' objects were children of a Subscription component; the alias keeps them in place.
    const bound = bindServiceEvents(this, name, r.component, args, { ...(args.description !== undefined ? { description: args.description } : {}), aliasSubscriptions: true });
    const { broker, node } = bound;
    this.subscriptions = bound.subscriptions;
    const subscriptionObjects = bound.resources;
    this.kafkaUser = bound.kafkaUser;
    this.rabbitUser = bound.rabbitUser;
    this.rabbitPermission = bound.rabbitPermission;
    // Auto-named, not stable-named, as deployed before: a new name would replace the Secret.
    const at = { prefix: name, parent: this };
    this.eventsSecret = createEventsSecret(bound, r, args.namespace, at);
    const scaled = args.scaling !== undefined;
    const scrapers = scrapersOf(monitoring);
    this.workload = createWorkload(r, {
      prefix: name,
      parent: this,
      scope,
      ...(scrapers ? { scrapers } : {}),
      ...(scaled ? {} : { replicas: args.replicas ?? 1 }),
      extraEnv: eventsEnv(bound, this.eventsSecret.metadata.name),
      dependsOn: [...subscriptionObjects],
    });
    this.deployment = this.workload.deployment;
    const namespace = this.deployment.metadata.namespace;
    this.brokerPolicy = createBrokerPolicy(bound, r, namespace, at);
    this.events = eventsChildren(bound, this.brokerPolicy);

    let autoscaler: { kind: "keda"; name: string; minReplicas: number; maxReplicas: number } | undefined;
    let capacity: { durableName: string; messages: number } | undefined;
    if (args.scaling && broker && node) {
      const scaling = resolveScaling(args.scaling, this.subscriptions.map((s) => ({ durableName: s.contract.durableName, topic: s.topic.spec, ordered: s.contract.ordered })));
      node.scaling = { durableName: scaling.subscription, minReplicas: scaling.minReplicas, maxReplicas: scaling.maxReplicas };
      const sub = this.subscriptions.find((s) => s.contract.durableName === scaling.subscription)!;
      const source: LagSource =
        broker.kind === "nats"
          ? { kind: "nats", monitoringEndpoint: broker.nats!.monitoringEndpoint!, stream: sub.topic.topicName, consumer: sub.consumerName }
          : broker.kind === "kafka"
            ? { kind: "kafka", bootstrapServers: broker.endpoint, topic: sub.topic.topicName, group: sub.consumerName, startAt: sub.contract.startAt }
            : { kind: "rabbitmq", queue: sub.consumerName };
      const target = { ...(args.namespace !== undefined ? { namespace: args.namespace } : {}), labels: { ...r.labels } };
      if (broker.kind !== "nats") {
        this.triggerAuthentication = new k8s.apiextensions.CustomResource(
          `${name}-scaler-auth`,
          buildTriggerAuthentication(broker.kind, this.eventsSecret.metadata.name, { username: EVENT_ENV.username, password: EVENT_ENV.password }, target) as k8s.apiextensions.CustomResourceArgs,
          { parent: this },
        );
      }
      // A stable name: KEDA names its HorizontalPodAutoscaler after it, and the alerts select that HPA.
      this.scaledObject = new k8s.apiextensions.CustomResource(
        `${name}-scaler`,
        withStableName(
          buildScaledObject(scaling, { ...target, deploymentName: this.deployment.metadata.name }, buildTrigger(scaling, source, this.triggerAuthentication?.metadata.name)),
          scope,
          `${name}-scaler`,
        ) as k8s.apiextensions.CustomResourceArgs,
        { parent: this, dependsOn: [...subscriptionObjects] },
      );
      autoscaler = { kind: "keda", name: `keda-hpa-${stableName(scope, `${name}-scaler`)}`, minReplicas: scaling.minReplicas, maxReplicas: scaling.maxReplicas };
      capacity = { durableName: scaling.subscription, messages: scaling.lagPerReplica * scaling.maxReplicas };
    }

    const watched = createMonitoring(
      r,
      monitoring,
      {
        prefix: name,
        scope,
        ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
        hasService: this.workload.service !== undefined,
        hasDisruptionBudget: this.workload.disruptionBudget !== undefined,
        ...(autoscaler ? { autoscaler } : { replicas: args.replicas ?? 1 }),
        subscriptions: monitoredSubscriptions(bound, capacity),
      },
      this,
    );
    if (watched) {
      this.monitoring = watched;
      this.monitoringTargets.push(watched.target);
    }

    this.podSelector = r.selectorLabels;
    if (this.workload.service && r.ports.length) {
      const d = discovery(r, this.workload.service, args.clusterDomain);
      this.port = d.port;
      this.podPort = d.podPort;
      this.serviceName = d.serviceName;
      this.namespace = d.namespace;
      this.endpoint = d.endpoint;
    } else {
      this.port = undefined;
      this.podPort = undefined;
      this.serviceName = pulumi.output("");
      this.namespace = namespace;
      this.endpoint = pulumi.output("");
    }
    this.callerIdentity = this.workload.callerIdentity;
    this.registerOutputs({ namespace: this.namespace, callerIdentity: this.callerIdentity, broker: broker ? BROKER_TITLES[broker.kind] : "" });
  }
}
