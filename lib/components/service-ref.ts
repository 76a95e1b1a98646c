import * as pulumi from "@pulumi/pulumi";
import type { CallTarget } from "../model/workload-args";
import { selectorLabels } from "../model/workload-resolve";
import { show } from "../model/problems";
import { BRAND, hasBrand } from "./brand";
import { throwIfInvalid } from "./workload-resources";

export interface ServiceRefArgs {
  /** Logical name; the injected variable is `<NAME>_URL`. */
  readonly name: string;
  /** Kubernetes Service name. @default - `name` */
  readonly serviceName?: pulumi.Input<string>;
  readonly namespace: pulumi.Input<string>;
  /** Port clients use. */
  readonly port: number;
  /**
   * Write, in the target's namespace, a NetworkPolicy (`<caller>-to-<name>`)
   * that admits each caller's pods to the target's pods on `podPort`.
   *
   * Off by default because that policy belongs to the target's owner: it
   * needs write access to their namespace, and it changes their security
   * posture (pods no policy selected before become closed to every other
   * caller). Instead, the target's owner admits the caller in their own
   * NetworkPolicy, using the caller's `callerIdentity` output (namespace and
   * pod labels; see `callerIngressRule`). Set it to `true` only when this stack
   * owns the target's namespace too.
   * @default false
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly admitCallers?: boolean;
  /**
   * Port on the target's pods (number or container port name), for the
   * policy written with `admitCallers`. Differs from `port` when the Service
   * maps its port to another container port (80 -> 8080).
   * @default - `port`
   */
  readonly podPort?: number | string;
  /**
   * Labels of the target's pods, for the policy written with `admitCallers`;
   * `null` writes no policy even then. Ignored without `admitCallers`.
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
 * Kubernetes Service), usable wherever a service can be called. Calling it
 * injects its endpoint and creates nothing outside the caller's namespace
 * unless `admitCallers` is set.
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
  /** Whether callers write the target-side NetworkPolicy (`admitCallers`). */
  readonly admitCallers: boolean;
  /**
   * Labels of the target's pods that callers write a policy for; undefined
   * (no policy) unless `admitCallers` is `true`.
   */
  readonly podSelector: Record<string, string> | undefined;

  static isInstance(obj: unknown): obj is ServiceRef {
    return hasBrand(obj, TYPE);
  }

  constructor(args: ServiceRefArgs) {
    if (args.admitCallers !== undefined && typeof args.admitCallers !== "boolean") {
      throwIfInvalid(TYPE, args.name, [
        { property: "admitCallers", message: `\`admitCallers\` (${show(args.admitCallers)}) must be true or false. Set it to true to write the NetworkPolicy in the target's namespace, or leave it unset.` },
      ]);
    }
    this.logicalName = args.name;
    this.port = args.port;
    this.podPort = args.podPort ?? args.port;
    this.serviceName = pulumi.output(args.serviceName ?? args.name);
    this.namespace = pulumi.output(args.namespace);
    this.dnsName = pulumi.interpolate`${this.serviceName}.${this.namespace}.svc.${args.clusterDomain ?? "cluster.local"}`;
    this.endpoint = pulumi.interpolate`${args.scheme ?? "http"}://${this.dnsName}:${args.port}`;
    this.admitCallers = args.admitCallers === true;
    // Without the opt-in, no pod selector: `buildCallPolicy` then writes nothing in the target's namespace.
    this.podSelector = !this.admitCallers || args.podSelector === null ? undefined : (args.podSelector ?? selectorLabels(args.name));
  }
}
