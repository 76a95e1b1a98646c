import { execFileSync } from "node:child_process";

/** Runs the kubectl matching the local API server (on PATH from the e2e setup). */
export function kubectl(args: readonly string[], input?: string): string {
  return execFileSync("kubectl", [...args], {
    env: process.env,
    input,
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  }).toString("utf8");
}

export function getJson(args: readonly string[]): any {
  return JSON.parse(kubectl([...args, "-o", "json"]));
}

/** Every object in the cluster carrying a label (namespaced kinds switchyard creates, plus CRs). */
export function labelled(selector: string, kinds = DEFAULT_KINDS): { kind: string; namespace: string; name: string }[] {
  const list = getJson(["get", kinds.join(","), "--all-namespaces", "-l", selector]);
  return list.items.map((o: any) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
}

export const DEFAULT_KINDS = [
  "deployments.apps",
  "services",
  "serviceaccounts",
  "secrets",
  "configmaps",
  "poddisruptionbudgets.policy",
  "networkpolicies.networking.k8s.io",
  "horizontalpodautoscalers.autoscaling",
  "httproutes.gateway.networking.k8s.io",
  "serviceexports.multicluster.x-k8s.io",
  "servicemonitors.monitoring.coreos.com",
  "prometheusrules.monitoring.coreos.com",
];

/** Waits until `check` returns a truthy value (polling); returns it. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Pods of a service with their readiness and zone. */
export function podsOf(namespace: string, service: string): { name: string; ready: boolean; node: string; zone: string }[] {
  const pods = getJson(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${service}`]).items;
  const nodes = getJson(["get", "nodes"]).items;
  const zoneOf = new Map<string, string>(nodes.map((n: any) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"]]));
  return pods
    .filter((p: any) => !p.metadata.deletionTimestamp)
    .map((p: any) => ({
      name: p.metadata.name,
      ready: (p.status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
      node: p.spec.nodeName,
      zone: zoneOf.get(p.spec.nodeName) ?? "",
    }));
}
