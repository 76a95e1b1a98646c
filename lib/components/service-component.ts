import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { CallTarget } from "../model/workload-args";
import type { CallerIdentity } from "../model/workload-manifests";
import type { ResolvedWorkload } from "../model/workload-resolve";
import type { MonitoredWorkload } from "../observability/targets";
import { BRAND } from "./brand";
import { callerIdentityOf } from "./workload-resources";

/** The discovery surface every service component exposes (and `calls` consumes). */
export interface Discovery {
  readonly serviceName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly logicalName: string;
  readonly port: number;
  readonly podPort: string;
  readonly podSelector: Record<string, string>;
  readonly callerIdentity: pulumi.Output<CallerIdentity>;
}

/** Discovery values of a service whose primary port is the first of `r.ports`. */
export function discovery(r: ResolvedWorkload, service: k8s.core.v1.Service, clusterDomain = "cluster.local"): Discovery {
  const primary = r.ports[0]!;
  const serviceName = service.metadata.name;
  const namespace = service.metadata.namespace;
  const dnsName = pulumi.interpolate`${serviceName}.${namespace}.svc.${clusterDomain}`;
  return {
    serviceName,
    namespace,
    dnsName,
    endpoint: pulumi.interpolate`http://${dnsName}:${primary.servicePort}`,
    logicalName: r.name,
    port: primary.servicePort,
    podPort: primary.name,
    podSelector: r.selectorLabels,
    callerIdentity: callerIdentityOf(r, namespace),
  };
}

/** Base of the components that serve requests: brand and discovery outputs. */
export abstract class ServiceComponent extends pulumi.ComponentResource implements CallTarget {
  declare readonly [BRAND]: string;
  /** Name of the Kubernetes Service. */
  declare readonly serviceName: pulumi.Output<string>;
  declare readonly namespace: pulumi.Output<string>;
  /** `<service>.<namespace>.svc.<clusterDomain>` */
  declare readonly dnsName: pulumi.Output<string>;
  /** `http://<dnsName>:<port>` */
  declare readonly endpoint: pulumi.Output<string>;
  /** Component name: the stem of the variable callers get (`<NAME>_URL`). */
  declare readonly logicalName: string;
  /** Port clients use (the primary Service port). */
  declare readonly port: number;
  /** Name of the primary container port. */
  declare readonly podPort: string;
  /** Labels selecting this service's pods. */
  declare readonly podSelector: Record<string, string>;
  /**
   * Who this service's pods are when they call out: `{ namespace, podLabels }`
   * (pod labels = the service's selector labels). Give it to the owner of a
   * service this one calls through a `ServiceRef`, who admits it in their own
   * NetworkPolicy (`networkPolicy.allowFrom` of a switchyard service, or
   * `callerIngressRule`), since by default a caller writes nothing in their
   * namespace. FailoverGroup: the active member's (each member has its own).
   */
  declare readonly callerIdentity: pulumi.Output<CallerIdentity>;
  /** What monitoring knows about each of the service's workloads (one per FailoverGroup member); `StackDashboard` shows them. */
  readonly monitoringTargets: pulumi.Output<MonitoredWorkload>[] = [];

  protected constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: type, enumerable: false });
  }

  /** Sets the discovery fields and registers them, with `extra`, as the component's outputs. */
  protected publish(d: Discovery, extra: Record<string, unknown> = {}): void {
    Object.assign(this, d);
    this.registerOutputs({ serviceName: d.serviceName, namespace: d.namespace, dnsName: d.dnsName, endpoint: d.endpoint, callerIdentity: d.callerIdentity, ...extra });
  }
}
