import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceDefinition } from "../model/workload-args";
import { type AutoscalingArgs, buildHpa, resolveAutoscaling, validateAutoscaling } from "../model/autoscaling";
import { checkName } from "../model/names";
import { Problems } from "../model/problems";
import { validateServiceDefinition } from "../model/workload-validate";
import { resolveWorkload } from "../model/workload-resolve";
import { hasBrand } from "./brand";
import { ServiceComponent, discovery } from "./service-component";
import { type MonitoringChildren, createMonitoring, effectiveMonitoring, scrapersOf } from "./monitoring-resources";
import { type WorkloadChildren, createWorkload, stableName, throwIfInvalid, withStableName } from "./workload-resources";

export interface AutoScaledServiceArgs extends ServiceDefinition {
  /** HorizontalPodAutoscaler settings; the HPA owns `spec.replicas`. */
  readonly autoscaling: AutoscalingArgs;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

const TYPE = "switchyard:index:AutoScaledService";

/** Checks every argument; returns all problems. Pure: usable by policy packs. */
export function validateAutoScaledService(name: string, args: AutoScaledServiceArgs): Problems {
  args ??= {} as AutoScaledServiceArgs; // plain-JS callers may omit the args
  const problems = new Problems();
  checkName(problems, "name", name, "");
  problems.addAll(validateServiceDefinition(args, { requirePort: true }).list);
  problems.addAll(validateAutoscaling(args.autoscaling, args).list);
  return problems;
}

/**
 * A request-serving service scaled by an `autoscaling/v2` HorizontalPodAutoscaler
 * on CPU, memory or custom metrics, with secure defaults, a PDB, zone spread,
 * a deny-by-default NetworkPolicy and typed discovery.
 */
export class AutoScaledService extends ServiceComponent {
  readonly workload: WorkloadChildren;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  /** ServiceMonitor and PrometheusRule; undefined when monitoring is off. */
  readonly monitoring?: MonitoringChildren;

  static override isInstance(obj: unknown): obj is AutoScaledService {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: AutoScaledServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    throwIfInvalid(TYPE, name, validateAutoScaledService(name, args).list);
    const r = resolveWorkload(name, "autoscaledservice", args);
    const monitoring = effectiveMonitoring(TYPE, name, args.monitoring, r);
    super(TYPE, name, opts);
    const scope = `${TYPE}::${name}`;
    const scrapers = scrapersOf(monitoring);
    this.workload = createWorkload(r, { prefix: name, parent: this, scope, ...(scrapers ? { scrapers } : {}) });
    this.deployment = this.workload.deployment;
    this.service = this.workload.service!;
    const autoscaling = resolveAutoscaling(args.autoscaling);
    this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      withStableName(
        buildHpa(autoscaling, {
          deploymentName: this.deployment.metadata.name,
          namespace: args.namespace,
          labels: r.labels,
        }),
        scope,
        `${name}-hpa`,
      ) as k8s.autoscaling.v2.HorizontalPodAutoscalerArgs,
      { parent: this },
    );
    const watched = createMonitoring(r, monitoring, {
      prefix: name,
      scope,
      ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
      hasService: true,
      hasDisruptionBudget: this.workload.disruptionBudget !== undefined,
      autoscaler: { kind: "hpa", name: stableName(scope, `${name}-hpa`), minReplicas: autoscaling.minReplicas, maxReplicas: autoscaling.maxReplicas },
    }, this);
    if (watched) {
      this.monitoring = watched;
      this.monitoringTargets.push(watched.target);
    }
    this.publish(discovery(r, this.service, args.clusterDomain));
  }
}
