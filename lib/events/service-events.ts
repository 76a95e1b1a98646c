import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { CallTarget, ServiceDefinition } from "../model/workload-args";
import { type Manifest, buildCallPolicy } from "../model/workload-manifests";
import { AUTONAME_SUFFIX_LENGTH, MAX_NAME_LENGTH, envStem } from "../model/names";
import { Problems, show } from "../model/problems";
import { type ResolvedWorkload, TOPICS_ANNOTATION, normalizeCall } from "../model/workload-resolve";
import type { MonitoredSubscription } from "../observability/targets";
import { withStableName } from "../components/workload-resources";
import type { EventBroker } from "./broker";
import { topicCaptures } from "./delivery";
import { EVENT_ENV, EVENT_ENV_PREFIX, brokerEnv, publishEnv, publishEnvStem, subscriptionEnv, subscriptionEnvStem } from "./event-env";
import type { EventGraphModel, ServiceNode } from "./graph";
import { type ServiceCredentials, createServiceCredentials } from "./service-credentials";
import { SUBSCRIPTION_OWNER, SUBSCRIPTION_SUFFIX, SUBSCRIPTION_TYPE, type SubscriptionArgs, type SubscriptionObjects, createSubscriptionObjects, validateSubscription } from "./subscription";
import { Topic } from "./topic";

/**
 * Events as a capability of every service kind: `publishes` and `subscribes`
 * on AutoScaledService, FailoverGroup and EventService, and what they bring —
 * the service's place in the event graph, its durable subscriptions' broker
 * objects, its broker identity, its events Secret and `EVENTS_*` variables,
 * and the network path to the broker. Each component calls these functions;
 * only EventService adds backlog scaling.
 */

/** One subscription of a service: a topic and its delivery contract. */
export type SubscribeArgs = Omit<SubscriptionArgs, typeof SUBSCRIPTION_OWNER | "description">;

/** A topic the service publishes to, optionally narrowed to some subjects. */
export type PublishArgs = Topic | { readonly topic: Topic; readonly subjects?: readonly string[] };

/** What a service of any kind declares about events. All its topics must be on one broker. */
export interface ServiceEventsArgs {
  /**
   * Durable subscriptions. Each is a durable consumer on the topic's broker (a
   * JetStream `Consumer`; a RabbitMQ `Queue` with its `Binding`s and `Policy`;
   * Kafka retry topics for the consumer group), created as children of the
   * service and named `<service>-<durable name>`; the container gets
   * `EVENTS_SUB_<DURABLE>_*`. The durable name defaults to `<service>-<topic>`.
   * @default - none
   */
  readonly subscribes?: readonly SubscribeArgs[];
  /**
   * Topics the service publishes to, optionally narrowed to subjects the topic
   * captures. The container gets `EVENTS_PUB_<TOPIC>_*`, the service's broker
   * identity may write the topic (Kafka ACLs, RabbitMQ permissions), and the
   * event graph records a `send` operation, so a subscription to the topic
   * needs no `external`.
   * @default - none
   */
  readonly publishes?: readonly PublishArgs[];
}

/** The broker-side objects of a service that declares events, created once per service. */
export interface ServiceEventsChildren {
  /** One record per `subscribes` entry: its delivery contract and broker objects (named `<service>-<durable name>`). */
  readonly subscriptions: readonly SubscriptionObjects[];
  /** NetworkPolicy in the broker's namespace admitting the service's pods to the broker's client port; only for a broker whose pods this stack knows. */
  readonly brokerPolicy?: k8s.networking.v1.NetworkPolicy;
  /** Kafka: the service's `KafkaUser` (SCRAM-SHA-512, the ACLs of its topics and groups). */
  readonly kafkaUser?: k8s.apiextensions.CustomResource;
  /** RabbitMQ: the service's `User`. */
  readonly rabbitUser?: k8s.apiextensions.CustomResource;
  /** RabbitMQ: the service's `Permission` (write its exchanges, read its queues). */
  readonly rabbitPermission?: k8s.apiextensions.CustomResource;
}

export interface PublishedTopic {
  readonly topic: Topic;
  readonly subjects: readonly string[];
}

export function publishedTopic(p: PublishArgs): PublishedTopic {
  return Topic.isInstance(p) ? { topic: p, subjects: [] } : { topic: p.topic, subjects: p.subjects ?? [] };
}

/** The durable name of a subscription: its own, or `<service>-<topic>`. */
export function durableOf(name: string, s: SubscribeArgs): string {
  return s.durableName ?? `${name}-${s.topic?.logicalName ?? "topic"}`;
}

/** Name of a subscription's broker objects: `<service>-<durable name>`. */
export function subscriptionName(name: string, s: SubscribeArgs): string {
  return `${name}-${durableOf(name, s)}`;
}

