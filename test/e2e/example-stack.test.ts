import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, getJson, labelled, podsOf } from "./support/kube";
import { getJson as httpJson, traffic } from "./support/http";
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
    // FailoverGroup (zones "all"): a ready replica in each zone that has real nodes, none on the fake ones.
    const realZones = new Set(getJson(["get", "nodes", "-l", "switchyard.dev/node=real"]).items.map((n: any) => n.metadata.labels["topology.kubernetes.io/zone"]));
    expect(realZones.size).toBeGreaterThanOrEqual(2);
    expect(new Set(podsOf(ns, "checkout").map((p) => p.zone))).toEqual(realZones);
    expect(podsOf(ns, "checkout").every((p) => p.node.startsWith("real-"))).toBe(true);
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
      "web-ingress",
      "web-to-catalog",
      "web-to-checkout",
    ]);
    // Events: JetStream streams and durable consumers for NACK, the KEDA scaler, the diagram.
    expect(getJson(["get", "streams.jetstream.nats.io", "-n", ns]).items).toHaveLength(2);
    // fulfillment's, catalog's (an AutoScaledService subscribing, scaled on CPU) and the dead letters' reader.
    expect(getJson(["get", "consumers.jetstream.nats.io", "-n", ns]).items).toHaveLength(3);
    const scaled = getJson(["get", "scaledobjects.keda.sh", "-n", ns]).items;
    expect(scaled.map((o: any) => o.spec.triggers[0].type)).toEqual(["nats-jetstream"]);
    expect(res.outputs.eventDiagram!.value).toContain("fulfillment");
    expect(getJson(["get", "httproutes.gateway.networking.k8s.io", "-n", ns]).items).toHaveLength(1);
  });

  /** `http://<ClusterIP>:8080` of a service of the stack (the host reaches ClusterIPs through kube-proxy). */
  const urlOf = (service: string) => {
    const svc = getJson(["get", "services", "-n", ns, "-l", `app.kubernetes.io/name=${service}`]).items[0];
    return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
  };
  const readyPods = async (service: string, n: number) =>
    eventually(() => {
      const p = podsOf(ns, service).filter((x) => x.ready);
      return p.length >= n ? p : undefined;
    }, 180_000, `${n} ready ${service} pods`);

  it("every service's containers run with switchyard's restricted defaults (non-root, read-only root, writable /tmp)", async () => {
    for (const svc of ["catalog", "web", "checkout"]) {
      const sandbox = await httpJson(`${urlOf(svc)}/runtime`);
      expect({ svc, ...sandbox, groups: undefined }).toEqual({
        svc, uid: 65532, gid: 65532, groups: undefined, rootWritable: false, rootWriteError: "read-only file system", tmpWritable: true, noNewPrivs: true,
      });
    }
    // The pod specs say the same, and every container of the stack is running for real (no fake node).
    for (const pod of getJson(["get", "pods", "-n", ns]).items) {
      expect(pod.spec.nodeName).toMatch(/^real-/);
      expect(pod.status.containerStatuses.every((c: any) => c.state.running && c.containerID.startsWith("containerd://"))).toBe(true);
    }
  });

  it("a caller reaches its callee through the URL switchyard injected (cluster DNS + ClusterIP)", async () => {
    const catalogPods = new Set((await readyPods("catalog", 2)).map((p) => p.name));
    const answer = await httpJson(`${urlOf("web")}/call/catalog`);
    const out = await stack.outputs();
    expect(answer.via).toBe(out.services!.value.catalog.endpoint);
    expect(answer.via).toMatch(/^http:\/\/catalog-[0-9a-f]{8}\.[a-z0-9-]+\.svc\.cluster\.local:8080$/);
    expect(answer.status).toBe(200);
    expect(catalogPods.has(answer.body.pod)).toBe(true);
    // checkout (a FailoverGroup) calls catalog too, by the same mechanism.
    const viaCheckout = await httpJson(`${urlOf("web")}/call/checkout`);
    expect(viaCheckout.status).toBe(200);
    expect(viaCheckout.body.service).toBe("checkout");
  });

  it("requests spread over every replica of a service", async () => {
    const pods = new Set((await readyPods("catalog", 2)).map((p) => p.name));
    const seen = new Map<string, number>();
    for (let i = 0; i < 60 && seen.size < pods.size; i++) {
      const a = await httpJson(`${urlOf("web")}/call/catalog`);
      seen.set(a.body.pod, (seen.get(a.body.pod) ?? 0) + 1);
    }
    log(`catalog answers by pod: ${JSON.stringify([...seen])}\n`);
    expect(new Set(seen.keys())).toEqual(pods);
  });

  it("every service is monitored: ServiceMonitors, PrometheusRules and the dashboard are accepted by the API server", async () => {
    const base = (name: string) => name.replace(/-[a-z0-9]{8}$/, "");
    const monitors = getJson(["get", "servicemonitors.monitoring.coreos.com", "-n", ns]).items;
    // The event services declare no port, so there is nothing of theirs to scrape.
    expect(monitors.map((m: any) => base(m.metadata.name)).sort()).toEqual(["catalog-monitor", "checkout-monitor", "web-monitor"]);
    const rules = getJson(["get", "prometheusrules.monitoring.coreos.com", "-n", ns]).items;
    expect(rules.map((r: any) => base(r.metadata.name)).sort()).toEqual(["catalog-alerts", "checkout-alerts", "fulfillment-alerts", "web-alerts"]);
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
    expect(model.panels.filter((p: any) => p.type === "row").map((p: any) => p.title)).toEqual(["Overview", "catalog", "checkout", "web", "fulfillment"]);
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

  it("a version, env and scaling bounds change in place under continuous traffic: rolling updates, no replacements, no failed request", async () => {
    await stack.setConfig("appVersion", { value: "1.1.0" });
    await stack.setConfig("cacheTtlSeconds", { value: "120" });
    await stack.setConfig("maxReplicas", { value: "8" });
    const preview = await stack.preview({ onOutput: log });
    const planned = changes(preview.changeSummary);
    expect(planned.replace ?? 0).toBe(0);
    expect(planned.update).toBeGreaterThanOrEqual(5); // 3 Deployments + 2 HPAs
    // Traffic through web to catalog while both roll (preStop, readiness, maxUnavailable: 0).
    const load = traffic(`${urlOf("web")}/call/catalog`, { podOf: (b) => b?.body?.pod });
    const t0 = Date.now();
    const res = await stack.up({ onOutput: log });
    // The rollouts finish after `up` returns only if the provider did not wait; wait for the new version everywhere.
    await eventually(async () => (await httpJson(`${urlOf("web")}/call/catalog`)).body.version === "1.1.0", 120_000, "catalog at 1.1.0");
    await new Promise((r) => setTimeout(r, 3000));
    const seen = await load.stop();
    log(`rollout under traffic: ${seen.ok} ok, ${seen.failed} failed in ${Date.now() - t0} ms; ${JSON.stringify(seen.failures)}\n`);
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(50);
    const done = changes(res.summary.resourceChanges);
    expect(done).toEqual({ update: planned.update });
    const versions = getJson(["get", "deployments", "-n", ns]).items.map((d: any) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === "APP_VERSION")?.value);
    expect(versions.every((v: string) => v === "1.1.0")).toBe(true);
    expect((await httpJson(`${urlOf("web")}/`)).version).toBe("1.1.0");
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
    // (checkout's events Secret carries the same label; only the one with the key counts here)
    const withKey = secrets.filter((s: any) => s.data?.PAYMENT_API_KEY);
    expect(withKey.map((s: any) => Buffer.from(s.data.PAYMENT_API_KEY, "base64").toString())).toEqual([SECRET]);
    expect(JSON.stringify(getJson(["get", "deployments", "-n", ns]))).not.toContain(SECRET);
  });

  it("destroy leaves no switchyard-labelled object behind", async () => {
    await stack.destroy({ onOutput: log });
    expect(labelled("switchyard.dev/service in (catalog,checkout,web,fulfillment,order-relay)")).toEqual([]);
    expect(labelled("switchyard.dev/dashboard")).toEqual([]);
    await eventually(() => getJson(["get", "namespaces"]).items.every((n: any) => n.metadata.name !== ns), 120_000, "namespace gone");
  });
});
