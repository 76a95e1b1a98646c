import type { Input } from "@pulumi/pulumi";
import type { ServiceDefinition } from "./workload-args";
import type { Manifest } from "./workload-manifests";
import { Problems, show } from "./problems";
import { DEFAULT_RESOURCES } from "./workload-resolve";

/** One HPA scaling direction. @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior */
export interface ScalingRulesArgs {
  /** Seconds of past recommendations considered. @default - Kubernetes: 0 up, 300 down */
  readonly stabilizationWindowSeconds?: number;
  /** @default - Kubernetes: "Max" */
  readonly selectPolicy?: "Max" | "Min" | "Disabled";
  readonly policies?: readonly { readonly type: "Pods" | "Percent"; readonly value: number; readonly periodSeconds: number }[];
}

/** A custom metric target: per-pod average (`Pods`) or a metric from outside the cluster (`External`). */
export interface CustomMetricArgs {
  readonly type: "Pods" | "External";
  /** Metric name as served by the custom/external metrics API. */
  readonly name: string;
  readonly selector?: Record<string, string>;
  /** Target average value per pod, e.g. "100" or "500m". */
  readonly averageValue?: Input<string>;
  /** External only: target total value. */
  readonly value?: Input<string>;
}

/** HorizontalPodAutoscaler (`autoscaling/v2`) settings. */
export interface AutoscalingArgs {
  /** @default 2 */
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, percent of the CPU request; `null` for none.
   * @default 70
   */
  readonly cpuUtilization?: number | null;
  /** Target average memory utilization, percent of the memory request. @default - none */
  readonly memoryUtilization?: number;
  readonly metrics?: readonly CustomMetricArgs[];
  /** @default - scaleDown at most 50% of replicas per minute after a 300 s window */
  readonly behavior?: { readonly scaleUp?: ScalingRulesArgs; readonly scaleDown?: ScalingRulesArgs };
}

export interface ResolvedAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuUtilization?: number;
  readonly memoryUtilization?: number;
  readonly metrics: readonly CustomMetricArgs[];
  readonly behavior: { readonly scaleUp?: ScalingRulesArgs; readonly scaleDown?: ScalingRulesArgs };
}

export const DEFAULT_SCALE_DOWN: ScalingRulesArgs = {
  stabilizationWindowSeconds: 300,
  policies: [{ type: "Percent", value: 50, periodSeconds: 60 }],
};

export function resolveAutoscaling(a: AutoscalingArgs): ResolvedAutoscaling {
  return {
    minReplicas: a.minReplicas ?? 2,
    maxReplicas: a.maxReplicas,
    ...(a.cpuUtilization !== null ? { cpuUtilization: a.cpuUtilization ?? 70 } : {}),
    ...(a.memoryUtilization !== undefined ? { memoryUtilization: a.memoryUtilization } : {}),
    metrics: a.metrics ?? [],
    behavior: { ...(a.behavior?.scaleUp ? { scaleUp: a.behavior.scaleUp } : {}), scaleDown: a.behavior?.scaleDown ?? DEFAULT_SCALE_DOWN },
  };
}

function isWhole(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min;
}

/** True when the effective container resources request this resource. */
function requests(def: ServiceDefinition, key: "cpuRequest" | "memoryRequest"): boolean {
  if (def.resources === null) return false;
  const v = def.resources?.[key];
  return v === undefined ? DEFAULT_RESOURCES[key] !== null : v !== null;
}

