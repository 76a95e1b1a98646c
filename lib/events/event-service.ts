import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { CallTarget, ServiceDefinition } from "../model/workload-args";
import { type CallerIdentity, buildCallPolicy } from "../model/workload-manifests";
import { AUTONAME_SUFFIX_LENGTH, MAX_NAME_LENGTH, checkName } from "../model/names";
import { Problems, show } from "../model/problems";
import { validateServiceDefinition } from "../model/workload-validate";
import { resolveWorkload } from "../model/workload-resolve";
import { BRAND, hasBrand } from "../components/brand";
import { discovery } from "../components/service-component";
import { type MonitoringChildren, createMonitoring, effectiveMonitoring, scrapersOf } from "../components/monitoring-resources";
import { type WorkloadChildren, createWorkload, stableName, throwIfInvalid, withStableName } from "../components/workload-resources";
import { TOPICS_ANNOTATION } from "../model/workload-resolve";
import type { MonitoredSubscription, MonitoredWorkload } from "../observability/targets";
import { BROKER_TITLES } from "./contract";
import { topicCaptures } from "./delivery";
import { EVENT_ENV, EVENT_ENV_PREFIX, brokerEnv, publishEnv, subscriptionEnv } from "./event-env";
import type { ServiceNode } from "./graph";
import { type EventScalingArgs, type LagSource, buildScaledObject, buildTrigger, buildTriggerAuthentication, resolveScaling, validateScaling } from "./keda";
import { createServiceCredentials } from "./service-credentials";
import { SUBSCRIPTION_OWNER, SUBSCRIPTION_SUFFIX, SUBSCRIPTION_TYPE, type SubscriptionArgs, type SubscriptionObjects, createSubscriptionObjects, validateSubscription } from "./subscription";
import { Topic } from "./topic";

const TYPE = "switchyard:index:EventService";

/** One subscription of the service: a topic and its delivery contract. */
export type SubscribeArgs = Omit<SubscriptionArgs, typeof SUBSCRIPTION_OWNER | "description">;

/** A topic the service publishes to, optionally narrowed to some subjects. */
export type PublishArgs = Topic | { readonly topic: Topic; readonly subjects?: readonly string[] };

