import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { FailoverGroup } from "../../lib";
import { getJson as httpJson, traffic } from "./support/http";
import { eventually, getJson, kubectl, podsOf } from "./support/kube";
import { ROOT, inlineStack } from "./support/stack";

/**
 * A zone lost at once (its only real node killed, as a power loss would) under
 * continuous traffic: the FailoverGroup keeps answering from the other zone.
 * Requests routed to the lost pods fail until the control plane notices (the
 * controller manager's node-monitor grace period, 20 s here) and takes them
 * out of the Service, and kube-proxy applies that; the count is reported, the
 * recovery is asserted (no client here retries, as a mesh or a client library would).
 */
const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const id = randomBytes(3).toString("hex");
const namespace = `e2e-node-loss-${id}`;
const NODE_SH = join(ROOT, "scripts/cluster/node.sh");
/** The zone kube-proxy routes for (it runs as real-a, so PreferSameZone prefers zone-a): losing it is the hard case. */
const LOST = { node: "real-a", zone: "zone-a" };
const node = (cmd: "stop" | "start") => execFileSync("bash", [NODE_SH, cmd, LOST.node], { env: process.env, stdio: ["ignore", "ignore", "inherit"] });

let stack: Stack | undefined;
let stopped = false;

afterAll(async () => {
  if (stopped) node("start");
  if (stack) {
    await stack.destroy({ onOutput: log }).catch(() => undefined);
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
  }
  try {
    kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
  } catch {
    // cluster gone
  }
});

describe("a zone lost under continuous traffic (real nodes)", () => {
  let url = "";
  let service = "";

  it("up: a FailoverGroup over zone-a and zone-b, its replicas Ready in both", async () => {
    const image = process.env.SWITCHYARD_APP_IMAGE!;
    stack = await inlineStack("e2e-node-loss", async () => {
      const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
      const group = new FailoverGroup(
        "orders",
        { service: { image, port: 8080, healthPath: "/healthz", namespace: ns.metadata.name, env: { APP_ROLE: "api", SERVICE_NAME: "orders" } }, zones: ["zone-a", "zone-b"], replicas: 4 },
        { dependsOn: [ns] },
      );
      return { serviceName: group.serviceName };
    });
    const res = await stack.up({ onOutput: log });
    service = res.outputs.serviceName!.value;
    const pods = await eventually(() => {
      const p = podsOf(namespace, "orders").filter((x) => x.ready);
      return p.length === 4 ? p : undefined;
    }, 180_000, "4 ready orders pods");
    expect(new Set(pods.map((p) => p.zone))).toEqual(new Set(["zone-a", "zone-b"]));
    const svc = getJson(["get", "service", "-n", namespace, service]);
    url = `http://${svc.spec.clusterIP}:8080/`;
    expect((await httpJson(url)).service).toBe("orders");
  });

  it("the service keeps answering from zone-b once the control plane takes zone-a's pods out; the failures in between are counted", async () => {
    const zoneOf = new Map(podsOf(namespace, "orders").map((p) => [p.name, p.zone]));
    const load = traffic(url, { concurrency: 2, pauseMs: 50, timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 3000));
    const before = load.snapshot();
    const lostAt = Date.now();
    node("stop");
    stopped = true;
    // Recovered: the control plane has marked the node NotReady and the lost pods not ready,
    // so the Service's endpoints are zone-b's only; then a run of answers all from zone-b.
    await eventually(() => getJson(["get", "node", LOST.node]).status.conditions.find((c: any) => c.type === "Ready")?.status !== "True", 120_000, `${LOST.node} NotReady`);
    const notReadyAfter = Date.now() - lostAt;
    const slices = () => getJson(["get", "endpointslices", "-n", namespace, "-l", `kubernetes.io/service-name=${service}`]).items.flatMap((s: any) => s.endpoints ?? []);
    await eventually(() => slices().filter((e: any) => e.conditions?.ready).every((e: any) => e.zone === "zone-b") || undefined, 120_000, "only zone-b endpoints ready");
    const recoveredAfter = Date.now() - lostAt;
    // kube-proxy applies the new endpoints within its sync period; requests already on their way fail.
    await new Promise((r) => setTimeout(r, 3000));
    const mark = load.snapshot();
    await new Promise((r) => setTimeout(r, 5000));
    const after = load.snapshot();
    const seen = await load.stop();
    const zones = new Set([...seen.pods.keys()].map((p) => zoneOf.get(p) ?? "?"));
    log(
      `node ${LOST.node} lost: NotReady after ${notReadyAfter} ms, only zone-b endpoints after ${recoveredAfter} ms; ` +
        `${seen.ok} ok, ${seen.failed} failed (${seen.failed - before.failed} after the loss); answered from ${[...zones].join(", ")}\n`,
    );
    expect(before.failed).toBe(0); // nothing failed before the loss
    expect(after.failed - mark.failed).toBe(0); // ... nor once the control plane reacted
    expect(after.ok - mark.ok).toBeGreaterThan(10); // and it kept answering
    expect(zones).toContain("zone-b");
  });

  it("the node comes back: its pods run again and the group serves from both zones", async () => {
    node("start");
    stopped = false;
    await eventually(() => {
      const p = podsOf(namespace, "orders").filter((x) => x.ready);
      return p.length === 4 && new Set(p.map((x) => x.zone)).size === 2 ? p : undefined;
    }, 240_000, "4 ready orders pods in both zones again");
    expect((await httpJson(url)).service).toBe("orders");
  });
});
