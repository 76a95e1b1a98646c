import * as pulumi from "@pulumi/pulumi";
import type { CallTarget } from "../model/workload-args";
import { selectorLabels } from "../model/workload-resolve";
import { BRAND, hasBrand } from "./brand";

export interface ServiceRefArgs {
  /** Logical name; the injected variable is `<NAME>_URL`. */
  readonly name: string;
  /** Kubernetes Service name. @default - `name` */
  readonly serviceName?: pulumi.Input<string>;
  readonly namespace: pulumi.Input<string>;
  /** Port clients use. */
  readonly port: number;
  /** Port on the pods (number or name), for the NetworkPolicy. @default - `port` */
  readonly podPort?: number | string;
  /**
   * Labels of the target's pods, to open the network path to them; `null` when
   * the target is not in a cluster this stack manages (no policy is created).
   * @default - the selector of a switchyard service called `name`
   */
  readonly podSelector?: Record<string, string> | null;
  /** @default "http" */
  readonly scheme?: string;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

const TYPE = "switchyard:index:ServiceRef";

/**
 * A service that this stack does not create (another stack's, or a plain
 * Kubernetes Service), usable wherever a service can be called.
 */
export class ServiceRef implements CallTarget {
  readonly [BRAND] = TYPE;
  readonly logicalName: string;
  readonly port: number;
  readonly podPort: number | string;
  readonly serviceName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly podSelector: Record<string, string> | undefined;

  static isInstance(obj: unknown): obj is ServiceRef {
    return hasBrand(obj, TYPE);
  }

  constructor(args: ServiceRefArgs) {
    this.logicalName = args.name;
    this.port = args.port;
    this.podPort = args.podPort ?? args.port;
    this.serviceName = pulumi.output(args.serviceName ?? args.name);
    this.namespace = pulumi.output(args.namespace);
    this.dnsName = pulumi.interpolate`${this.serviceName}.${this.namespace}.svc.${args.clusterDomain ?? "cluster.local"}`;
    this.endpoint = pulumi.interpolate`${args.scheme ?? "http"}://${this.dnsName}:${args.port}`;
    this.podSelector = args.podSelector === null ? undefined : (args.podSelector ?? selectorLabels(args.name));
  }
}