/** True when the service declares at least one subscription or published topic. */
export function declaresEvents(args: ServiceEventsArgs): boolean {
  return (args.subscribes?.length ?? 0) > 0 || (args.publishes?.length ?? 0) > 0;
}

/** The definition with pod annotation `switchyard.dev/topics` (the topics' logical names), so log pipelines select a service's logs by topic. */
export function withTopicsAnnotation<T extends ServiceDefinition & ServiceEventsArgs>(def: T): T {
  const topics = [...new Set([...(def.subscribes ?? []).map((s) => s.topic.logicalName), ...(def.publishes ?? []).map((p) => publishedTopic(p).topic.logicalName)])];
  return topics.length ? { ...def, podAnnotations: { [TOPICS_ANNOTATION]: topics.join(","), ...(def.podAnnotations ?? {}) } } : def;
}

/** How a component's events are validated. */
export interface ServiceEventsCheck {
  /** Argument path of the definition, e.g. `service` (FailoverGroup); none at the top level. */
  readonly prefix?: string;
  /** The component kind with its article, for messages: "An EventService". */
  readonly kind: string;
  /** The type that injects the variables, for messages: "EventService". */
  readonly injector: string;
  /** Reserve the `EVENTS_` prefix even when no topic is declared (EventService always injects its variables). */
  readonly alwaysInjects?: boolean;
}

/** The event graph a service's topics are in (undefined without topics). */
function graphOf(subs: readonly SubscribeArgs[], pubs: readonly PublishedTopic[]): EventGraphModel | undefined {
  return subs[0]?.topic?.broker?.graph ?? pubs[0]?.topic?.broker?.graph;
}

/** Every problem of a service's `publishes` and `subscribes` (and its env names), before anything is created. */
export function validateServiceEvents(name: string, def: ServiceDefinition & ServiceEventsArgs, o: ServiceEventsCheck): Problems {
  const problems = new Problems();
  const p = (s: string) => (o.prefix ? `${o.prefix}.${s}` : s);
  if (!o.alwaysInjects && !declaresEvents(def)) return problems;
  for (const key of Object.keys({ ...(def.env ?? {}), ...(def.secretEnv ?? {}) })) {
    if (key.startsWith(EVENT_ENV_PREFIX)) {
      const prop = p(def.env && key in def.env ? `env.${key}` : `secretEnv.${key}`);
      problems.add(prop, `\`${prop}\` uses the prefix ${show(EVENT_ENV_PREFIX)}, which ${o.injector} reserves for the variables it injects. Rename it.`);
    }
  }
  // A callee's variable lands on the reserved prefix too (a ServiceRef named "events-broker" sets EVENTS_BROKER_URL).
  (def.calls ?? []).forEach((c, i) => {
    let env: string | undefined;
    try {
      const n = normalizeCall(c);
      env = n.env ?? `${envStem(n.target.logicalName)}_URL`;
    } catch {
      return; // a malformed call is reported with the service definition
    }
    if (env?.startsWith(EVENT_ENV_PREFIX)) {
      const prop = p(`calls[${i}]`);
      problems.add(prop, `\`${prop}\` injects ${show(env)}, under the prefix ${show(EVENT_ENV_PREFIX)} that ${o.injector} reserves for the variables it injects. Name the variable with \`{ target, env: "..." }\`.`);
    }
  });
  const subs = def.subscribes ?? [];
  const pubs = (def.publishes ?? []).map(publishedTopic);
  let first: { broker: string; property: string } | undefined;
  const noteBroker = (topic: Topic | undefined, property: string) => {
    if (!topic?.broker) return;
    if (!first) first = { broker: topic.broker.logicalName, property };
    else if (first.broker !== topic.broker.logicalName) {
      problems.add(property, `\`${property}\` (${show(topic.logicalName)}) is on broker ${show(topic.broker.logicalName)}, but \`${first.property}\` is on ${show(first.broker)}. ${o.kind} talks to one broker; split it into one service per broker.`);
    }
  };
  const durables = new Set<string>();
  // Names that differ only by punctuation or case give the same variables: the container would see one of them.
  const stems = new Map<string, string>();
  const claimStem = (stem: string, property: string, value: string) => {
    const other = stems.get(stem);
    if (other !== undefined) {
      problems.add(property, `\`${property}\` (${show(value)}) gives the same variables (${stem}_*) as \`${other}\`: the container would see only one of them. Choose names that differ in letters or digits.`);
    } else {
      stems.set(stem, property);
    }
  };
  subs.forEach((s, i) => {
    const prefix = p(`subscribes[${i}]`);
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
    } else {
      claimStem(subscriptionEnvStem(durable), s.durableName !== undefined ? `${prefix}.durableName` : `${prefix}.topic`, durable);
    }
    durables.add(durable);
  });
  pubs.forEach(({ topic, subjects }, i) => {
    const prefix = p(`publishes[${i}]`);
    if (!topic?.spec) {
      problems.add(prefix, `\`${prefix}\` must be a Topic or { topic, subjects }.`);
      return;
    }
    noteBroker(topic, prefix);
    if (!pubs.slice(0, i).some((q) => q.topic === topic)) claimStem(publishEnvStem(topic.logicalName), `${prefix}.topic`, topic.logicalName);
    if (subjects.length && topic.spec.broker.kind === "kafka") {
      problems.add(`${prefix}.subjects`, `\`${prefix}.subjects\` does not apply to Kafka topic ${show(topic.logicalName)}. Remove it.`);
    }
    subjects.forEach((subject, j) => {
      if (topic.spec.broker.kind !== "kafka" && !topicCaptures(topic.spec, subject)) {
        problems.add(`${prefix}.subjects[${j}]`, `\`${prefix}.subjects[${j}]\` (${show(subject)}) is not captured by topic ${show(topic.logicalName)} (subjects: ${topic.spec.subjects.map((x) => show(x)).join(", ")}), so messages published on it would be lost. Publish within the topic's subjects, or add the subject to the topic.`);
      }
    });
  });
  const graph = graphOf(subs, pubs.filter((x) => x.topic?.spec));
  if (graph) problems.addAll(graph.checkService(name).list);
  return problems;
}

