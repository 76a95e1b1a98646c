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

/** Set by EventService: the service that owns the subscription in the event graph. */
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
 * A durable subscription with its delivery contract: a JetStream `Consumer`;
 * a RabbitMQ quorum `Queue`, its `Binding`s and a `Policy` (delivery limit,
 * dead-lettering, retention); or, for Kafka, the consumer group's retry
 * topics. Used directly for a consumer outside this stack, and by EventService.
 */
export class Subscription extends pulumi.ComponentResource {
  declare readonly [BRAND]: string;
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

  static override isInstance(obj: unknown): obj is Subscription {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: SubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    const owner = args[SUBSCRIPTION_OWNER];
    const problems = new Problems();
    checkName(problems, "name", name, "-binding-10");
    problems.addAll(validateSubscription(args, name).list);
    if (!owner && args.topic?.broker) problems.addAll(args.topic.broker.graph.checkService(name).list);
    throwIfInvalid(TYPE, name, problems.list);
    super(TYPE, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    const topic = args.topic;
    const broker = topic.broker;
    const graph = broker.graph;
    this.topic = topic;
    this.contract = resolveDelivery(name, args, args.deadLetter?.spec);
    graph.addSubscription(owner ?? graph.addService(name, "consumer", args.description), topic.spec, this.contract);

    const m = brokerMeta(name, "subscription", broker.namespace, { "switchyard.dev/broker": broker.logicalName, "switchyard.dev/topic": topic.logicalName });
    const cr = (n: string, manifest: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(n, manifest as k8s.apiextensions.CustomResourceArgs, { parent: this, dependsOn: [topic, ...(args.deadLetter ? [args.deadLetter] : [])] });
    const bindings: k8s.apiextensions.CustomResource[] = [];
    const retryTopics: k8s.apiextensions.CustomResource[] = [];
    if (broker.kind === "nats") {
      const s = deriveJetStreamConsumer(topic.spec, this.contract);
      this.derived = { kind: "nats", settings: s };
      this.consumerName = this.contract.durableName;
      this.consumer = cr(name, buildJetStreamObject("Consumer", m, s.spec, broker.nats!.accountName));
    } else if (broker.kind === "kafka") {
      const s = deriveKafkaConsumer(topic.spec, this.contract);
      this.derived = { kind: "kafka", settings: s };
      this.consumerName = s.groupId;
      s.retryTopics.forEach((rt, i) => {
        const spec = { ...topic.spec, name: rt.name };
        retryTopics.push(cr(`${name}-retry-${i + 1}`, buildKafkaTopic(m, broker.kafka!.clusterName, spec, deriveKafkaTopicConfig(spec))));
      });
    } else {
      const s = deriveRabbitMqQueue(topic.spec, this.contract);
      this.derived = { kind: "rabbitmq", settings: s };
      this.consumerName = s.queueName;
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
      this.queue = queue;
      s.bindingKeys.forEach((routingKey, i) => {
        const n = s.bindingKeys.length === 1 ? `${name}-binding` : `${name}-binding-${i + 1}`;
        const b = new k8s.apiextensions.CustomResource(
          n,
          buildRabbitObject("Binding", m, ref, { source: topic.topicName, destination: s.queueName, destinationType: "queue", routingKey, vhost }) as k8s.apiextensions.CustomResourceArgs,
          { parent: this, dependsOn: [topic, queue] },
        );
        bindings.push(b);
      });
      this.policy = cr(
        `${name}-policy`,
        buildRabbitObject("Policy", m, ref, { name: `switchyard.${s.queueName}`, pattern: s.policy.pattern, applyTo: "queues", priority: 10, definition: s.policy.definition, vhost }),
      );
    }
    this.bindings = bindings;
    this.retryTopics = retryTopics;
    this.registerOutputs({ consumerName: this.consumerName });
  }
}
