import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ResolvedWorkload } from "../model/workload-resolve";
import { type MonitoringArgs, type ResolvedMonitoring, mergeMonitoring, resolveMonitoring, validateMonitoring } from "../observability/monitoring";
import { buildPrometheusRule, buildRuleGroup } from "../observability/alerts";
import { buildServiceMonitor } from "../observability/scrape";
import type { MonitoredSubscription, MonitoredWorkload } from "../observability/targets";
import { stableName, throwIfInvalid } from "./workload-resources";

/** Stack config key holding the stack-wide monitoring defaults (`MonitoringArgs` or `false`). */
export const MONITORING_CONFIG = "switchyard:monitoring";

/** The stack's monitoring defaults from config `switchyard:monitoring`; undefined when unset. */
export function stackMonitoring(): MonitoringArgs | false | undefined {
  const raw = new pulumi.Config("switchyard").getObject<MonitoringArgs | false>("monitoring");
  return raw === undefined || raw === null ? undefined : raw;
}

/**
 * The effective monitoring of a service: its own `monitoring` over the
 * stack's, resolved. Throws (before anything is created) when the stack
 * config is invalid; the service's own argument is checked by its validate
 * function with the other arguments.
 */
export function effectiveMonitoring(type: string, name: string, own: MonitoringArgs | false | undefined, r: ResolvedWorkload): ResolvedMonitoring | undefined {
  const stack = stackMonitoring();
  throwIfInvalid(type, name, validateMonitoring(stack, r.ports, `config ${MONITORING_CONFIG}`).list);
  return resolveMonitoring(mergeMonitoring(stack, own), r.ports);
}

/** The NetworkPolicy admission of the scrapers, for `createWorkload`. */
export function scrapersOf(m: ResolvedMonitoring | undefined): { peer: NonNullable<ResolvedMonitoring["scrapedBy"]>; port: string } | undefined {
  return m?.scrape && m.scrapedBy ? { peer: m.scrapedBy, port: m.scrape.port } : undefined;
}

/** Everything monitoring needs to know about one workload, as plain values or Inputs. */
export interface WorkloadFacts {
  /** Logical name prefix of the workload's children (component name, or `${name}-${member}`). */
  readonly prefix: string;
  /** `<type>::<name>` of the component: the scope of stable names. */
  readonly scope: string;
  readonly member?: string;
  readonly namespace?: pulumi.Input<string>;
  readonly hasService: boolean;
  readonly hasDisruptionBudget: boolean;
  readonly autoscaler?: { readonly kind: "hpa" | "keda"; readonly name: string; readonly minReplicas: number; readonly maxReplicas: number };
  readonly replicas?: number;
  readonly subscriptions?: readonly MonitoredSubscription[];
}

/** The monitoring children of one workload. */
export interface MonitoringChildren {
  readonly serviceMonitor?: k8s.apiextensions.CustomResource;
  readonly prometheusRule?: k8s.apiextensions.CustomResource;
  /** What alerts and dashboards are derived from. */
  readonly target: pulumi.Output<MonitoredWorkload>;
}

const registries = new WeakMap<pulumi.Resource, pulumi.Output<MonitoredWorkload>[]>();
let fallbackRegistry: pulumi.Output<MonitoredWorkload>[] = [];

/** The monitored workloads registered so far in this stack (what `StackDashboard` shows by default). */
export function monitoredWorkloads(): pulumi.Output<MonitoredWorkload>[] {
  const stack = pulumi.runtime.getStackResource();
  if (!stack) return fallbackRegistry;
  let list = registries.get(stack);
  if (!list) registries.set(stack, (list = []));
  return list;
}

/** Forgets the workloads registered outside a stack (tests). */
export function resetMonitoredWorkloads(): void {
  fallbackRegistry = [];
}

/**
 * Creates the ServiceMonitor and PrometheusRule of one workload (names are
 * the children's stable names, so the rules never wait for a rollout), and
 * registers the workload for the stack's dashboard.
 */
export function createMonitoring(
  r: ResolvedWorkload,
  m: ResolvedMonitoring | undefined,
  f: WorkloadFacts,
  parent: pulumi.Resource,
  provider?: pulumi.ProviderResource,
): MonitoringChildren | undefined {
  if (!m) return undefined;
  const opts = { parent, ...(provider ? { provider } : {}) };
  const target = pulumi.output(f.namespace).apply(
    (namespace): MonitoredWorkload => ({
      service: r.name,
      ...(f.member ? { member: f.member } : {}),
      ...(r.definition.team ? { team: r.definition.team } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      deployment: stableName(f.scope, f.prefix),
      container: r.name,
      ...(f.hasDisruptionBudget ? { disruptionBudget: stableName(f.scope, `${f.prefix}-pdb`) } : {}),
      ...(f.autoscaler ? { autoscaler: f.autoscaler } : {}),
      ...(f.replicas !== undefined ? { replicas: f.replicas } : {}),
      ...(f.subscriptions?.length ? { subscriptions: f.subscriptions } : {}),
    }),
  );
  monitoredWorkloads().push(target);
  const labels = { ...r.labels, ...m.labels };
  const serviceMonitor =
    m.scrape && f.hasService
      ? new k8s.apiextensions.CustomResource(
          `${f.prefix}-monitor`,
          buildServiceMonitor(m.scrape, {
            name: stableName(f.scope, `${f.prefix}-monitor`),
            ...(f.namespace !== undefined ? { namespace: f.namespace } : {}),
            labels,
            serviceSelector: r.selectorLabels,
          }) as k8s.apiextensions.CustomResourceArgs,
          opts,
        )
      : undefined;
  const prometheusRule = Object.keys(m.alerts).length
    ? new k8s.apiextensions.CustomResource(
        `${f.prefix}-alerts`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: stableName(f.scope, `${f.prefix}-alerts`), ...(f.namespace !== undefined ? { namespace: f.namespace } : {}), labels },
          spec: target.apply((t) => buildPrometheusRule([buildRuleGroup(t, m)], { labels }).spec),
        } as k8s.apiextensions.CustomResourceArgs,
        opts,
      )
    : undefined;
  return { ...(serviceMonitor ? { serviceMonitor } : {}), ...(prometheusRule ? { prometheusRule } : {}), target };
}
