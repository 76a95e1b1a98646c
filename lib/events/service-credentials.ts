import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { brokerMeta, buildCredentialsSecret } from "./broker-common";
import type { EventBroker } from "./broker";
import { EVENT_ENV } from "./event-env";
import { GeneratedPassword } from "./generated-password";
import { KEDA_SECRET_KEYS } from "./keda";
import { buildKafkaUser } from "./kafka-manifests";
import { buildRabbitObject, rabbitPermissions } from "./rabbitmq-manifests";
import type { SubscriptionObjects } from "./subscription";
import type { Topic } from "./topic";

/** What a service's events Secret holds, and the broker-side identity created for it. */
export interface ServiceCredentials {
  /** Keys and (secret) values of the service's events Secret. */
  readonly secretData: Record<string, pulumi.Input<string>>;
  readonly hasCredentials: boolean;
  readonly password?: GeneratedPassword;
  readonly brokerSecret?: k8s.core.v1.Secret;
  readonly kafkaUser?: k8s.apiextensions.CustomResource;
  readonly rabbitUser?: k8s.apiextensions.CustomResource;
  readonly rabbitPermission?: k8s.apiextensions.CustomResource;
}

/** Inserts `user:password@` after the scheme of a URL. */
function withCredentials(url: pulumi.Input<string>, username: pulumi.Input<string>, password: pulumi.Input<string>, path = ""): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([url, username, password]).apply(([u, n, p]) => `${u.replace("://", `://${encodeURIComponent(n)}:${encodeURIComponent(p)}@`)}${path}`),
  );
}

/**
 * The service's identity on its broker. NATS: the broker's client
 * credentials (one user per server). Kafka: a `KafkaUser` with SCRAM-SHA-512
 * and exactly the ACLs of its topics and groups. RabbitMQ: a `User` and a
 * `Permission` (write its exchanges, read its queues). Kafka and RabbitMQ
 * passwords are generated once and kept in state as secrets. `component` is
 * the `switchyard.dev/component` label of those objects (the service's kind).
 */
export function createServiceCredentials(
  parent: pulumi.Resource,
  name: string,
  broker: EventBroker,
  subscriptions: readonly SubscriptionObjects[],
  publishes: readonly Topic[],
  component = "eventservice",
): ServiceCredentials {
  if (broker.kind === "nats") {
    const c = broker.credentials;
    return {
      hasCredentials: c !== undefined,
      secretData: c
        ? { [EVENT_ENV.url]: withCredentials(broker.endpoint, c.username, c.password), [EVENT_ENV.username]: c.username, [EVENT_ENV.password]: c.password }
        : { [EVENT_ENV.url]: broker.endpoint },
    };
  }
  const password = new GeneratedPassword(`${name}-${broker.kind}-password`, 32, { parent });
  const m = brokerMeta(name, component, broker.namespace, { "switchyard.dev/broker": broker.logicalName });
  if (broker.kind === "kafka") {
    const brokerSecret = new k8s.core.v1.Secret(
      `${name}-kafka-credentials`,
      buildCredentialsSecret(m, { password: password.result }) as k8s.core.v1.SecretArgs,
      { parent, additionalSecretOutputs: ["data", "stringData"] },
    );
    const readTopics = subscriptions.flatMap((s) => [
      s.topic.topicName,
      ...(s.derived.kind === "kafka" ? s.derived.settings.retryTopics.map((t) => t.name) : []),
    ]);
    const writeTopics = [
      ...publishes.map((t) => t.topicName),
      ...subscriptions.flatMap((s) =>
        s.derived.kind === "kafka" ? [...s.derived.settings.retryTopics.map((t) => t.name), ...(s.derived.settings.deadLetterTopic ? [s.derived.settings.deadLetterTopic] : [])] : [],
      ),
    ];
    const kafkaUser = new k8s.apiextensions.CustomResource(
      `${name}-kafka-user`,
      buildKafkaUser(m, broker.kafka!.clusterName, { readTopics, writeTopics, groups: subscriptions.map((s) => s.consumerName) }, brokerSecret.metadata.name, "password") as k8s.apiextensions.CustomResourceArgs,
      { parent },
    );
    // Strimzi names the SCRAM user after the KafkaUser resource.
    const username = kafkaUser.metadata.name;
    return {
      hasCredentials: true,
      password,
      brokerSecret,
      kafkaUser,
      secretData: {
        [EVENT_ENV.url]: broker.endpoint,
        [EVENT_ENV.username]: username,
        [EVENT_ENV.password]: password.result,
        [KEDA_SECRET_KEYS.sasl]: "scram_sha512",
        [KEDA_SECRET_KEYS.tls]: "disable",
      },
    };
  }
  const username = `switchyard-${name}`;
  const brokerSecret = new k8s.core.v1.Secret(
    `${name}-rabbitmq-credentials`,
    buildCredentialsSecret(m, { username, password: password.result }) as k8s.core.v1.SecretArgs,
    { parent, additionalSecretOutputs: ["data", "stringData"] },
  );
  const ref = broker.rabbitmq!.clusterReference;
  const vhost = broker.rabbitmq!.vhost;
  const rabbitUser = new k8s.apiextensions.CustomResource(
    `${name}-rabbitmq-user`,
    buildRabbitObject("User", m, ref, { importCredentialsSecret: { name: brokerSecret.metadata.name } }) as k8s.apiextensions.CustomResourceArgs,
    { parent },
  );
  const rabbitPermission = new k8s.apiextensions.CustomResource(
    `${name}-rabbitmq-permission`,
    buildRabbitObject("Permission", m, ref, {
      vhost,
      userReference: { name: rabbitUser.metadata.name },
      permissions: rabbitPermissions(
        publishes.map((t) => t.topicName),
        subscriptions.map((s) => s.consumerName),
      ),
    }) as k8s.apiextensions.CustomResourceArgs,
    { parent },
  );
  const url = withCredentials(broker.endpoint, username, password.result, `/${encodeURIComponent(vhost)}`);
  return {
    hasCredentials: true,
    password,
    brokerSecret,
    rabbitUser,
    rabbitPermission,
    secretData: { [EVENT_ENV.url]: url, [EVENT_ENV.username]: username, [EVENT_ENV.password]: password.result, [KEDA_SECRET_KEYS.host]: url },
  };
}
