import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hasBrand } from "../components/brand";
import { type BrokerMeta, brokerMeta, buildCredentialsSecret } from "./broker-common";
import { BrokerComponent, type ClientAccess, type EventBroker, type GraphScoped, checkBrokerArgs, plainOr } from "./broker";
import type { BrokerInfo } from "./contract";
import { GeneratedPassword } from "./generated-password";
import {
  CREDENTIAL_KEYS,
  DEFAULT_CONTROLLER_PEERS,
  NATS_DEFAULT_USER,
  NATS_PORTS,
  type NatsJetStreamArgs,
  buildBrokerPdb,
  buildNatsAccount,
  buildNatsConfigMap,
  buildNatsPolicy,
  buildNatsServices,
  buildNatsStatefulSet,
  validateNatsJetStream,
} from "./nats-manifests";

const TYPE = "switchyard:index:NatsJetStream";

export type NatsJetStreamComponentArgs = NatsJetStreamArgs & GraphScoped;

/**
 * NATS with JetStream: a StatefulSet with file storage (client and headless
 * Services, routes between 3 servers, a PDB, credentials in a Secret), or an
 * existing server by URL. Creates the NACK `Account` every stream and
 * consumer of this broker is bound to.
 */
export class NatsJetStream extends BrokerComponent implements EventBroker {
  readonly kind = "nats" as const;
  override readonly info: BrokerInfo;
  override readonly namespace!: pulumi.Output<string>;
  override readonly endpoint: pulumi.Output<string>;
  readonly credentials?: { readonly username: pulumi.Output<string>; readonly password: pulumi.Output<string> };
  readonly clientAccess: ClientAccess;
  readonly nats: { readonly accountName: pulumi.Output<string>; readonly monitoringEndpoint?: pulumi.Output<string> };
  readonly password?: GeneratedPassword;
  readonly credentialsSecret?: k8s.core.v1.Secret;
  readonly configMap?: k8s.core.v1.ConfigMap;
  readonly statefulSet?: k8s.apps.v1.StatefulSet;
  readonly service?: k8s.core.v1.Service;
  readonly headlessService?: k8s.core.v1.Service;
  readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  readonly account: k8s.apiextensions.CustomResource;

  static override isInstance(obj: unknown): obj is NatsJetStream {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: NatsJetStreamComponentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const graph = checkBrokerArgs(TYPE, name, validateNatsJetStream(args), "-headless", args.graph);
    super(TYPE, name, graph, opts);
    const m = brokerMeta(name, "natsjetstream", args.namespace);
    const ex = args.existing;
    const domain = args.clusterDomain ?? "cluster.local";
    this.info = { kind: "nats", logicalName: name, replicas: ex ? (ex.replicas ?? 1) : (args.replicas ?? 3) };

    let creds = ex ? ex.credentials : args.credentials;
    if (!ex && !creds) {
      this.password = new GeneratedPassword(`${name}-password`, 32, { parent: this });
      creds = { username: NATS_DEFAULT_USER, password: this.password.result };
    }
    if (creds) {
      this.credentials = { username: pulumi.output(creds.username), password: pulumi.secret(creds.password) };
      this.credentialsSecret = new k8s.core.v1.Secret(
        `${name}-credentials`,
        buildCredentialsSecret(m, { [CREDENTIAL_KEYS.user]: this.credentials.username, [CREDENTIAL_KEYS.password]: this.credentials.password }) as k8s.core.v1.SecretArgs,
        { parent: this, additionalSecretOutputs: ["data", "stringData"] },
      );
    }
    if (ex) {
      this.endpoint = pulumi.output(ex.url);
      this.clientAccess = { port: NATS_PORTS.client };
      this.nats = { accountName: pulumi.output(""), ...(ex.monitoringEndpoint !== undefined ? { monitoringEndpoint: pulumi.output(ex.monitoringEndpoint) } : {}) };
    } else {
      const created = this.createServer(name, args, m);
      this.configMap = created.configMap;
      this.statefulSet = created.statefulSet;
      this.service = created.service;
      this.headlessService = created.headless;
      this.disruptionBudget = created.pdb;
      this.networkPolicy = created.policy;
      this.namespace = this.service.metadata.namespace;
      const host = pulumi.interpolate`${this.service.metadata.name}.${this.namespace}.svc.${domain}`;
      this.endpoint = pulumi.interpolate`nats://${host}:${NATS_PORTS.client}`;
      this.clientAccess = { podSelector: m.selectorLabels, port: NATS_PORTS.client };
      this.nats = { accountName: pulumi.output(""), monitoringEndpoint: pulumi.interpolate`${host}:${NATS_PORTS.monitor}` };
    }
    this.account = new k8s.apiextensions.CustomResource(
      `${name}-account`,
      buildNatsAccount(m, this.endpoint, this.credentialsSecret?.metadata.name) as k8s.apiextensions.CustomResourceArgs,
      { parent: this, ...(this.statefulSet ? { dependsOn: [this.statefulSet] } : {}) },
    );
    this.nats = { ...this.nats, accountName: this.account.metadata.name };
    if (ex) this.namespace = this.account.metadata.namespace;
    const ns = plainOr(args.namespace, "<namespace>");
    this.finish("nats", ex ? plainOr(ex.url, name).replace(/^nats:\/\//, "") : `${name}.${ns}.svc.${domain}:${NATS_PORTS.client}`, ex !== undefined);
  }

  private createServer(name: string, args: NatsJetStreamArgs, m: BrokerMeta) {
    const replicas = args.replicas ?? 3;
    const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, buildNatsConfigMap(m, replicas) as k8s.core.v1.ConfigMapArgs, { parent: this });
    const svcs = buildNatsServices(m);
    const headless = new k8s.core.v1.Service(`${name}-headless`, svcs.headless as k8s.core.v1.ServiceArgs, { parent: this });
    const service = new k8s.core.v1.Service(name, svcs.client as k8s.core.v1.ServiceArgs, { parent: this });
    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      buildNatsStatefulSet(m, args, {
        configMapName: configMap.metadata.name,
        credentialsSecretName: this.credentialsSecret!.metadata.name,
      }) as k8s.apps.v1.StatefulSetArgs,
      { parent: this, dependsOn: [headless] },
    );
    const pdb = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildBrokerPdb(m) as k8s.policy.v1.PodDisruptionBudgetArgs, { parent: this });
    const policy =
      args.networkPolicy === false
        ? undefined
        : new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            buildNatsPolicy(m, args.allowFrom ?? DEFAULT_CONTROLLER_PEERS) as k8s.networking.v1.NetworkPolicyArgs,
            { parent: this },
          );
    return { configMap, headless, service, statefulSet, pdb, policy };
  }
}