export function validateAutoscaling(a: AutoscalingArgs | undefined, def: ServiceDefinition, prefix = "autoscaling"): Problems {
  const problems = new Problems();
  if (a == null) {
    problems.add(prefix, `\`${prefix}\` is required. Set at least \`${prefix}.maxReplicas\`, e.g. { maxReplicas: 10 }.`);
    return problems;
  }
  const r = resolveAutoscaling(a);
  if (!isWhole(r.minReplicas, 1)) {
    problems.add(`${prefix}.minReplicas`, `\`${prefix}.minReplicas\` (${show(r.minReplicas)}) must be a whole number >= 1 (a HorizontalPodAutoscaler cannot scale to zero). Set it to 1 or more, or use an EventService to scale to zero.`);
  }
  if (!isWhole(r.maxReplicas, 1)) {
    problems.add(`${prefix}.maxReplicas`, `\`${prefix}.maxReplicas\` (${show(r.maxReplicas)}) must be a whole number >= 1. Set it to the most replicas you allow.`);
  } else if (isWhole(r.minReplicas, 1) && r.maxReplicas < r.minReplicas) {
    problems.add(`${prefix}.maxReplicas`, `\`${prefix}.maxReplicas\` (${r.maxReplicas}) must be >= \`${prefix}.minReplicas\` (${r.minReplicas}). Set \`${prefix}.maxReplicas\` to ${r.minReplicas} or more.`);
  }
  for (const [key, res, req] of [
    ["cpuUtilization", "CPU", "cpuRequest"],
    ["memoryUtilization", "memory", "memoryRequest"],
  ] as const) {
    const v = r[key];
    if (v === undefined) continue;
    if (!isWhole(v, 1) || v > 1000) {
      problems.add(`${prefix}.${key}`, `\`${prefix}.${key}\` (${show(v)}) must be a whole percentage from 1 to 1000 of the ${res} request. Use e.g. 70.`);
    }
    if (!requests(def, req)) {
      problems.add(`${prefix}.${key}`, `\`${prefix}.${key}\` (${show(v)}) targets a percentage of the ${res} request, but the container requests no ${res} (\`resources.${req}\` is unset), so the autoscaler could never act. Set \`resources.${req}\` or remove \`${prefix}.${key}\`.`);
    }
  }
  if (r.cpuUtilization === undefined && r.memoryUtilization === undefined && r.metrics.length === 0) {
    problems.add(prefix, `\`${prefix}\` has no metric to scale on (\`cpuUtilization\` is null and no \`memoryUtilization\` or \`metrics\` are set). Add one.`);
  }
  r.metrics.forEach((m, i) => {
    const p = `${prefix}.metrics[${i}]`;
    if (!m.name) problems.add(`${p}.name`, `\`${p}.name\` is empty. Name the metric as the metrics API serves it.`);
    if (m.type === "Pods" && m.averageValue === undefined) {
      problems.add(`${p}.averageValue`, `\`${p}.averageValue\` is required for a Pods metric. Set the target average per pod, e.g. "100".`);
    }
    if (m.type === "Pods" && m.value !== undefined) {
      problems.add(`${p}.value`, `\`${p}.value\` is not allowed on a Pods metric (only averages are). Use \`averageValue\`.`);
    }
    if (m.type === "External" && (m.averageValue === undefined) === (m.value === undefined)) {
      problems.add(p, `\`${p}\` must set exactly one of \`value\` and \`averageValue\` for an External metric.`);
    }
  });
  for (const dir of ["scaleUp", "scaleDown"] as const) {
    const rules = a.behavior?.[dir];
    if (!rules) continue;
    const p = `${prefix}.behavior.${dir}`;
    const w = rules.stabilizationWindowSeconds;
    if (w !== undefined && (!isWhole(w, 0) || w > 3600)) {
      problems.add(`${p}.stabilizationWindowSeconds`, `\`${p}.stabilizationWindowSeconds\` (${show(w)}) must be a whole number from 0 to 3600.`);
    }
    (rules.policies ?? []).forEach((pol, i) => {
      if (!isWhole(pol.value, 1)) {
        problems.add(`${p}.policies[${i}].value`, `\`${p}.policies[${i}].value\` (${show(pol.value)}) must be a whole number >= 1.`);
      }
      if (!isWhole(pol.periodSeconds, 1) || pol.periodSeconds > 1800) {
        problems.add(`${p}.policies[${i}].periodSeconds`, `\`${p}.policies[${i}].periodSeconds\` (${show(pol.periodSeconds)}) must be a whole number from 1 to 1800.`);
      }
    });
  }
  return problems;
}

function rules(r: ScalingRulesArgs): Manifest {
  return {
    ...(r.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: r.stabilizationWindowSeconds } : {}),
    ...(r.selectPolicy ? { selectPolicy: r.selectPolicy } : {}),
    ...(r.policies ? { policies: r.policies.map((p) => ({ ...p })) } : {}),
  };
}

export function buildHpa(
  a: ResolvedAutoscaling,
  target: { readonly deploymentName: Input<string>; readonly namespace?: Input<string>; readonly labels: Record<string, string> },
): Manifest {
  const metrics: Manifest[] = [];
  const resource = (name: string, averageUtilization: number) => ({
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization } },
  });
  if (a.cpuUtilization !== undefined) metrics.push(resource("cpu", a.cpuUtilization));
  if (a.memoryUtilization !== undefined) metrics.push(resource("memory", a.memoryUtilization));
  for (const m of a.metrics) {
    const metric = { name: m.name, ...(m.selector ? { selector: { matchLabels: { ...m.selector } } } : {}) };
    const t =
      m.value !== undefined ? { type: "Value", value: m.value } : { type: "AverageValue", averageValue: m.averageValue };
    metrics.push(m.type === "Pods" ? { type: "Pods", pods: { metric, target: t } } : { type: "External", external: { metric, target: t } });
  }
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), labels: { ...target.labels } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target.deploymentName },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics,
      behavior: {
        ...(a.behavior.scaleUp ? { scaleUp: rules(a.behavior.scaleUp) } : {}),
        ...(a.behavior.scaleDown ? { scaleDown: rules(a.behavior.scaleDown) } : {}),
      },
    },
  };
}
