import type { Manifest } from "./workload-manifests";
import type { Input } from "@pulumi/pulumi";
import { isLabelValue } from "./names";
import { Problems, show } from "./problems";

/** One member of a multi-cluster FailoverGroup (the provider is added by the component). */
export interface FailoverMemberSpec {
  /** Member name (DNS-1123 label), e.g. "eu-west". */
  readonly name: string;
  /** Exactly one member is active: it runs `replicas`; the others run `standbyReplicas`. */
  readonly active?: boolean;
}

/** The placement and failover policy of a FailoverGroup (everything but the service itself). */
export interface FailoverPolicyArgs {
  /**
   * Replicas of the active member (or of the only Deployment in zone mode).
   * @default - the number of `zones`, or 3 with `zones: "all"`
   */
  readonly replicas?: number;
  /**
   * Zones to run in, spread with hard constraints; `"all"` spreads over every zone.
   * @default "all"
   */
  readonly zones?: readonly string[] | "all";
  /** Zones known to exist (e.g. from stack config); when set, `zones` must be among them. */
  readonly availableZones?: readonly string[];
  /** Warm replicas of each standby member. @default 1 */
  readonly standbyReplicas?: number;
  /**
   * Create an MCS `ServiceExport` in every member cluster for multi-cluster discovery.
   * @default false
   * @see https://multicluster.sigs.k8s.io/concepts/multicluster-services-api/
   */
  readonly exportService?: boolean;
}

export interface FailoverPlanMember {
  readonly name: string;
  readonly active: boolean;
  readonly replicas: number;
}

