import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, getJson, labelled, podsOf } from "./support/kube";
import { changes, exampleStack, exportState, leaks } from "./support/stack";

const SECRET = "pk_live_switchyard_e2e_5f3c9a";
const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);

describe("the example stack through the real engine and API server", () => {
  let stack: Stack;
  let ns = "";

  beforeAll(async () => {
    stack = await exampleStack();
    await stack.setConfig("namespace", { value: stack.name });
    await stack.setConfig("paymentApiKey", { value: SECRET, secret: true });
  });

  afterAll(async () => {
    if (!stack) return;
    await stack.destroy({ onOutput: log }).catch(() => undefined);
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
  });

  it("up creates every object; pods are admitted under restricted and become Ready", async () => {
    const res = await stack.up({ onOutput: log });
    expect(res.summary.result).toBe("succeeded");
    ns = res.outputs.namespaceName!.value;
    expect(getJson(["get", "namespace", ns]).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const svc of ["catalog", "web", "checkout"]) {
      const pods = await eventually(() => {
        const p = podsOf(ns, svc);
        return p.length >= 2 && p.every((x) => x.ready) ? p : undefined;
      }, 180_000, `${svc} pods Ready`);
      expect(pods.length).toBeGreaterThanOrEqual(2);
    }
    // FailoverGroup: one ready replica in each zone.
    expect(new Set(podsOf(ns, "checkout").map((p) => p.zone))).toEqual(new Set(["zone-a", "zone-b", "zone-c"]));
    // The HPAs own the replica counts of the Deployments they target.
    const hpas = getJson(["get", "hpa", "-n", ns]).items;
    expect(hpas.map((h: any) => h.spec.scaleTargetRef.name.replace(/-[a-z0-9]{8}$/, "")).sort()).toEqual(["catalog", "web"]);
    // Discovery: web gets the callee endpoints, which are real Services with ready endpoints.
    const web = getJson(["get", "deployments", "-n", ns, "-l", "app.kubernetes.io/name=web"]).items[0];
    const env = Object.fromEntries(web.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.CATALOG_URL).toBe(res.outputs.services!.value.catalog.endpoint);
    expect(env.CHECKOUT_URL).toBe(res.outputs.services!.value.checkout.endpoint);
    const catalogSvc = res.outputs.services!.value.catalog.dnsName.split(".")[0];
    const slices = getJson(["get", "endpointslices", "-n", ns, "-l", `kubernetes.io/service-name=${catalogSvc}`]).items;
    expect(slices.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length).toBeGreaterThanOrEqual(2);
    // The network paths web declared exist; the route is accepted by the API server.
    const policies = getJson(["get", "networkpolicies", "-n", ns]).items.map((p: any) => p.metadata.name.replace(/-[a-z0-9]{8}$/, ""));
    expect(policies.sort()).toEqual([
      "catalog-ingress",
      "checkout-ingress",
      "checkout-to-catalog",
      "fulfillment-ingress",
      "order-relay-ingress",
      "web-ingress",
      "web-to-catalog",
      "web-to-checkout",
    ]);
    // Events: JetStream streams and durable consumers for NACK, the KEDA scaler, the diagram.
    expect(getJson(["get", "streams.jetstream.nats.io", "-n", ns]).items).toHaveLength(2);
    expect(getJson(["get", "consumers.jetstream.nats.io", "-n", ns]).items).toHaveLength(2);
    const scaled = getJson(["get", "scaledobjects.keda.sh", "-n", ns]).items;
    expect(scaled.map((o: any) => o.spec.triggers[0].type)).toEqual(["nats-jetstream"]);
    expect(res.outputs.eventDiagram!.value).toContain("fulfillment");
    expect(getJson(["get", "httproutes.gateway.networking.k8s.io", "-n", ns]).items).toHaveLength(1);
  });

  it("every service is monitored: ServiceMonitors, PrometheusRules and the dashboard are accepted by the API server", async () => {
    const base = (name: string) => name.replace(/-[a-z0-9]{8}$/, "");
    const monitors = getJson(["get", "servicemonitors.monitoring.coreos.com", "-n", ns]).items;
    // The event services declare no port, so there is nothing of theirs to scrape.
    expect(monitors.map((m: any) => base(m.metadata.name)).sort()).toEqual(["catalog-monitor", "checkout-monitor", "web-monitor"]);
    const rules = getJson(["get", "prometheusrules.monitoring.coreos.com", "-n", ns]).items;
    expect(rules.map((r: any) => base(r.metadata.name)).sort()).toEqual(["catalog-alerts", "checkout-alerts", "fulfillment-alerts", "order-relay-alerts", "web-alerts"]);
    // The rules select the objects that really exist: KEDA's HPA name comes from the ScaledObject's.
    const fulfillment = rules.find((r: any) => r.metadata.name.startsWith("fulfillment-alerts")).spec.groups[0].rules;
    const scaledObject = getJson(["get", "scaledobjects.keda.sh", "-n", ns]).items[0].metadata.name;
    expect(fulfillment.find((r: any) => r.alert === "SwitchyardAutoscalerAtMax").expr).toContain(`horizontalpodautoscaler="keda-hpa-${scaledObject}"`);
    const deployment = getJson(["get", "deployments", "-n", ns, "-l", "app.kubernetes.io/name=fulfillment"]).items[0].metadata.name;
    expect(fulfillment.find((r: any) => r.alert === "SwitchyardReplicasUnavailable").expr).toContain(`deployment="${deployment}"`);
    expect(fulfillment.find((r: any) => r.alert === "SwitchyardBacklogAboveCapacity").expr).toMatch(/> 300$/); // lagPerReplica 50 x maxReplicas 6
    const dashboards = getJson(["get", "configmaps", "-n", ns, "-l", "grafana_dashboard=1"]).items;
    expect(dashboards).toHaveLength(1);
    const model = JSON.parse(dashboards[0].data["shop.json"]);
    expect(model.uid).toBe((await stack.outputs()).dashboardUid!.value);
    expect(model.panels.filter((p: any) => p.type === "row").map((p: any) => p.title)).toEqual(["Overview", "catalog", "checkout", "web", "order-relay", "fulfillment"]);
  });

  it("a second preview shows no changes", async () => {
    const res = await stack.preview({ onOutput: log });
    expect(changes(res.changeSummary)).toEqual({});
  });

  it("refresh finds no drift", async () => {
    const res = await stack.refresh({ onOutput: log });
    expect(changes(res.summary.resourceChanges)).toEqual({});
    const again = await stack.preview({ onOutput: log });
    expect(changes(again.changeSummary)).toEqual({});
  });

  it("image tag, env and scaling bounds change in place: updates, no replacements", async () => {
    await stack.setConfig("imageTag", { value: "1.1.0" });
    await stack.setConfig("cacheTtlSeconds", { value: "120" });
    await stack.setConfig("maxReplicas", { value: "8" });
    const preview = await stack.preview({ onOutput: log });
    const planned = changes(preview.changeSummary);
    expect(planned.replace ?? 0).toBe(0);
    expect(planned.update).toBeGreaterThanOrEqual(5); // 3 Deployments + 2 HPAs
    const res = await stack.up({ onOutput: log });
    const done = changes(res.summary.resourceChanges);
    expect(done).toEqual({ update: planned.update });
    const images = getJson(["get", "deployments", "-n", ns]).items.map((d: any) => d.spec.template.spec.containers[0].image);
    expect(images.every((i: string) => i.endsWith(":1.1.0"))).toBe(true);
    expect(getJson(["get", "hpa", "-n", ns]).items.map((h: any) => h.spec.maxReplicas)).toEqual([8, 8]);
    const after = await stack.preview({ onOutput: log });
    expect(changes(after.changeSummary)).toEqual({});
  });

  it("the exported state holds no plaintext credential", async () => {
    const state = exportState(stack);
    expect(leaks(state, SECRET)).toEqual([]);
    expect(state).toContain('"ciphertext"'); // the value is there, encrypted
    // ...while the cluster really has it, in a Secret and not in the pod spec.
    const secrets = getJson(["get", "secrets", "-n", ns, "-l", "app.kubernetes.io/name=checkout"]).items;
    expect(secrets.map((s: any) => Buffer.from(s.data.PAYMENT_API_KEY, "base64").toString())).toEqual([SECRET]);
    expect(JSON.stringify(getJson(["get", "deployments", "-n", ns]))).not.toContain(SECRET);
  });

  it("destroy leaves no switchyard-labelled object behind", async () => {
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service in (catalog,checkout,web,fulfillment,order-relay)")).toEqual([]);
    expect(labelled("switchyard.dev/dashboard")).toEqual([]);
    await eventually(() => getJson(["get", "namespaces"]).items.every((n: any) => n.metadata.name !== ns), 120_000, "namespace gone");
  });
});