/** A service's events, bound to its broker: created once per service (not per FailoverGroup member). */
export interface BoundEvents extends ServiceEventsChildren {
  readonly broker?: EventBroker;
  readonly node?: ServiceNode;
  readonly publishes: readonly PublishedTopic[];
  readonly credentials?: ServiceCredentials;
  /** Every broker object of the subscriptions, for `dependsOn`. */
  readonly resources: readonly k8s.apiextensions.CustomResource[];
}

/**
 * Registers a validated service in the event graph (its publishes and
 * subscriptions), creates its subscriptions' broker objects and its broker
 * identity as children of `parent`. `aliasSubscriptions`: the objects were
 * children of a `Subscription` component up to 8b22bf3 (EventService only).
 */
export function bindServiceEvents(
  parent: pulumi.Resource,
  name: string,
  component: string,
  args: ServiceEventsArgs,
  o: { readonly description?: string; readonly aliasSubscriptions?: boolean } = {},
): BoundEvents {
  const subs = args.subscribes ?? [];
  const publishes = (args.publishes ?? []).map(publishedTopic);
  const broker = subs[0]?.topic.broker ?? publishes[0]?.topic.broker;
  const graph = broker?.graph;
  const node = graph?.addService(name, "service", o.description);
  if (graph && node) for (const p of publishes) graph.addPublisher(node, p.topic.spec, p.subjects);
  // Children of the service itself: a component per subscription would cost
  // the Pulumi SDK and engine about as much as another object.
  const subscriptions = subs.map((s) => {
    const { durableName: _unused, ...rest } = s;
    const subName = subscriptionName(name, s);
    return createSubscriptionObjects(subName, { ...rest, durableName: durableOf(name, s), [SUBSCRIPTION_OWNER]: node }, parent, o.aliasSubscriptions ? pulumi.createUrn(subName, SUBSCRIPTION_TYPE, parent) : undefined);
  });
  const credentials = broker ? createServiceCredentials(parent, name, broker, subscriptions, publishes.map((p) => p.topic), component) : undefined;
  return {
    ...(broker ? { broker } : {}),
    ...(node ? { node } : {}),
    publishes,
    subscriptions,
    ...(credentials ? { credentials } : {}),
    ...(credentials?.kafkaUser ? { kafkaUser: credentials.kafkaUser } : {}),
    ...(credentials?.rabbitUser ? { rabbitUser: credentials.rabbitUser } : {}),
    ...(credentials?.rabbitPermission ? { rabbitPermission: credentials.rabbitPermission } : {}),
    resources: subscriptions.flatMap((s) => s.resources),
  };
}

/** Where a workload's events Secret and broker policy go. */
export interface EventsPlacement {
  /** Logical name prefix (the component name, or `<group>-<member>`). */
  readonly prefix: string;
  readonly parent: pulumi.Resource;
  readonly provider?: pulumi.ProviderResource;
  /** Stable-name scope (`<type>::<name>`); unset keeps Kubernetes auto-naming (EventService, as deployed before). */
  readonly scope?: string;
}

