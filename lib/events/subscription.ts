import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { checkName } from "../model/names";
import { Problems } from "../model/problems";
import { BRAND, hasBrand } from "../components/brand";
import { throwIfInvalid } from "../components/workload-resources";
import { brokerMeta } from "./broker-common";
import { type DeliveryArgs, type DeliveryContract, resolveDelivery, validateDelivery } from "./delivery";
import {
  type JetStreamConsumerSettings,
  type KafkaConsumerSettings,
  type RabbitMqQueueSettings,
  deriveJetStreamConsumer,
  deriveKafkaConsumer,
  deriveKafkaTopicConfig,
  deriveRabbitMqQueue,
} from "./derive";
import type { ServiceNode } from "./graph";
import { buildKafkaTopic } from "./kafka-manifests";
import { buildJetStreamObject } from "./nats-manifests";
import { buildRabbitObject } from "./rabbitmq-manifests";
import type { Topic } from "./topic";

const TYPE = "switchyard:index:Subscription";

/** Longest suffix a subscription adds to its objects' names (RabbitMQ bindings: `<name>-binding-<n>`). */
export const SUBSCRIPTION_SUFFIX = "-binding-10";

/** Set by a service (of any kind) that declares the subscription: its owner in the event graph. */
export const SUBSCRIPTION_OWNER = Symbol("switchyard.subscriptionOwner");

export interface SubscriptionArgs extends DeliveryArgs {
  readonly topic: Topic;
  /** Topic that receives messages given up after `maxDeliveries`. @default - none (they are dropped) */
  readonly deadLetter?: Topic;
  /** What reads this subscription, for the event graph (a standalone consumer). */
  readonly description?: string;
  readonly [SUBSCRIPTION_OWNER]?: ServiceNode;
}

/** Settings derived for the subscription's broker. */
export type DerivedSettings =
  | { readonly kind: "nats"; readonly settings: JetStreamConsumerSettings }
  | { readonly kind: "kafka"; readonly settings: KafkaConsumerSettings }
  | { readonly kind: "rabbitmq"; readonly settings: RabbitMqQueueSettings };

/** Problems of a subscription's arguments; `prefix` names them inside a service's args. */
export function validateSubscription(args: SubscriptionArgs, fallbackDurable: string, prefix = ""): Problems {
  const problems = new Problems();
  const p = (s: string) => (prefix ? `${prefix}.${s}` : s);
  if (!args.topic?.spec) {
    problems.add(p("topic"), `\`${p("topic")}\` is required: pass a Topic.`);
    return problems;
  }
  if (args.deadLetter !== undefined && !args.deadLetter?.spec) {
    problems.add(p("deadLetter"), `\`${p("deadLetter")}\` must be a Topic.`);
    return problems;
  }
  problems.addAll(validateDelivery(args.topic.spec, args, args.deadLetter?.spec, prefix, fallbackDurable).list);
  const durable = args.durableName ?? fallbackDurable;
  problems.addAll(args.topic.broker.graph.checkSubscription(args.topic.spec, durable, prefix || "subscription").list);
  return problems;
}

/**
 * The objects and settings of one durable subscription. `Subscription` is
 * this as a component; a service (of any kind) keeps its subscriptions as
 * these plain records, their objects being children of the service itself.
 */
export interface SubscriptionObjects {
  readonly contract: DeliveryContract;
  readonly derived: DerivedSettings;
  readonly topic: Topic;
  /** Durable name / consumer group / queue name. */
  readonly consumerName: string;
  readonly consumer?: k8s.apiextensions.CustomResource;
  readonly queue?: k8s.apiextensions.CustomResource;
  readonly bindings: readonly k8s.apiextensions.CustomResource[];
  readonly policy?: k8s.apiextensions.CustomResource;
  readonly retryTopics: readonly k8s.apiextensions.CustomResource[];
  /** Every broker object of the subscription, e.g. for `dependsOn`. */
  readonly resources: readonly k8s.apiextensions.CustomResource[];
}

/**
 * Creates a validated subscription's broker objects as children of `parent`,
 * and adds it to the event graph. `previousParent` is the URN the objects
 * were parented to before (an alias, so existing stacks keep them).
 */