export interface EventServiceArgs extends ServiceDefinition {
  /**
   * Durable subscriptions; each creates a Subscription child named
   * `<name>-<durableName>`. The durable name defaults to `<name>-<topic>`.
   */
  readonly subscribes?: readonly SubscribeArgs[];
  readonly publishes?: readonly PublishArgs[];
  /** Scale on the backlog with a KEDA ScaledObject; KEDA then owns `spec.replicas`. @default - fixed `replicas` */
  readonly scaling?: EventScalingArgs;
  /** Fixed replica count when `scaling` is unset. @default 1 */
  readonly replicas?: number;
  /** What the service does, for the AsyncAPI document and diagram. */
  readonly description?: string;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

function publishTopic(p: PublishArgs): { topic: Topic; subjects: readonly string[] } {
  return Topic.isInstance(p) ? { topic: p, subjects: [] } : { topic: p.topic, subjects: p.subjects ?? [] };
}

function durableOf(name: string, s: SubscribeArgs): string {
  return s.durableName ?? `${name}-${s.topic?.logicalName ?? "topic"}`;
}

/** Name of a subscription's broker objects: `<service>-<durable name>`. */
function subscriptionName(name: string, s: SubscribeArgs): string {
  return `${name}-${durableOf(name, s)}`;
}

/** Every problem of an EventService's arguments, before anything is created. */
export function validateEventService(name: string, args: EventServiceArgs): Problems {
  const problems = new Problems();
  checkName(problems, "name", name, "-scaler-auth");
  problems.addAll(validateServiceDefinition(args, { requirePort: false }).list);
  for (const key of Object.keys({ ...(args.env ?? {}), ...(args.secretEnv ?? {}) })) {
    if (key.startsWith(EVENT_ENV_PREFIX)) {
      const prop = args.env && key in args.env ? `env.${key}` : `secretEnv.${key}`;
      problems.add(prop, `\`${prop}\` uses the prefix ${show(EVENT_ENV_PREFIX)}, which EventService reserves for the variables it injects. Rename it.`);
    }
  }
  const subs = args.subscribes ?? [];
  const pubs = (args.publishes ?? []).map(publishTopic);
  const brokers = new Map<string, string>();
  const noteBroker = (topic: Topic | undefined, property: string) => {
    if (!topic?.broker) return;
    const first = [...brokers.entries()][0];
    if (first && first[0] !== topic.broker.logicalName) {
      problems.add(property, `\`${property}\` (${show(topic.logicalName)}) is on broker ${show(topic.broker.logicalName)}, but \`${first[1]}\` is on ${show(first[0])}. An EventService talks to one broker; split it into one service per broker.`);
    } else if (!first) brokers.set(topic.broker.logicalName, property);
  };
  const durables = new Set<string>();
  subs.forEach((s, i) => {
    const prefix = `subscribes[${i}]`;
    const durable = durableOf(name, s);
    problems.addAll(validateSubscription(s, durable, prefix).list);
    noteBroker(s.topic, `${prefix}.topic`);
    const objectName = subscriptionName(name, s);
    const longest = objectName.length + SUBSCRIPTION_SUFFIX.length + AUTONAME_SUFFIX_LENGTH;
    const room = MAX_NAME_LENGTH - AUTONAME_SUFFIX_LENGTH - SUBSCRIPTION_SUFFIX.length - name.length - 1;
    if (longest > MAX_NAME_LENGTH) {
      const property = s.durableName !== undefined ? `${prefix}.durableName` : `${prefix}.topic`;
      problems.add(
        property,
        `\`${prefix}\` names its broker objects ${show(objectName)} (service name + "-" + durable name ${show(durable)}); the longest ("${objectName}${SUBSCRIPTION_SUFFIX}" plus the ${AUTONAME_SUFFIX_LENGTH}-character auto-name suffix) would be ${longest} > ${MAX_NAME_LENGTH}. ${
          room > 0 ? `Set a \`durableName\` of ${room} characters or fewer, or shorten the service name.` : "Shorten the service name: no durable name fits after it."
        }`,
      );
    }
    if (durables.has(durable)) {
      problems.add(`${prefix}.durableName`, `\`${prefix}.durableName\` (${show(durable)}) is used by two subscriptions of this service. Give each its own durable name.`);
    }
    durables.add(durable);
  });
  pubs.forEach(({ topic, subjects }, i) => {
    const prefix = `publishes[${i}]`;
    if (!topic?.spec) {
      problems.add(prefix, `\`${prefix}\` must be a Topic or { topic, subjects }.`);
      return;
    }
    noteBroker(topic, prefix);
    if (subjects.length && topic.spec.broker.kind === "kafka") {
      problems.add(`${prefix}.subjects`, `\`${prefix}.subjects\` does not apply to Kafka topic ${show(topic.logicalName)}. Remove it.`);
    }
    subjects.forEach((subject, j) => {
      if (topic.spec.broker.kind !== "kafka" && !topicCaptures(topic.spec, subject)) {
        problems.add(`${prefix}.subjects[${j}]`, `\`${prefix}.subjects[${j}]\` (${show(subject)}) is not captured by topic ${show(topic.logicalName)} (subjects: ${topic.spec.subjects.map((x) => show(x)).join(", ")}), so messages published on it would be lost. Publish within the topic's subjects, or add the subject to the topic.`);
      }
    });
  });
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
  const graph = subs[0]?.topic?.broker?.graph ?? pubs[0]?.topic?.broker?.graph;
  if (graph) problems.addAll(graph.checkService(name).list);
  return problems;
}