/** The service's events Secret in its namespace (one per workload/cluster): broker URL and credentials, never plain env. */
export function createEventsSecret(bound: BoundEvents, r: ResolvedWorkload, namespace: pulumi.Input<string> | undefined, at: EventsPlacement): k8s.core.v1.Secret {
  const logical = `${at.prefix}-events`;
  const manifest = {
    metadata: { ...(namespace !== undefined ? { namespace } : {}), labels: { ...r.labels } },
    type: "Opaque",
    stringData: pulumi.secret(bound.credentials ? { ...bound.credentials.secretData } : {}),
  };
  return new k8s.core.v1.Secret(logical, at.scope ? withStableName(manifest, at.scope, logical) : manifest, {
    parent: at.parent,
    ...(at.provider ? { provider: at.provider } : {}),
    additionalSecretOutputs: ["data", "stringData"],
  });
}

/** The `EVENTS_*` variables of the container (see `event-env.ts`); secrets come from `secretName`. */
export function eventsEnv(bound: BoundEvents, secretName: pulumi.Input<string>): Manifest[] {
  return [
    ...(bound.broker ? brokerEnv(bound.broker.kind, secretName, bound.credentials?.hasCredentials ?? false) : []),
    { name: EVENT_ENV.subscriptions, value: bound.subscriptions.map((s) => s.contract.durableName).join(",") },
    { name: EVENT_ENV.publishes, value: bound.publishes.map((p) => p.topic.logicalName).join(",") },
    ...bound.subscriptions.flatMap((s) => {
      const d = s.derived;
      const extra =
        d.kind === "kafka"
          ? { retryTopics: d.settings.retryTopics, ...(d.settings.deadLetterTopic ? { deadLetter: d.settings.deadLetterTopic } : {}) }
          : d.kind === "nats"
            ? d.settings.deadLetterSubject ? { deadLetter: d.settings.deadLetterSubject } : {}
            : s.contract.deadLetter ? { deadLetter: s.contract.deadLetter.name } : {};
      return subscriptionEnv(s.contract, s.topic.spec, s.consumerName, d.settings.retries, extra);
    }),
    ...bound.publishes.flatMap((p) => publishEnv(p.topic.spec, p.subjects)),
  ];
}

/**
 * The network path to the broker: a NetworkPolicy in the broker's namespace
 * admitting the service's pods (in `namespace`) to the broker's client port.
 * None for a broker whose pods this stack does not know (an existing server).
 */
export function createBrokerPolicy(bound: BoundEvents, r: ResolvedWorkload, namespace: pulumi.Input<string>, at: EventsPlacement): k8s.networking.v1.NetworkPolicy | undefined {
  const broker = bound.broker;
  if (!broker?.clientAccess.podSelector) return undefined;
  const target: CallTarget = {
    logicalName: broker.logicalName,
    port: broker.clientAccess.port,
    podPort: broker.clientAccess.port,
    serviceName: broker.logicalName,
    namespace: broker.namespace,
    endpoint: broker.endpoint,
    podSelector: broker.clientAccess.podSelector,
  };
  const logical = `${at.prefix}-to-${broker.logicalName}`;
  const manifest = buildCallPolicy(r, { target, env: "" }, namespace)!;
  return new k8s.networking.v1.NetworkPolicy(logical, (at.scope ? withStableName(manifest, at.scope, logical) : manifest) as k8s.networking.v1.NetworkPolicyArgs, {
    parent: at.parent,
    ...(at.provider ? { provider: at.provider } : {}),
  });
}

/** The subscriptions as monitoring sees them; `capacity` for the one a KEDA scaler drives. */
export function monitoredSubscriptions(bound: BoundEvents | undefined, capacity?: { readonly durableName: string; readonly messages: number }): MonitoredSubscription[] {
  return (bound?.subscriptions ?? []).map(
    (s): MonitoredSubscription => ({
      durableName: s.contract.durableName,
      broker: s.topic.spec.broker.kind,
      topic: s.topic.topicName,
      consumer: s.consumerName,
      ...(capacity?.durableName === s.contract.durableName ? { capacity: capacity.messages } : {}),
      ...(s.contract.deadLetter ? { deadLetter: s.contract.deadLetter.name } : {}),
    }),
  );
}

/** The public record of the broker-side objects. */
export function eventsChildren(bound: BoundEvents, brokerPolicy: k8s.networking.v1.NetworkPolicy | undefined): ServiceEventsChildren {
  return {
    subscriptions: bound.subscriptions,
    ...(brokerPolicy ? { brokerPolicy } : {}),
    ...(bound.kafkaUser ? { kafkaUser: bound.kafkaUser } : {}),
    ...(bound.rabbitUser ? { rabbitUser: bound.rabbitUser } : {}),
    ...(bound.rabbitPermission ? { rabbitPermission: bound.rabbitPermission } : {}),
  };
}
