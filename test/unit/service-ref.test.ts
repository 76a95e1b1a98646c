import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { beforeEach, describe, expect, it } from "vitest";
import { AutoScaledService, EventService, FailoverGroup, ServiceRef, callerIngressRule, stableName } from "../../lib";
import { installMocks, kubeObjects, registrations, settle, valueOf } from "../support/mocks";

const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const base = { image: "ghcr.io/acme/orders:1.0.0", port: 8080, namespace: "shop", autoscaling: { maxReplicas: 4 } } as const;
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name);
/** Namespace of every Kubernetes object registered, by `type::name`. */
const namespaces = () =>
  Object.fromEntries(
    kubeObjects(registrations)
      .filter((r) => r.type !== "pulumi:providers:kubernetes")
      .map((r) => [`${r.type}::${r.name}`, r.inputs.metadata?.namespace]),
  );
/** Another team's service, behind a Service port 80 in front of container port 8080. */
const inventoryRef = (extra: Partial<ConstructorParameters<typeof ServiceRef>[0]> = {}) => new ServiceRef({ name: "inventory", namespace: "inventory", port: 80, ...extra });

describe.each([true, false])("ServiceRef and network policy ownership (preview=%s)", (preview) => {
  beforeEach(() => installMocks(preview));

  it("by default, calling a ServiceRef creates nothing outside the caller's namespace", async () => {
    const inventory = inventoryRef();
    const orders = new AutoScaledService("orders", { ...base, calls: [inventory] });
    const checkout = new FailoverGroup("checkout", { service: { image: "ghcr.io/acme/checkout:1", port: 8080, namespace: "shop", calls: [inventory] }, zones: ["zone-a", "zone-b"] });
    const worker = new EventService("worker", { image: "ghcr.io/acme/worker:1", namespace: "shop", calls: [inventory] });
    await settle();
    // The endpoint is injected as before ...
    const env = find("kubernetes:apps/v1:Deployment", "orders")!.inputs.spec.template.spec.containers[0].env;
    expect(env).toEqual([{ name: "INVENTORY_URL", value: "http://inventory.inventory.svc.cluster.local:80" }]);
    // ... but no policy is written in the inventory namespace, by any kind of caller.
    expect(registrations.filter((r) => r.type === NP).map((r) => r.name).sort()).toEqual(["checkout-ingress", "orders-ingress", "worker-ingress"]);
    expect(Object.entries(namespaces()).filter(([, ns]) => ns !== "shop")).toEqual([]);
    expect(orders.workload.callPolicies).toEqual([]);
    expect(checkout.members[0]!.workload.callPolicies).toEqual([]);
    expect(worker.workload.callPolicies).toEqual([]);
    expect(inventory.admitCallers).toBe(false);
    expect(inventory.podSelector).toBeUndefined();
  });

  it("a podSelector alone does not opt in", async () => {
    new AutoScaledService("orders", { ...base, calls: [inventoryRef({ podSelector: { app: "inventory" }, podPort: 8080 })] });
    await settle();
    expect(find(NP, "orders-to-inventory")).toBeUndefined();
  });

  it("admitCallers: true writes the callee-side policy as before", async () => {
    const inventory = inventoryRef({ podPort: 8080, admitCallers: true });
    const orders = new AutoScaledService("orders", { ...base, calls: [inventory] });
    await settle();
    expect(inventory.podSelector).toEqual({ "app.kubernetes.io/name": "inventory" });
    expect(orders.workload.callPolicies.length).toBe(1);
    expect(find(NP, "orders-to-inventory")!.inputs).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: stableName("switchyard:index:AutoScaledService::orders", "orders-to-inventory"),
        namespace: "inventory",
        labels: { "app.kubernetes.io/name": "orders", "switchyard.dev/service": "orders", "switchyard.dev/component": "autoscaledservice" },
      },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "inventory" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
            ports: [{ protocol: "TCP", port: 8080 }],
          },
        ],
      },
    });
  });

  it("admitCallers: true keeps podSelector (custom, or null for no policy) and podPort defaulting to port", async () => {
    new AutoScaledService("orders", {
      ...base,
      calls: [
        inventoryRef({ admitCallers: true, podSelector: { app: "inventory", tier: "api" } }),
        new ServiceRef({ name: "billing", namespace: "billing", port: 8443, admitCallers: true, podSelector: null }),
      ],
    });
    await settle();
    const spec = find(NP, "orders-to-inventory")!.inputs.spec;
    expect(spec.podSelector).toEqual({ matchLabels: { app: "inventory", tier: "api" } });
    expect(spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 80 }]);
    expect(find(NP, "orders-to-billing")).toBeUndefined();
  });

  it("calls to a service of the same stack still create the callee-side policy, in the callee's namespace", async () => {
    const catalog = new AutoScaledService("catalog", { ...base, namespace: "catalog" });
    new AutoScaledService("orders", { ...base, calls: [catalog] });
    await settle();
    const policy = find(NP, "orders-to-catalog")!.inputs;
    expect(policy.metadata.namespace).toBe("catalog");
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "catalog" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
          ports: [{ protocol: "TCP", port: "http" }],
        },
      ],
    });
  });

  it("callerIdentity: the namespace and pod labels another namespace's owner admits", async () => {
    const orders = new AutoScaledService("orders", base);
    const unplaced = new AutoScaledService("audit", { ...base, namespace: undefined });
    const checkout = new FailoverGroup("checkout", {
      service: { image: "ghcr.io/acme/checkout:1", port: 8080, namespace: "shop" },
      members: [
        { name: "east", provider: new k8s.Provider("east", { kubeconfig: "{}" }), active: true },
        { name: "west", provider: new k8s.Provider("west", { kubeconfig: "{}" }) },
      ],
    });
    const worker = new EventService("worker", { image: "ghcr.io/acme/worker:1", namespace: "jobs" });
    await settle();
    expect(await valueOf(orders.callerIdentity)).toEqual({ namespace: "shop", podLabels: { "app.kubernetes.io/name": "orders" } });
    // The namespace the pods actually run in (here the mocks' provider default).
    expect(await valueOf(unplaced.callerIdentity)).toEqual({ namespace: "default", podLabels: { "app.kubernetes.io/name": "audit" } });
    expect(await valueOf(checkout.callerIdentity)).toEqual({ namespace: "shop", podLabels: { "app.kubernetes.io/name": "checkout" } });
    expect(await Promise.all(checkout.members.map(async (m) => [m.name, await valueOf(m.callerIdentity)]))).toEqual([
      ["east", { namespace: "shop", podLabels: { "app.kubernetes.io/name": "checkout" } }],
      ["west", { namespace: "shop", podLabels: { "app.kubernetes.io/name": "checkout" } }],
    ]);
    expect(await valueOf(worker.callerIdentity)).toEqual({ namespace: "jobs", podLabels: { "app.kubernetes.io/name": "worker" } });
    // The callee's owner admits it with the same rule switchyard writes with `admitCallers`.
    const rule = await valueOf(orders.callerIdentity.apply((id) => callerIngressRule(id, [8080])));
    expect(rule).toEqual({
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
      ports: [{ protocol: "TCP", port: 8080 }],
    });
  });

  it("the identity fits a switchyard callee's networkPolicy.allowFrom", async () => {
    new AutoScaledService("inventory", {
      ...base,
      namespace: "inventory",
      monitoring: false,
      networkPolicy: { allowFrom: [{ namespace: "shop", podLabels: { "app.kubernetes.io/name": "orders" } }] },
    });
    await settle();
    expect(find(NP, "inventory-ingress")!.inputs.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
        ports: [{ protocol: "TCP", port: "http" }],
      },
    ]);
  });
});

describe("ServiceRef arguments", () => {
  it("admitCallers must be a boolean", () => {
    let err: unknown;
    try {
      inventoryRef({ admitCallers: "yes" as unknown as boolean });
    } catch (e) {
      err = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors).toEqual([
      { propertyPath: "admitCallers", reason: '`admitCallers` ("yes") must be true or false. Set it to true to write the NetworkPolicy in the target\'s namespace, or leave it unset.' },
    ]);
  });

  it("callerIngressRule without ports admits the caller to every port", () => {
    expect(callerIngressRule({ namespace: "shop", podLabels: { "app.kubernetes.io/name": "orders" } })).toEqual({
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
    });
  });
});
