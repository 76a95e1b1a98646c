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
import {
  type ServiceEventsArgs,
  type ServiceEventsChildren,
  bindServiceEvents,
  createBrokerPolicy,
  createEventsSecret,
  declaresEvents,
  eventsChildren,
  eventsEnv,
  monitoredSubscriptions,
  validateServiceEvents,
  withTopicsAnnotation,
} from "../events/service-events";
import type { SubscriptionObjects } from "../events/subscription";

/**
 * A request-serving service, scaled on CPU, memory or custom metrics. With
 * `publishes` it publishes events (e.g. an HTTP API that publishes
 * `orders.created`); with `subscribes` it is a subscriber scaled by the HPA
 * rather than on its backlog (for that, use `EventService`).
 */
export interface AutoScaledServiceArgs extends ServiceDefinition, ServiceEventsArgs {
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
  problems.addAll(validateServiceEvents(name, args, { kind: "An AutoScaledService", injector: "AutoScaledService" }).list);
  return problems;
}

/**
 * A request-serving service scaled by an `autoscaling/v2` HorizontalPodAutoscaler
 * on CPU, memory or custom metrics, with secure defaults, a PDB, zone spread,
 * a deny-by-default NetworkPolicy and typed discovery; and, when it declares
 * `publishes` or `subscribes`, its durable subscriptions, broker identity,
 * events Secret, `EVENTS_*` variables and network path to the broker.
 */
export class AutoScaledService extends ServiceComponent {
  readonly workload: WorkloadChildren;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  /** ServiceMonitor and PrometheusRule; undefined when monitoring is off. */
  readonly monitoring?: MonitoringChildren;
  /** One record per `subscribes` entry (empty without): delivery contract and broker objects, children of this service. */
  readonly subscriptions: readonly SubscriptionObjects[];
  /** The broker-side objects; undefined when the service declares no `publishes` or `subscribes`. */
  readonly events?: ServiceEventsChildren;
  /** The Secret holding `EVENTS_BROKER_URL` and the broker credentials; undefined without events. */
  readonly eventsSecret?: k8s.core.v1.Secret;

  static override isInstance(obj: unknown): obj is AutoScaledService {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: AutoScaledServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    throwIfInvalid(TYPE, name, validateAutoScaledService(name, args).list);
    const r = resolveWorkload(name, "autoscaledservice", withTopicsAnnotation(args));
    const monitoring = effectiveMonitoring(TYPE, name, args.monitoring, r);
    super(TYPE, name, opts);
    const scope = `${TYPE}::${name}`;
    const scrapers = scrapersOf(monitoring);
    const at = { prefix: name, parent: this, scope };
    const bound = declaresEvents(args) ? bindServiceEvents(this, name, r.component, args) : undefined;
    if (bound) this.eventsSecret = createEventsSecret(bound, r, args.namespace, at);
    this.workload = createWorkload(r, {
      prefix: name,
      parent: this,
      scope,
      ...(scrapers ? { scrapers } : {}),
      ...(bound && this.eventsSecret ? { extraEnv: eventsEnv(bound, this.eventsSecret.metadata.name) } : {}),
      // The pods start once their durable consumers exist.
      ...(bound?.resources.length ? { dependsOn: [...bound.resources] } : {}),
    });
    this.deployment = this.workload.deployment;
    this.subscriptions = bound?.subscriptions ?? [];
    if (bound) this.events = eventsChildren(bound, createBrokerPolicy(bound, r, this.deployment.metadata.namespace, at));
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
      ...(bound?.subscriptions.length ? { subscriptions: monitoredSubscriptions(bound) } : {}),
    }, this);
    if (watched) {
      this.monitoring = watched;
      this.monitoringTargets.push(watched.target);
    }
    this.publish(discovery(r, this.service, args.clusterDomain));
  }
}
