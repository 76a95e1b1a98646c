import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hasBrand } from "../components/brand";
import { brokerMeta, buildCredentialsSecret } from "./broker-common";
import { BrokerComponent, type ClientAccess, type EventBroker, type GraphScoped, checkBrokerArgs, plainOr } from "./broker";
import type { BrokerInfo } from "./contract";
import {
  AMQP_PORT,
  RABBIT_DEFAULT_PEERS,
  type RabbitClusterReference,
  type RabbitMqBrokerArgs,
  buildRabbitPolicy,
  buildRabbitmqCluster,
  rabbitPodSelector,
  validateRabbitMqBroker,
} from "./rabbitmq-manifests";

const TYPE = "switchyard:index:RabbitMqBroker";

export interface RabbitMqBrokerComponentArgs extends RabbitMqBrokerArgs, GraphScoped {
  /** `false` creates no NetworkPolicy. @default true */
  readonly networkPolicy?: boolean;
}

/**
 * RabbitMQ through its operators: a `RabbitmqCluster` (cluster operator) or an
 * existing server reached through a connection Secret; topics become topic
 * exchanges and subscriptions quorum queues (messaging topology operator).
 */
export class RabbitMqBroker extends BrokerComponent implements EventBroker {
  readonly kind = "rabbitmq" as const;
  override readonly info: BrokerInfo;
  override readonly namespace: pulumi.Output<string>;
  /** `amqp://host:5672` (no credentials: each service has its own user). */
  override readonly endpoint: pulumi.Output<string>;
  readonly clientAccess: ClientAccess;
  readonly rabbitmq: { readonly clusterReference: RabbitClusterReference; readonly vhost: string };
  readonly cluster?: k8s.apiextensions.CustomResource;
  readonly connectionSecret?: k8s.core.v1.Secret;
  readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;

  static override isInstance(obj: unknown): obj is RabbitMqBroker {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: RabbitMqBrokerComponentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const graph = checkBrokerArgs(TYPE, name, validateRabbitMqBroker(args), "-default-user", args.graph);
    super(TYPE, name, graph, opts);
    const ex = args.existing;
    const m = brokerMeta(name, "rabbitmqbroker", args.namespace);
    const vhost = args.vhost ?? "/";
    this.info = { kind: "rabbitmq", logicalName: name, replicas: ex ? (ex.replicas ?? 1) : (args.replicas ?? 3) };
    if (ex) {
      // The topology operator reads `username`, `password` and `uri` (management API) from this Secret.
      this.connectionSecret = new k8s.core.v1.Secret(
        `${name}-connection`,
        buildCredentialsSecret(m, {
          username: pulumi.output(ex.credentials.username),
          password: pulumi.secret(ex.credentials.password),
          uri: ex.managementUrl,
        }) as k8s.core.v1.SecretArgs,
        { parent: this, additionalSecretOutputs: ["data", "stringData"] },
      );
      this.namespace = this.connectionSecret.metadata.namespace;
      this.endpoint = pulumi.interpolate`amqp://${ex.amqpHost}`;
      this.rabbitmq = { clusterReference: { connectionSecret: { name: this.connectionSecret.metadata.name } }, vhost };
      this.clientAccess = { port: AMQP_PORT };
    } else {
      this.cluster = new k8s.apiextensions.CustomResource(name, buildRabbitmqCluster(m, args) as k8s.apiextensions.CustomResourceArgs, { parent: this });
      this.namespace = this.cluster.metadata.namespace;
      this.endpoint = pulumi.interpolate`amqp://${name}.${this.namespace}.svc:${AMQP_PORT}`;
      this.rabbitmq = { clusterReference: { name, namespace: this.namespace }, vhost };
      this.clientAccess = { podSelector: rabbitPodSelector(name), port: AMQP_PORT };
      if (args.networkPolicy !== false) {
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
          `${name}-ingress`,
          buildRabbitPolicy(m, args.allowFrom ?? RABBIT_DEFAULT_PEERS) as k8s.networking.v1.NetworkPolicyArgs,
          { parent: this },
        );
      }
    }
    this.finish("rabbitmq", ex ? plainOr(ex.amqpHost, name) : `${name}.${plainOr(args.namespace, "<namespace>")}.svc.cluster.local:${AMQP_PORT}`, ex !== undefined);
  }
}
