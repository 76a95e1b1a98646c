import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BRAND, hasBrand } from "../components/brand";
import { monitoredWorkloads } from "../components/monitoring-resources";
import { stableName, throwIfInvalid } from "../components/workload-resources";
import { checkName } from "../model/names";
import { Problems, show } from "../model/problems";
import { buildDashboard, buildDashboardConfigMap } from "./dashboard";
import type { MonitoredWorkload } from "./targets";

const TYPE = "switchyard:index:StackDashboard";

/** A service whose monitoring a dashboard shows: any switchyard service component. */
export interface Monitored {
  readonly monitoringTargets: readonly pulumi.Output<MonitoredWorkload>[];
}

export interface StackDashboardArgs {
  /** @default - `<project> / <stack>` */
  readonly title?: string;
  /**
   * Services to show, in this order.
   * @default - every monitored service created in this stack before the dashboard
   */
  readonly services?: readonly Monitored[];
  /** Namespace of the ConfigMap (where Grafana's sidecar looks). @default - the provider's namespace */
  readonly namespace?: pulumi.Input<string>;
  /**
   * Labels Grafana's dashboard sidecar selects ConfigMaps by.
   * @default { grafana_dashboard: "1" } (the Grafana and kube-prometheus-stack charts' label)
   */
  readonly sidecarLabels?: Record<string, string>;
  /** Grafana folder, set through the sidecar's folder annotation. @default - no folder */
  readonly folder?: string;
  /** @default "k8s-sidecar-target-directory" (the sidecar's default folder annotation) */
  readonly folderAnnotation?: string;
  /** @default ["switchyard"] */
  readonly tags?: readonly string[];
}

/** Label naming the switchyard dashboard a ConfigMap holds. */
export const DASHBOARD_LABEL = "switchyard.dev/dashboard";

export const DEFAULT_SIDECAR_LABELS: Readonly<Record<string, string>> = { grafana_dashboard: "1" };

/**
 * The Grafana dashboard of the stack, as a ConfigMap for Grafana's dashboard
 * sidecar: an overview (firing switchyard alerts, available vs desired
 * replicas per service) and a row per service. Create it after the services
 * (usually last, like `EventGraph`).
 */
export class StackDashboard extends pulumi.ComponentResource {
  declare readonly [BRAND]: string;
  readonly configMap: k8s.core.v1.ConfigMap;
  /** The dashboard JSON model. */
  readonly dashboardJson: pulumi.Output<string>;
  /** Grafana uid: stable per project, stack and dashboard name. */
  readonly uid: string;

  static override isInstance(obj: unknown): obj is StackDashboard {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: StackDashboardArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    checkName(problems, "name", name, "");
    args.services?.forEach((s, i) => {
      if (!Array.isArray(s?.monitoringTargets)) {
        problems.add(`services[${i}]`, `\`services[${i}]\` is not a switchyard service (AutoScaledService, EventService or FailoverGroup). Remove it.`);
      }
    });
    if (args.folder !== undefined && (typeof args.folder !== "string" || args.folder.trim() === "")) {
      problems.add("folder", `\`folder\` (${show(args.folder)}) must be a non-empty folder name, or left unset.`);
    }
    const targets = args.services ? args.services.flatMap((s) => s.monitoringTargets ?? []) : [...monitoredWorkloads()];
    if (!targets.length && !problems.list.length) {
      problems.add("services", `\`services\` is empty and no monitored service exists yet in this stack, so the dashboard would show nothing. Create the dashboard after your services, or list them in \`services\`.`);
    }
    throwIfInvalid(TYPE, name, problems.list);
    super(TYPE, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    const scope = `${TYPE}::${name}`;
    this.uid = `switchyard-${createHash("sha256").update(`${pulumi.getProject()}\n${pulumi.getStack()}\n${name}`).digest("hex").slice(0, 16)}`;
    const title = args.title ?? `${pulumi.getProject()} / ${pulumi.getStack()}`;
    this.dashboardJson = pulumi.all(targets).apply((ws) => JSON.stringify(buildDashboard(ws, { uid: this.uid, title, ...(args.tags ? { tags: args.tags } : {}) }), null, 2));
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      buildDashboardConfigMap(this.dashboardJson, {
        name: stableName(scope, `${name}-dashboard`),
        fileName: `${name}.json`,
        ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
        labels: { ...(args.sidecarLabels ?? DEFAULT_SIDECAR_LABELS), [DASHBOARD_LABEL]: name },
        ...(args.folder ? { annotations: { [args.folderAnnotation ?? "k8s-sidecar-target-directory"]: args.folder } } : {}),
      }) as k8s.core.v1.ConfigMapArgs,
      { parent: this },
    );
    this.registerOutputs({ uid: this.uid, configMapName: this.configMap.metadata.name });
  }
}
