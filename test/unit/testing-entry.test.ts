import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoScaledService, EventGraph, EventService, NatsJetStream, StackDashboard, Topic } from "@switchyard/pulumi";
import {
  CLUSTER_SCOPED_KINDS,
  TRANSFORMS_UNAVAILABLE,
  type SwitchyardMocks,
  outputValue,
  resetSwitchyardState,
  setSwitchyardMocks,
  unsecret,
} from "@switchyard/pulumi/testing";
import { TransformEngine } from "../../lib/testing/transforms";

const root = join(__dirname, "..", "..");
const IMAGE = "ghcr.io/acme/app:1.0.0";

/** What a user's test declares: a broker "bus", a topic, a publisher, a subscriber and the graph "events". */
function events(namespace?: string) {
  const bus = new NatsJetStream("bus", namespace ? { namespace } : {});
  const orders = new Topic("orders", { broker: bus, subjects: ["orders.>"] });
  const api = new EventService("api", { image: IMAGE, port: 8080, publishes: [orders], ...(namespace ? { namespace } : {}) });
  new EventService("billing", { image: IMAGE, subscribes: [{ topic: orders, durableName: "billing" }], scaling: { maxReplicas: 5 } });
  const graph = new EventGraph("events");
  return { bus, api, graph };
}

describe.each([false, true])("setSwitchyardMocks (preview=%s)", (preview) => {
  let mocks: SwitchyardMocks;
  let warn: { mockRestore(): void };
  beforeEach(async () => {
    mocks = await setSwitchyardMocks({ preview });
    warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
  });
  afterEach(() => warn.mockRestore());

  // Under plain `setMocks` the second of these failed: `Broker "bus" is declared after EventGraph "events"`.
  it("starts each test with an empty event graph (1st test declaring bus + events)", async () => {
    const { graph } = events();
    await mocks.settled();
    expect(graph.report.errors).toEqual([]);
    expect(mocks.get("switchyard:index:NatsJetStream", "bus").custom).toBe(false);
  });
  it("starts each test with an empty event graph (2nd test declaring bus + events)", async () => {
    const { graph } = events();
    await mocks.settled();
    expect(graph.report.errors).toEqual([]);
    expect(mocks.ofType("switchyard:index:EventGraph").map((r) => r.name)).toEqual(["events"]);
  });

  it("answers as the API server: an omitted namespace is `default`, names are filled in", async () => {
    const { api, bus } = events();
    expect(await outputValue(api.endpoint)).toMatch(/^http:\/\/api-[0-9a-f]{8}\.default\.svc\.cluster\.local:8080$/);
    expect(await outputValue(api.namespace)).toBe("default");
    expect(await outputValue(bus.endpoint)).toBe("nats://bus.default.svc.cluster.local:4222");
    await mocks.settled();
    const deployment = mocks.get("kubernetes:apps/v1:Deployment", "api");
    expect(deployment.inputs.metadata.namespace).toBeUndefined(); // what the program sent
    expect(deployment.state.metadata).toMatchObject({ namespace: "default", name: expect.stringMatching(/^api-[0-9a-f]{8}$/) });
    expect(deployment.id).toBe(`default/${deployment.state.metadata.name}`);
    expect(deployment.parent).toBe(mocks.get("switchyard:index:EventService", "api").urn);
    // Every Kubernetes object the services and the broker created got a namespace.
    const objects = mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(20);
    expect(objects.filter((r) => r.state.metadata.namespace !== "default").map((r) => r.name)).toEqual([]);
  });

  it("keeps an explicit namespace and name, and leaves cluster-scoped kinds without a namespace", async () => {
    const { api } = events("shop");
    new k8s.core.v1.Namespace("shop", { metadata: { name: "shop" } });
    new k8s.rbac.v1.ClusterRole("reader", { rules: [] });
    new k8s.apiextensions.CustomResource("tenant", { apiVersion: "acme.dev/v1", kind: "Tenant", metadata: {} });
    new k8s.core.v1.ConfigMap("settings", { metadata: { name: "fixed" }, data: {} });
    expect(await outputValue(api.endpoint)).toMatch(/\.shop\.svc\.cluster\.local:8080$/);
    await mocks.settled();
    expect(mocks.get("kubernetes:core/v1:Namespace", "shop").state.metadata).toEqual({ name: "shop" });
    expect(mocks.get("kubernetes:core/v1:Namespace", "shop").id).toBe("shop");
    expect(mocks.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "reader").state.metadata).toEqual({ name: expect.stringMatching(/^reader-[0-9a-f]{8}$/) });
    expect(mocks.get("kubernetes:acme.dev/v1:Tenant", "tenant").state.metadata.namespace).toBe("default");
    expect(mocks.get("kubernetes:core/v1:ConfigMap", "settings").state.metadata).toEqual({ name: "fixed", namespace: "default" });
    expect(CLUSTER_SCOPED_KINDS).toContain("ClusterTriggerAuthentication");
  });

  it("knows more cluster-scoped kinds when told", async () => {
    mocks = await setSwitchyardMocks({ preview, clusterScopedKinds: ["Tenant"] });
    new k8s.apiextensions.CustomResource("tenant", { apiVersion: "acme.dev/v1", kind: "Tenant", metadata: {} });
    await mocks.settled();
    expect(mocks.get("kubernetes:acme.dev/v1:Tenant", "tenant").state.metadata.namespace).toBeUndefined();
  });

  it("composes your own resource and call mocks", async () => {
    mocks = await setSwitchyardMocks({
      preview,
      newResource: (a) => (a.type === "kubernetes:core/v1:Service" ? { id: "svc-id", state: { status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } } } } : undefined),
      call: (a) => (a.token === "acme:index:lookup" ? { answer: 42 } : a.inputs),
    });
    const api = new AutoScaledService("api", { image: IMAGE, port: 8080, autoscaling: { maxReplicas: 3 } });
    expect(await outputValue(api.service!.status.loadBalancer.ingress[0]!.ip)).toBe("10.0.0.1");
    expect(await outputValue(api.endpoint)).toMatch(/\.default\.svc\.cluster\.local:8080$/); // defaults still filled in under your state
    await mocks.settled();
    expect(mocks.get("kubernetes:core/v1:Service", "api").id).toBe("svc-id");
    expect(await pulumi.runtime.invoke("acme:index:lookup", {})).toEqual({ answer: 42 });
  });

  it("returns `additionalSecretOutputs` as secrets, and gives generated passwords and built images a value", async () => {
    const { bus } = events();
    expect(await pulumi.isSecret(bus.password!.result)).toBe(true);
    expect(await outputValue(bus.password!.result)).toMatch(/^[0-9a-f]{32}$/);
    const built = new AutoScaledService("web", { image: { repository: "registry.local/web:1", context: "." }, port: 8080, autoscaling: { maxReplicas: 2 } });
    expect(await outputValue(built.workload.image!.repoDigest)).toMatch(/^registry\.local\/web@sha256:[0-9a-f]{64}$/);
    await mocks.settled();
    const secret = mocks.get("kubernetes:core/v1:Secret", "bus-credentials");
    expect(unsecret(secret.inputs.stringData)).toEqual({ user: "switchyard", password: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(secret.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
  });

  it("runs `transforms` as the engine does: own, the ancestors', then the stack's", async () => {
    const seen: string[] = [];
    pulumi.runtime.registerResourceTransform((a) => {
      if (a.type === "kubernetes:apps/v1:Deployment") seen.push(`stack:${a.name}:${a.props.metadata.annotations?.by ?? "-"}`);
      return undefined;
    });
    new AutoScaledService("api", { image: IMAGE, port: 8080, autoscaling: { maxReplicas: 3 } }, {
      transforms: [
        (a) => {
          if (a.type !== "kubernetes:apps/v1:Deployment") return undefined;
          seen.push(`component:${a.name}`);
          return { props: { ...a.props, metadata: { ...a.props.metadata, annotations: { by: "component" } } }, opts: pulumi.mergeOptions(a.opts, { ignoreChanges: ["spec.replicas"] }) };
        },
      ],
    });
    await mocks.settled();
    expect(seen).toEqual(["component:api", "stack:api:component"]);
    const deployment = mocks.get("kubernetes:apps/v1:Deployment", "api");
    expect(deployment.inputs.metadata.annotations).toEqual({ by: "component" });
    expect(deployment.options.ignoreChanges).toEqual(["spec.replicas"]);
    expect(mocks.get("kubernetes:core/v1:Service", "api").inputs.metadata.annotations).toBeUndefined();
  });

  it("forgets the previous test's stack transforms", async () => {
    new AutoScaledService("api", { image: IMAGE, port: 8080, autoscaling: { maxReplicas: 3 } });
    await mocks.settled();
    expect(mocks.get("kubernetes:apps/v1:Deployment", "api").inputs.metadata.annotations).toBeUndefined();
  });

  it("gives transforms secrets and values with dependencies as Outputs, as the engine does, and keeps them secret", async () => {
    const seen: Record<string, unknown> = {};
    const source = new k8s.core.v1.ConfigMap("source", { data: { a: "b" } });
    new k8s.core.v1.Secret(
      "token",
      { metadata: { labels: { from: source.metadata.name } }, stringData: { token: pulumi.secret("s3cret") } },
      {
        transforms: [
          (a) => {
            seen.stringData = pulumi.Output.isInstance(a.props.stringData);
            seen.metadata = pulumi.Output.isInstance(a.props.metadata);
            seen.type = a.props.type; // plain, no dependencies
            return { props: { ...a.props, type: "Opaque" }, opts: a.opts };
          },
        ],
      },
    );
    await mocks.settled();
    expect(seen).toEqual({ stringData: true, metadata: true, type: undefined });
    const secret = mocks.get("kubernetes:core/v1:Secret", "token");
    expect(pulumi.runtime.isRpcSecret(secret.inputs.stringData)).toBe(true);
    expect(unsecret(secret.inputs)).toMatchObject({ type: "Opaque", stringData: { token: "s3cret" }, metadata: { labels: { from: expect.stringMatching(/^source-/) } } });
  });

  it("sets project, stack and config per test", async () => {
    mocks = await setSwitchyardMocks({ preview, project: "shop", stack: "dev", config: { "switchyard:monitoring": false, "shop:replicas": 3 } });
    expect([pulumi.getProject(), pulumi.getStack(), new pulumi.Config("shop").requireNumber("replicas")]).toEqual(["shop", "dev", 3]);
    new AutoScaledService("api", { image: IMAGE, port: 8080, autoscaling: { maxReplicas: 3 } });
    await mocks.settled();
    expect(mocks.ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).toEqual([]);
    mocks = await setSwitchyardMocks({ preview, config: {} });
    expect([pulumi.getProject(), pulumi.getStack(), new pulumi.Config("shop").get("replicas")]).toEqual(["project", "stack", undefined]);
  });

  it("shows only this test's services on the stack dashboard", async () => {
    new AutoScaledService("api", { image: IMAGE, port: 8080, autoscaling: { maxReplicas: 3 } });
    const board = new StackDashboard("board", {});
    const json = await outputValue(board.dashboardJson);
    expect(json).toContain('"api"');
    expect(json).not.toContain("billing"); // a service of the previous tests
  });

  it("names what was registered when a lookup fails", async () => {
    new k8s.core.v1.ConfigMap("a", { data: {} });
    await mocks.settled();
    expect(() => mocks.get("kubernetes:core/v1:ConfigMap", "b")).toThrow('No resource kubernetes:core/v1:ConfigMap "b" was registered (kubernetes:core/v1:ConfigMap: a).');
    expect(mocks.find("kubernetes:core/v1:ConfigMap", "b")).toBeUndefined();
  });
});

describe("resetSwitchyardState", () => {
  it("empties the event graph for programs that install Pulumi mocks themselves", async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs });
    resetSwitchyardState();
    events();
    expect(() => new NatsJetStream("bus", {})).toThrow(/bus/);
    resetSwitchyardState();
    expect(() => events()).not.toThrow();
  });
});