export interface FailoverPlan {
  readonly zones: readonly string[] | "all";
  /** One entry in zone mode (name ""), one per member in multi-cluster mode. */
  readonly members: readonly FailoverPlanMember[];
  readonly multiCluster: boolean;
  readonly exportService: boolean;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function planFailover(policy: FailoverPolicyArgs, members: readonly FailoverMemberSpec[] | undefined): FailoverPlan {
  const zones = policy.zones ?? "all";
  const replicas = policy.replicas ?? (zones === "all" ? 3 : zones.length);
  const standby = policy.standbyReplicas ?? 1;
  if (!members || members.length === 0) {
    return { zones, members: [{ name: "", active: true, replicas }], multiCluster: false, exportService: false };
  }
  return {
    zones,
    members: members.map((m) => ({ name: m.name, active: m.active === true, replicas: m.active ? replicas : standby })),
    multiCluster: true,
    exportService: policy.exportService === true,
  };
}

/**
 * The default disruption budget of a group spread hard over named zones: one
 * zone's worth of replicas, so a whole zone can be drained. Its evicted
 * replicas cannot be scheduled anywhere else (the spread pins them to their
 * zone), so with `maxUnavailable: 1` the drain of a zone holding two or more
 * would wait forever. `undefined` (the service default) with `zones: "all"`,
 * whose zone count is not known, and across clusters.
 */
export function zonalDisruptionBudget(policy: FailoverPolicyArgs, members: readonly FailoverMemberSpec[] | undefined): { readonly maxUnavailable: number } | undefined {
  const zones = policy.zones ?? "all";
  if (zones === "all" || zones.length === 0 || (members?.length ?? 0) > 0) return undefined;
  const replicas = policy.replicas ?? zones.length;
  return { maxUnavailable: Math.max(1, Math.ceil(replicas / zones.length)) };
}

export function validateFailover(
  policy: FailoverPolicyArgs,
  members: readonly FailoverMemberSpec[] | undefined,
  groupName: string,
): Problems {
  const problems = new Problems();
  const zones = policy.zones ?? "all";
  if (zones !== "all") {
    if (zones.length === 0) {
      problems.add("zones", '`zones` ([]) is empty. List the zones to run in, or use "all".');
    }
    const seen = new Set<string>();
    zones.forEach((z, i) => {
      if (seen.has(z)) problems.add(`zones[${i}]`, `\`zones[${i}]\` (${show(z)}) is listed twice. Remove the duplicate.`);
      seen.add(z);
      if (!isLabelValue(z) || z === "") {
        problems.add(`zones[${i}]`, `\`zones[${i}]\` (${show(z)}) is not a valid zone label value. Use the value of the nodes' topology.kubernetes.io/zone label.`);
      } else if (policy.availableZones && !policy.availableZones.includes(z)) {
        problems.add(`zones[${i}]`, `\`zones[${i}]\` (${show(z)}) is not one of \`availableZones\` (${policy.availableZones.map((a) => show(a)).join(", ")}). Use one of those, or add it to \`availableZones\`.`);
      }
    });
  }
  const replicas = policy.replicas ?? (zones === "all" ? 3 : zones.length);
  if (policy.replicas === undefined && zones !== "all" && zones.length === 0) {
    // Nothing to derive `replicas` from: the empty `zones` is reported above.
  } else if (!Number.isInteger(replicas) || replicas < 1) {
    problems.add("replicas", `\`replicas\` (${show(replicas)}) must be a whole number >= 1.`);
  } else if (zones === "all" && replicas < 2) {
    problems.add("replicas", `\`replicas\` (${replicas}) leaves no replica to fail over to when a zone is lost. Set \`replicas\` to 2 or more.`);
  } else if (zones !== "all" && zones.length > 0 && replicas < zones.length) {
    problems.add("replicas", `\`replicas\` (${replicas}) is fewer than the ${zones.length} \`zones\`, so some zone would have no replica. Set \`replicas\` to ${zones.length} or more.`);
  }
  if (policy.standbyReplicas !== undefined) {
    const s = policy.standbyReplicas;
    if (!Number.isInteger(s) || s < 0) {
      problems.add("standbyReplicas", `\`standbyReplicas\` (${show(s)}) must be a whole number >= 0.`);
    } else if (Number.isInteger(replicas) && replicas >= 1 && s > replicas) {
      problems.add("standbyReplicas", `\`standbyReplicas\` (${s}) must not exceed \`replicas\` (${replicas}). Set it to ${replicas} or fewer.`);
    }
    if (!members?.length) {
      problems.add("standbyReplicas", "`standbyReplicas` only applies with `members` (several clusters). Remove it, or add `members`.");
    }
  }
  if (policy.exportService && !members?.length) {
    problems.add("exportService", "`exportService` (true) only applies with `members` (several clusters). Remove it, or add `members`.");
  }
  if (members != null) {
    if (members.length < 2) {
      problems.add("members", `\`members\` has ${members.length} entr${members.length === 1 ? "y" : "ies"}; a multi-cluster FailoverGroup needs at least 2 (one active, one standby). Add a member, or remove \`members\` for zone failover in one cluster.`);
    }
    const names = new Set<string>();
    members.forEach((m, i) => {
      if (!DNS1123_LABEL.test(m.name) || m.name.length > 20) {
        problems.add(`members[${i}].name`, `\`members[${i}].name\` (${show(m.name)}) must be a DNS-1123 label of at most 20 characters (it prefixes object names). Use e.g. "eu-west".`);
      }
      if (names.has(m.name)) problems.add(`members[${i}].name`, `\`members[${i}].name\` (${show(m.name)}) is used by another member. Give each member a unique name.`);
      names.add(m.name);
    });
    const active = members.filter((m) => m.active === true);
    if (members.length >= 2 && active.length !== 1) {
      problems.add(
        "members",
        `\`members\` must have exactly one member with \`active: true\` (found ${active.length}${active.length ? `: ${active.map((m) => show(m.name)).join(", ")}` : ""}). Mark exactly one member of "${groupName}" active.`,
      );
    }
  }
  return problems;
}

/** MCS ServiceExport: its name must equal the exported Service's name. */
export function buildServiceExport(serviceName: Input<string>, namespace: Input<string> | undefined, labels: Record<string, string>): Manifest {
  return {
    apiVersion: "multicluster.x-k8s.io/v1alpha1",
    kind: "ServiceExport",
    metadata: { name: serviceName, ...(namespace !== undefined ? { namespace } : {}), labels: { ...labels } },
  };
}