/**
 * A service that reacts to events: the workload layer's Deployment (secure
 * defaults, PDB, ingress policy) plus one durable Subscription per
 * `subscribes` entry, broker address and credentials injected from its own
 * Secret, a NetworkPolicy that admits it to its broker, and optionally a KEDA
 * ScaledObject scaling it on backlog (down to zero).
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
    const subs = args.subscribes ?? [];
    const pubs = (args.publishes ?? []).map(publishTopic);
    // Log pipelines select an event service's logs by topic through this pod annotation.
    const topics = [...new Set([...subs.map((s) => s.topic.logicalName), ...pubs.map((p) => p.topic.logicalName)])];
    const r = resolveWorkload(name, "eventservice", topics.length ? { ...args, podAnnotations: { [TOPICS_ANNOTATION]: topics.join(","), ...(args.podAnnotations ?? {}) } } : args);
    const monitoring = effectiveMonitoring(TYPE, name, args.monitoring, r);
    super(TYPE, name, {}, opts);
    const scope = `${TYPE}::${name}`;
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    const broker = subs[0]?.topic.broker ?? pubs[0]?.topic.broker;
    const graph = broker?.graph;
    const node: ServiceNode | undefined = graph?.addService(name, "service", args.description);
    if (graph && node) for (const p of pubs) graph.addPublisher(node, p.topic.spec, p.subjects);
    this.logicalName = name;

    // Children of the service itself: a component per subscription would cost
    // the Pulumi SDK and engine about as much as another object. Up to 8b22bf3 they
    // were children of a Subscription component; the alias keeps them in place.
    this.subscriptions = subs.map((s) => {
      const { durableName: _unused, ...rest } = s;
      const subName = subscriptionName(name, s);
      return createSubscriptionObjects(subName, { ...rest, durableName: durableOf(name, s), [SUBSCRIPTION_OWNER]: node }, this, pulumi.createUrn(subName, SUBSCRIPTION_TYPE, this));
    });
    const subscriptionObjects = this.subscriptions.flatMap((s) => s.resources);

    const creds = broker ? createServiceCredentials(this, name, broker, this.subscriptions, pubs.map((p) => p.topic)) : undefined;
    const secretData: Record<string, pulumi.Input<string>> = creds ? { ...creds.secretData } : {};
    this.kafkaUser = creds?.kafkaUser;
    this.rabbitUser = creds?.rabbitUser;
    this.rabbitPermission = creds?.rabbitPermission;
    this.eventsSecret = new k8s.core.v1.Secret(
      `${name}-events`,
      {
        metadata: { ...(args.namespace !== undefined ? { namespace: args.namespace } : {}), labels: { ...r.labels } },
        type: "Opaque",
        stringData: pulumi.secret(secretData),
      },
      { parent: this, additionalSecretOutputs: ["data", "stringData"] },
    );
    const extraEnv = [
      ...(broker ? brokerEnv(broker.kind, this.eventsSecret.metadata.name, creds?.hasCredentials ?? false) : []),
      { name: EVENT_ENV.subscriptions, value: this.subscriptions.map((s) => s.contract.durableName).join(",") },
      { name: EVENT_ENV.publishes, value: pubs.map((p) => p.topic.logicalName).join(",") },
      ...this.subscriptions.flatMap((s) => {
        const d = s.derived;
        const extra =
          d.kind === "kafka"
            ? { retryTopics: d.settings.retryTopics, ...(d.settings.deadLetterTopic ? { deadLetter: d.settings.deadLetterTopic } : {}) }
            : d.kind === "nats"
              ? d.settings.deadLetterSubject ? { deadLetter: d.settings.deadLetterSubject } : {}
              : s.contract.deadLetter ? { deadLetter: s.contract.deadLetter.name } : {};
        return subscriptionEnv(s.contract, s.topic.spec, s.consumerName, d.settings.retries, extra);
      }),
      ...pubs.flatMap((p) => publishEnv(p.topic.spec, p.subjects)),
    ];
    const scaled = args.scaling !== undefined;
    const scrapers = scrapersOf(monitoring);
    this.workload = createWorkload(r, {
      prefix: name,
      parent: this,
      scope,
      ...(scrapers ? { scrapers } : {}),
      ...(scaled ? {} : { replicas: args.replicas ?? 1 }),
      extraEnv,
      dependsOn: subscriptionObjects,
    });
    this.deployment = this.workload.deployment;
    const namespace = this.deployment.metadata.namespace;

    if (broker?.clientAccess.podSelector) {
      const target: CallTarget = {
        logicalName: broker.logicalName,
        port: broker.clientAccess.port,
        podPort: broker.clientAccess.port,
        serviceName: broker.logicalName,
        namespace: broker.namespace,
        endpoint: broker.endpoint,
        podSelector: broker.clientAccess.podSelector,
      };
      this.brokerPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-to-${broker.logicalName}`,
        buildCallPolicy(r, { target, env: "" }, namespace)! as k8s.networking.v1.NetworkPolicyArgs,
        { parent: this },
      );
    }

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
        { parent: this, dependsOn: subscriptionObjects },
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
        subscriptions: this.subscriptions.map(
          (s): MonitoredSubscription => ({
            durableName: s.contract.durableName,
            broker: s.topic.spec.broker.kind,
            topic: s.topic.topicName,
            consumer: s.consumerName,
            ...(capacity?.durableName === s.contract.durableName ? { capacity: capacity.messages } : {}),
            ...(s.contract.deadLetter ? { deadLetter: s.contract.deadLetter.name } : {}),
          }),
        ),
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

