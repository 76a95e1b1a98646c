import { beforeEach, describe, expect, it } from "vitest";
import { AutoScaledService, stableName } from "../../lib";
import { installMocks, kubeObjects, registrations, settle } from "../support/mocks";

describe("stable Kubernetes names", () => {
  beforeEach(() => installMocks(false));

  it("are <logical>-<8 hex>, the same on every run, and differ per component scope", () => {
    const a = stableName("switchyard:index:AutoScaledService::api", "api");
    expect(a).toMatch(/^api-[0-9a-f]{8}$/);
    expect(stableName("switchyard:index:AutoScaledService::api", "api")).toBe(a);
    expect(stableName("switchyard:index:EventService::api", "api")).not.toBe(a);
    expect(stableName("switchyard:index:AutoScaledService::api", "api-sa")).toMatch(/^api-sa-[0-9a-f]{8}$/);
  });

  it("name every Kubernetes child of a component explicitly (no provider auto-naming)", async () => {
    new AutoScaledService("api", { image: "x:1", port: 8080, secretEnv: { A: "b" }, calls: [], autoscaling: { maxReplicas: 2 } });
    await settle();
    const objects = kubeObjects(registrations);
    expect(objects.length).toBe(9); // including the ServiceMonitor and PrometheusRule
    for (const o of objects) expect(o.inputs.metadata.name).toBe(stableName("switchyard:index:AutoScaledService::api", o.name));
  });
});