describe("transforms under an SDK without the callback handler", () => {
  it("fail with the documented message", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): { callbacks?: unknown } }).getStore();
    const saved = store.callbacks;
    store.callbacks = { shutdown() {} };
    try {
      const req = { getTransformsList: () => [{ getToken: () => "t" }], getParent: () => "" } as any;
      await expect(new TransformEngine().apply(req)).rejects.toThrow(`${TRANSFORMS_UNAVAILABLE}: its callback server has no invoke handler`);
    } finally {
      store.callbacks = saved;
    }
  });
});

describe("per-stack state in lib/", () => {
  /** Module-level mutable state: `let` bindings and Map/Set/WeakMap/array constants at the top of a file. */
  function moduleState(): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts") && !p.includes(join("lib", "testing"))) {
          for (const line of readFileSync(p, "utf8").split("\n")) {
            const m = /^(?:export )?(?:let|var) (\w+)|^(?:export )?const (\w+)\s*(?::[^=]+)?=\s*(?:new (?:Weak)?(?:Map|Set)\b|\[\s*\]|\[\]\s*as)/.exec(line);
            if (m) found.push(`${relative(root, p)}: ${m[1] ?? m[2]}`);
          }
        }
      }
    };
    walk(join(root, "lib"));
    return found.sort();
  }

  it("is only what resetSwitchyardState resets (add new registries there, then here)", () => {
    expect(moduleState()).toEqual([
      "lib/components/monitoring-resources.ts: fallbackRegistry", // resetMonitoredWorkloads()
      "lib/components/monitoring-resources.ts: registries", // keyed by the stack resource
      "lib/events/broker.ts: fallback", // resetEventGraph()
      "lib/events/broker.ts: generation", // resetEventGraph() retires the stacks' graphs made before it
      "lib/events/broker.ts: graphs", // keyed by the stack resource
    ]);
  });
});

describe("the main entry point", () => {
  it("never loads the testing helper (production programs do not carry it)", () => {
    const importers: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (p !== join(root, "lib", "testing")) walk(p);
        } else if (/["'](?:\.\.?\/)+(?:lib\/)?testing(?:\/[^"']*)?["']/.test(readFileSync(p, "utf8"))) importers.push(relative(root, p));
      }
    };
    walk(join(root, "lib"));
    expect(importers).toEqual([]);
  });
});

describe("README: Testing your stack", () => {
  it("shows exactly the example files this repository runs", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const start = readme.indexOf("### Testing your stack\n");
    expect(start).toBeGreaterThan(-1);
    const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([
      readFileSync(join(root, "examples", "testing", "stack.ts"), "utf8"),
      readFileSync(join(root, "examples", "testing", "stack.test.ts"), "utf8"),
    ]);
    expect(readme.indexOf("### Testing your stack")).toBeLessThan(readme.indexOf("### Validation"));
  });
});