export function createSubscriptionObjects(
  name: string,
  args: SubscriptionArgs,
  parent: pulumi.Resource,
  previousParent?: pulumi.Input<string>,
): SubscriptionObjects {
  const owner = args[SUBSCRIPTION_OWNER];
  const topic = args.topic;
  const broker = topic.broker;
  const graph = broker.graph;
  const contract = resolveDelivery(name, args, args.deadLetter?.spec);
  graph.addSubscription(owner ?? graph.addService(name, "consumer", args.description), topic.spec, contract);

  const m = brokerMeta(name, "subscription", broker.namespace, { "switchyard.dev/broker": broker.logicalName, "switchyard.dev/topic": topic.logicalName });
  const aliases = previousParent === undefined ? {} : { aliases: [{ parent: previousParent }] };
  const resources: k8s.apiextensions.CustomResource[] = [];
  const cr = (n: string, manifest: Record<string, unknown>, dependsOn: pulumi.Resource[] = [topic, ...(args.deadLetter ? [args.deadLetter] : [])]) => {
    const r = new k8s.apiextensions.CustomResource(n, manifest as k8s.apiextensions.CustomResourceArgs, { parent, dependsOn, ...aliases });
    resources.push(r);
    return r;
  };
  const common = { contract, topic, resources };
  if (broker.kind === "nats") {
    const s = deriveJetStreamConsumer(topic.spec, contract);
    const consumer = cr(name, buildJetStreamObject("Consumer", m, s.spec, broker.nats!.accountName));
    return { ...common, derived: { kind: "nats", settings: s }, consumerName: contract.durableName, consumer, bindings: [], retryTopics: [] };
  }
  if (broker.kind === "kafka") {
    const s = deriveKafkaConsumer(topic.spec, contract);
    const retryTopics = s.retryTopics.map((rt, i) => {
      const spec = { ...topic.spec, name: rt.name };
      return cr(`${name}-retry-${i + 1}`, buildKafkaTopic(m, broker.kafka!.clusterName, spec, deriveKafkaTopicConfig(spec)));
    });
    return { ...common, derived: { kind: "kafka", settings: s }, consumerName: s.groupId, bindings: [], retryTopics };
  }
  const s = deriveRabbitMqQueue(topic.spec, contract);
  const ref = broker.rabbitmq!.clusterReference;
  const vhost = broker.rabbitmq!.vhost;
  const queue = cr(
    name,
    buildRabbitObject("Queue", m, ref, {
      name: s.queueName,
      type: "quorum",
      durable: true,
      autoDelete: false,
      vhost,
      ...(Object.keys(s.queueArguments).length ? { arguments: s.queueArguments } : {}),
    }),
  );
  const bindings = s.bindingKeys.map((routingKey, i) =>
    cr(
      s.bindingKeys.length === 1 ? `${name}-binding` : `${name}-binding-${i + 1}`,
      buildRabbitObject("Binding", m, ref, { source: topic.topicName, destination: s.queueName, destinationType: "queue", routingKey, vhost }),
      [topic, queue],
    ),
  );
  const policy = cr(
    `${name}-policy`,
    buildRabbitObject("Policy", m, ref, { name: `switchyard.${s.queueName}`, pattern: s.policy.pattern, applyTo: "queues", priority: 10, definition: s.policy.definition, vhost }),
  );
  return { ...common, derived: { kind: "rabbitmq", settings: s }, consumerName: s.queueName, queue, bindings, policy, retryTopics: [] };
}

/**
 * A durable subscription with its delivery contract: a JetStream `Consumer`;
 * a RabbitMQ quorum `Queue`, its `Binding`s and a `Policy` (delivery limit,
 * dead-lettering, retention); or, for Kafka, the consumer group's retry
 * topics. For a consumer outside this stack; a service creates its own
 * subscriptions' objects (see `subscriptions` of AutoScaledService,
 * FailoverGroup and EventService).
 */
export class Subscription extends pulumi.ComponentResource implements SubscriptionObjects {
  declare readonly [BRAND]: string;
  // (declared only: the constructor copies them from createSubscriptionObjects)
  declare readonly contract: DeliveryContract;
  declare readonly derived: DerivedSettings;
  declare readonly topic: Topic;
  declare readonly consumerName: string;
  declare readonly consumer?: k8s.apiextensions.CustomResource;
  declare readonly queue?: k8s.apiextensions.CustomResource;
  declare readonly bindings: readonly k8s.apiextensions.CustomResource[];
  declare readonly policy?: k8s.apiextensions.CustomResource;
  declare readonly retryTopics: readonly k8s.apiextensions.CustomResource[];
  declare readonly resources: readonly k8s.apiextensions.CustomResource[];

  static override isInstance(obj: unknown): obj is Subscription {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: SubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    checkName(problems, "name", name, SUBSCRIPTION_SUFFIX);
    problems.addAll(validateSubscription(args, name).list);
    if (!args[SUBSCRIPTION_OWNER] && args.topic?.broker) problems.addAll(args.topic.broker.graph.checkService(name).list);
    throwIfInvalid(TYPE, name, problems.list);
    super(TYPE, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    Object.assign(this, createSubscriptionObjects(name, args, this));
    this.registerOutputs({ consumerName: this.consumerName });
  }
}

/** The type token subscriptions had as components; EventService aliases its subscription objects from it. */
export const SUBSCRIPTION_TYPE = TYPE;
