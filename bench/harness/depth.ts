/**
 * Depth of a stack's resource dependency graph, from its state export: the
 * longest chain of custom resources where each one waits for the next
 * (`dependencies`, `propertyDependencies`, or a custom parent). A dependency
 * on a component stands for every custom resource under it, as the engine
 * treats it. Providers and the stack are not counted. If independent services
 * were serialized, the depth would grow with the number of services.
 */

interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly custom?: boolean;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Record<string, readonly string[]>;
}

export interface DepthReport {
  /** Custom resources in the longest chain. */
  readonly depth: number;
  /** That chain, from the resource nothing else waits for down to the first one created (type::name). */
  readonly chain: readonly string[];
  /** Custom resources counted. */
  readonly resources: number;
}

const isCounted = (r: StateResource) => r.custom === true && !r.type.startsWith("pulumi:providers:");

export function dependencyDepth(deployment: { resources?: readonly StateResource[] }): DepthReport {
  const resources = deployment.resources ?? [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  }
  /** Custom resources a dependency on `urn` stands for. */
  const expand = (urn: string, seen = new Set<string>()): string[] => {
    const r = byUrn.get(urn);
    if (!r || seen.has(urn)) return [];
    seen.add(urn);
    if (isCounted(r)) return [urn];
    if (r.custom) return []; // a provider
    return (children.get(urn) ?? []).flatMap((c) => expand(c, seen));
  };
  const memo = new Map<string, { depth: number; next?: string }>();
  const visiting = new Set<string>();
  const depthOf = (urn: string): number => {
    const known = memo.get(urn);
    if (known) return known.depth;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const r = byUrn.get(urn)!;
    const direct = [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat(), ...(r.parent ? [r.parent] : [])];
    const deps = new Set<string>();
    for (const d of direct) {
      const dr = byUrn.get(d);
      // A component parent does not make its children wait; only a custom parent does.
      if (d === r.parent && !(dr && isCounted(dr))) continue;
      for (const x of expand(d)) if (x !== urn) deps.add(x);
    }
    let best = { depth: 1 } as { depth: number; next?: string };
    for (const d of deps) {
      const dd = depthOf(d) + 1;
      if (dd > best.depth) best = { depth: dd, next: d };
    }
    visiting.delete(urn);
    memo.set(urn, best);
    return best.depth;
  };
  let top: string | undefined;
  let max = 0;
  const counted = resources.filter(isCounted);
  for (const r of counted) {
    const d = depthOf(r.urn);
    if (d > max) {
      max = d;
      top = r.urn;
    }
  }
  const chain: string[] = [];
  for (let u = top; u; u = memo.get(u)?.next) {
    const parts = u.split("::");
    chain.push(`${parts[2]?.split("$").pop()}::${parts[3]}`);
  }
  return { depth: max, chain, resources: counted.length };
}
