import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { checkName } from "../model/names";
import { Problems } from "../model/problems";
import { BRAND, hasBrand } from "../components/brand";
import { throwIfInvalid } from "../components/workload-resources";
import { brokerMeta } from "./broker-common";
import type { EventBroker } from "./broker";
import { type TopicContractArgs, type TopicSpec, resolveTopic, validateTopicContract } from "./contract";
import { deriveJetStreamStream, deriveKafkaTopicConfig } from "./derive";
import { buildKafkaTopic } from "./kafka-manifests";
import { buildJetStreamObject } from "./nats-manifests";
import { buildRabbitObject } from "./rabbitmq-manifests";

const TYPE = "switchyard:index:Topic";

export interface TopicArgs extends TopicContractArgs {
  /** The broker that holds the topic. */
  readonly broker: EventBroker;
  /**
   * Topics whose subscriptions dead-letter into this one. NATS JetStream: the
   * stream captures their max-deliveries advisories; RabbitMQ: the exchange
   * carries their subjects.
   */
  readonly deadLetterFor?: Topic | readonly Topic[];
}

/**
 * A topic on a broker: a JetStream `Stream` (NACK), a Strimzi `KafkaTopic`, or
 * a RabbitMQ topic `Exchange`, created in the broker's namespace. The topic is
 * that object itself (no component around one object): use it in `dependsOn`
 * or as a `parent` like any resource.
 */
export class Topic extends k8s.apiextensions.CustomResource {
  declare readonly [BRAND]: string;
  readonly spec: TopicSpec;
  readonly broker: EventBroker;
  /**
   * The broker object, i.e. the topic itself.
   * @deprecated Use the topic: it is the Stream, KafkaTopic or Exchange.
   */
  readonly resource: k8s.apiextensions.CustomResource;
  /** Name on the broker (stream, Kafka topic, exchange). */
  readonly topicName: string;
  readonly logicalName: string;

  static override isInstance(obj: unknown): obj is Topic {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: TopicArgs, opts?: pulumi.CustomResourceOptions) {
    const problems = new Problems();
    checkName(problems, "name", name, "");
    if (opts && "providers" in opts) {
      problems.add("opts.providers", "A Topic is one Kubernetes object, not a component: pass the Kubernetes provider as `provider` instead of `providers`.");
    }
    const broker = args.broker;
    const sources = args.deadLetterFor === undefined ? [] : Topic.isInstance(args.deadLetterFor) ? [args.deadLetterFor] : (args.deadLetterFor as readonly Topic[]);
    if (!broker?.info) {
      problems.add("broker", "`broker` is required: pass a NatsJetStream, KafkaBroker or RabbitMqBroker.");
      throwIfInvalid(TYPE, name, problems.list);
    }
    const sourceSpecs = sources.map((t) => t.spec);
    problems.addAll(validateTopicContract(name, broker.info, args, sourceSpecs).list);
    const spec = resolveTopic(name, broker.info, args, sourceSpecs);
    problems.addAll(broker.graph.checkTopic(spec).list);
    throwIfInvalid(TYPE, name, problems.list);

    const m = brokerMeta(name, "topic", broker.namespace, { "switchyard.dev/broker": broker.logicalName });
    let manifest: Record<string, unknown>;
    if (broker.kind === "nats") {
      manifest = buildJetStreamObject("Stream", m, deriveJetStreamStream(spec), broker.nats!.accountName);
    } else if (broker.kind === "kafka") {
      manifest = buildKafkaTopic(m, broker.kafka!.clusterName, spec, deriveKafkaTopicConfig(spec));
    } else {
      manifest = buildRabbitObject("Exchange", m, broker.rabbitmq!.clusterReference, {
        name: spec.name,
        type: "topic",
        durable: true,
        autoDelete: false,
        vhost: broker.rabbitmq!.vhost,
      });
    }
    // Up to 8b22bf3 the object was the child of a Topic component; the alias keeps it in place in existing stacks.
    const previous = pulumi.createUrn(name, TYPE, opts?.parent);
    super(name, manifest as k8s.apiextensions.CustomResourceArgs, { ...opts, aliases: [...(opts?.aliases ?? []), { parent: previous }] });
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    this.spec = spec;
    this.broker = broker;
    this.topicName = spec.name;
    this.logicalName = name;
    this.resource = this;
    broker.graph.addTopic(spec);
  }
}
