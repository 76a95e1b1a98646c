import * as k8s from "@pulumi/kubernetes";
import { beforeEach, describe, expect, it } from "vitest";
import { FailoverGroup, stableName } from "../../lib";
import { childList, installMocks, registrations, settle, valueOf } from "../support/mocks";
const n = (logical: string) => stableName("switchyard:index:FailoverGroup::checkout", logical);

const service = { image: "ghcr.io/acme/checkout:2.1.0", port: 8080, namespace: "shop" } as const;
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;

describe.each([true, false])("FailoverGroup (preview=%s)", (preview) => {
  beforeEach(() => installMocks(preview));

  it("zone mode: hard spread over the named zones, a PDB and zone-preferring traffic", async () => {
    const g = new FailoverGroup("checkout", { service, zones: ["zone-a", "zone-b", "zone-c"] });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:apps/v1:Deployment::checkout",
      "kubernetes:core/v1:Service::checkout",
      "kubernetes:core/v1:ServiceAccount::checkout-sa",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::checkout-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::checkout-monitor",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::checkout-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget::checkout-pdb",
    ]);
    const dep = find("kubernetes:apps/v1:Deployment", "checkout").inputs;
    expect(dep.spec.replicas).toBe(3);
    const pod = dep.spec.template.spec;
    expect(pod.topologySpreadConstraints[0]).toEqual({
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      minDomains: 3,
      labelSelector: { matchLabels: { "app.kubernetes.io/name": "checkout" } },
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["zone-a", "zone-b", "zone-c"] }] },
    ]);
    expect(find("kubernetes:core/v1:Service", "checkout").inputs.spec.trafficDistribution).toBe("PreferSameZone");
    expect(g.activeMember).toBe("");
    expect(await valueOf(g.endpoint)).toBe(`http://${n("checkout")}.shop.svc.cluster.local:8080`);
  });

  it("zone mode: the default disruption budget lets a whole zone drain (one zone's worth of replicas); an explicit one wins", async () => {
    new FailoverGroup("orders", { service: { image: "ghcr.io/acme/orders:1", port: 8080 }, zones: ["zone-a", "zone-b"], replicas: 5 });
    new FailoverGroup("audit", { service: { image: "ghcr.io/acme/audit:1", port: 8080, disruptionBudget: { minAvailable: 3 } }, zones: ["zone-a", "zone-b"], replicas: 4 });
    new FailoverGroup("search", { service: { image: "ghcr.io/acme/search:1", port: 8080 }, zones: "all", replicas: 4 });
    await settle();
    const pdb = (n: string) => find("kubernetes:policy/v1:PodDisruptionBudget", `${n}-pdb`).inputs.spec;
    expect(pdb("orders")).toMatchObject({ maxUnavailable: 3 });
    expect(pdb("audit")).toMatchObject({ minAvailable: 3 });
    expect(pdb("audit").maxUnavailable).toBeUndefined();
    expect(pdb("search")).toMatchObject({ maxUnavailable: 1 });
  });

  it('zones "all": hard spread without pinning, 3 replicas by default', async () => {
    new FailoverGroup("checkout", { service });
    await settle();
    const pod = find("kubernetes:apps/v1:Deployment", "checkout").inputs.spec.template.spec;
    expect(find("kubernetes:apps/v1:Deployment", "checkout").inputs.spec.replicas).toBe(3);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe("DoNotSchedule");
    expect(pod.topologySpreadConstraints[0].minDomains).toBeUndefined();
    expect(pod.affinity).toBeUndefined();
  });

  it("multi-cluster: each member on its own provider, standbys warm, promotion before demotion", async () => {
    const east = new k8s.Provider("east", { kubeconfig: "{}" });
    const west = new k8s.Provider("west", { kubeconfig: "{}" });
    const dependsOn = new Map<string, unknown>();
    const g = new FailoverGroup("checkout", {
      service,
      replicas: 4,
      standbyReplicas: 1,
      exportService: true,
      members: [
        { name: "east", provider: east },
        { name: "west", provider: west, active: true },
      ],
    }, { transformations: [(a) => { dependsOn.set(`${a.type}::${a.name}`, a.opts.dependsOn); return undefined; }] });
    await settle();
    expect(childList(registrations).filter((n) => !n.startsWith("pulumi:providers"))).toEqual([
      "kubernetes:apps/v1:Deployment::checkout-east",
      "kubernetes:apps/v1:Deployment::checkout-west",
      "kubernetes:core/v1:Service::checkout-east",
      "kubernetes:core/v1:Service::checkout-west",
      "kubernetes:core/v1:ServiceAccount::checkout-east-sa",
      "kubernetes:core/v1:ServiceAccount::checkout-west-sa",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::checkout-east-alerts",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::checkout-west-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::checkout-east-monitor",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::checkout-west-monitor",
      "kubernetes:multicluster.x-k8s.io/v1alpha1:ServiceExport::checkout-east-export",
      "kubernetes:multicluster.x-k8s.io/v1alpha1:ServiceExport::checkout-west-export",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::checkout-east-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::checkout-west-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget::checkout-east-pdb",
      "kubernetes:policy/v1:PodDisruptionBudget::checkout-west-pdb",
    ]);
    expect(find("kubernetes:apps/v1:Deployment", "checkout-west").inputs.spec.replicas).toBe(4);
    expect(find("kubernetes:apps/v1:Deployment", "checkout-east").inputs.spec.replicas).toBe(1);
    expect(find("kubernetes:apps/v1:Deployment", "checkout-west").inputs.metadata.annotations).toEqual({ "switchyard.dev/failover-role": "active" });
    for (const m of ["east", "west"]) {
      for (const r of registrations.filter((x) => x.name.startsWith(`checkout-${m}`))) {
        expect(r.provider, r.name).toMatch(new RegExp(`::pulumi:providers:kubernetes::${m}::`));
      }
      // Members share one Service name so MCS merges them; the export carries that name.
      expect(find("kubernetes:core/v1:Service", `checkout-${m}`).inputs.metadata.name).toBe("checkout");
      expect(find("kubernetes:multicluster.x-k8s.io/v1alpha1:ServiceExport", `checkout-${m}-export`).inputs.metadata).toMatchObject({ name: "checkout", namespace: "shop" });
    }
    // The standby's Deployment depends on the active one: it is changed only after the active rollout.
    const west0 = g.members.find((m) => m.name === "west")!;
    expect(g.members[0]!.name).toBe("west");
    expect(dependsOn.get("kubernetes:apps/v1:Deployment::checkout-east")).toEqual([west0.workload.deployment]);
    expect(dependsOn.get("kubernetes:apps/v1:Deployment::checkout-west")).toBeUndefined();
    expect(g.activeMember).toBe("west");
    expect(await valueOf(g.clustersetDnsName!)).toBe("checkout.shop.svc.clusterset.local");
  });
});
