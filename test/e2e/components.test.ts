import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { AutoScaledService, FailoverGroup, ServiceRef } from "../../lib";
import { eventually, getJson, labelled, podsOf } from "./support/kube";
import { changes, exportState, inlineStack, leaks } from "./support/stack";
import { ON_FAKE_NODES } from "./support/placement";

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const stacks: Stack[] = [];

afterAll(async () => {
  for (const s of stacks) {
    await s.destroy({ onOutput: log }).catch(() => undefined);
    await s.workspace.removeStack(s.name).catch(() => undefined);
  }
});

function restrictedNamespace(name: string, opts?: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(name, { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } }, opts);
}

describe("AutoScaledService, end to end", () => {
  const settings = { minReplicas: 3, maxReplicas: 5, tag: "1.0" };
  let stack: Stack;
  let ns = "";

  it("up: the HPA owns the replica count and the controller scales the Deployment to minReplicas", async () => {
    stack = await inlineStack("e2e-autoscaled", async () => {
      const namespace = restrictedNamespace("api").metadata.name;
      // The stack owns this namespace, so it may write the callee-side policy (`api-to-inventory`).
      const backend = new ServiceRef({ name: "inventory", namespace, port: 80, admitCallers: true });
      const api = new AutoScaledService(
        "api",
        {
          image: `ghcr.io/acme/api:${settings.tag}`,
          ...ON_FAKE_NODES,
          port: 8080,
          namespace,
          calls: [backend],
          secretEnv: { DB_PASSWORD: pulumi.secret("db-e2e-password-7781") },
          autoscaling: { minReplicas: settings.minReplicas, maxReplicas: settings.maxReplicas },
        },
        // Engine-side transforms reach every child of the component.
        { transforms: [(a) => (a.type === "kubernetes:apps/v1:Deployment" ? { props: { ...a.props, metadata: { ...a.props.metadata, annotations: { "e2e/transformed": "yes" } } }, opts: a.opts } : undefined)] },
      );
      return { namespace, deployment: api.deployment.metadata.name, endpoint: api.endpoint };
    });
    stacks.push(stack);
    const res = await stack.up({ onOutput: log });
    ns = res.outputs.namespace!.value;
    const name = res.outputs.deployment!.value;
    const dep = getJson(["get", "deployment", "-n", ns, name]);
    expect(dep.metadata.annotations["e2e/transformed"]).toBe("yes");
    // Pulumi's field manager does not own spec.replicas; the HPA controller does.
    const owners = (dep.metadata.managedFields ?? []).filter((f: any) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:replicas"') && f.subresource !== "status");
    expect(owners.map((f: any) => f.manager)).not.toContain(expect.stringMatching(/pulumi/));
    await eventually(() => podsOf(ns, "api").filter((p) => p.ready).length === 3, 180_000, "3 ready api pods");
    expect(getJson(["get", "hpa", "-n", ns]).items[0].spec.scaleTargetRef.name).toBe(name);
    expect(getJson(["get", "networkpolicies", "-n", ns]).items.map((p: any) => p.metadata.name.replace(/-[a-z0-9]{8}$/, "")).sort()).toEqual(["api-ingress", "api-to-inventory"]);
  });

  it("no-change preview and refresh after the controller changed replicas", async () => {
    expect(changes((await stack.preview({ onOutput: log })).changeSummary)).toEqual({});
    expect(changes((await stack.refresh({ onOutput: log })).summary.resourceChanges)).toEqual({});
    expect(changes((await stack.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("scaling bounds and image change in place", async () => {
    settings.minReplicas = 2;
    settings.maxReplicas = 7;
    settings.tag = "1.1";
    const res = await stack.up({ onOutput: log });
    // Deployment (image), HPA (bounds), and the PrometheusRule, whose at-maximum alert names maxReplicas.
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 3 });
    expect(getJson(["get", "hpa", "-n", ns]).items[0].spec).toMatchObject({ minReplicas: 2, maxReplicas: 7 });
    const rules = getJson(["get", "prometheusrules", "-n", ns]).items[0].spec.groups.flatMap((g: any) => g.rules);
    expect(rules.find((r: any) => r.alert === "SwitchyardAutoscalerAtMax").annotations.description).toContain("maxReplicas (7)");
    expect(leaks(exportState(stack), "db-e2e-password-7781")).toEqual([]);
  });

  it("destroy removes everything it created", async () => {
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service=api")).toEqual([]);
  });
});

describe("FailoverGroup, end to end", () => {
  it("zones: replicas spread over all three zones; losing a zone leaves serving replicas", async () => {
    const stack = await inlineStack("e2e-failover-zones", async () => {
      const namespace = restrictedNamespace("pay").metadata.name;
      const g = new FailoverGroup("payments", { service: { image: "ghcr.io/acme/pay:1", ...ON_FAKE_NODES, port: 8080, namespace }, zones: ["zone-a", "zone-b", "zone-c"], replicas: 6 });
      return { namespace, service: g.serviceName };
    });
    stacks.push(stack);
    const res = await stack.up({ onOutput: log });
    const ns = res.outputs.namespace!.value;
    const pods = await eventually(() => {
      const p = podsOf(ns, "payments");
      return p.length === 6 && p.every((x) => x.ready) ? p : undefined;
    }, 180_000, "6 ready payments pods");
    const perZone = new Map<string, number>();
    for (const p of pods) perZone.set(p.zone, (perZone.get(p.zone) ?? 0) + 1);
    expect(Object.fromEntries(perZone)).toEqual({ "zone-a": 2, "zone-b": 2, "zone-c": 2 });
    expect(getJson(["get", "service", "-n", ns, res.outputs.service!.value]).spec.trafficDistribution).toBe("PreferSameZone");
    expect(changes((await stack.preview({ onOutput: log })).changeSummary)).toEqual({});
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service=payments")).toEqual([]);
  });

  it("members: a changed active member is promoted before the old one is demoted", async () => {
    let active = "east";
    const stack = await inlineStack("e2e-failover-members", async () => {
      // Two members on one API server: each provider has its own namespace, standing in for a cluster.
      const members = ["east", "west"].map((m) => {
        const ns = restrictedNamespace(`member-${m}`);
        return { name: m, active: m === active, provider: new k8s.Provider(`cluster-${m}`, { namespace: ns.metadata.name }, { dependsOn: [ns] }), ns: ns.metadata.name };
      });
      const g = new FailoverGroup("orders", {
        service: { image: "ghcr.io/acme/orders:1", ...ON_FAKE_NODES, port: 8080 },
        replicas: 3,
        standbyReplicas: 1,
        exportService: true,
        members: members.map(({ name, active: a, provider }) => ({ name, active: a, provider })),
      });
      return { east: members[0]!.ns, west: members[1]!.ns, active: g.activeMember, clusterset: g.clustersetDnsName };
    });
    stacks.push(stack);
    const res = await stack.up({ onOutput: log });
    const ns = { east: res.outputs.east!.value as string, west: res.outputs.west!.value as string };
    const ready = (m: "east" | "west", n: number) => eventually(() => podsOf(ns[m], "orders").filter((p) => p.ready).length === n, 180_000, `${n} ready in ${m}`);
    await ready("east", 3);
    await ready("west", 1);
    expect(getJson(["get", "serviceexports.multicluster.x-k8s.io", "-n", ns.east]).items.map((e: any) => e.metadata.name)).toEqual(["orders"]);

    // Switch the active member. The preview lists the new active member's Deployment first.
    active = "west";
    const previewOrder: string[] = [];
    const preview = await stack.preview({ onOutput: log, onEvent: (e) => collect(e, previewOrder) });
    expect(changes(preview.changeSummary).replace ?? 0).toBe(0);
    expect(previewOrder).toEqual(["orders-west", "orders-east"]);
    // The update finishes the promotion (rollout complete) before the demotion starts.
    const timeline: string[] = [];
    const up = await stack.up({ onOutput: log, onEvent: (e) => timeline.push(...step(e)) });
    expect(up.outputs.active!.value).toBe("west");
    expect(timeline).toEqual(["start orders-west", "done orders-west", "start orders-east", "done orders-east"]);
    await ready("west", 3);
    await ready("east", 1);
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service=orders")).toEqual([]);
  });
});

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

function collect(e: EngineEvent, into: string[]): void {
  const m = e.resourcePreEvent?.metadata;
  if (m && m.type === DEPLOYMENT && m.op === "update") into.push(m.urn.split("::").pop()!);
}

function step(e: EngineEvent): string[] {
  const pre = e.resourcePreEvent?.metadata;
  if (pre && pre.type === DEPLOYMENT && pre.op === "update") return [`start ${pre.urn.split("::").pop()}`];
  const done = e.resOutputsEvent?.metadata;
  if (done && done.type === DEPLOYMENT && done.op === "update") return [`done ${done.urn.split("::").pop()}`];
  return [];
}
