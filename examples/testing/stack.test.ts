import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { outputValue, setSwitchyardMocks, type SwitchyardMocks } from "@switchyard/pulumi/testing";
import { shop } from "./stack";

describe("the shop stack", () => {
  let mocks: SwitchyardMocks;
  beforeEach(async () => {
    mocks = await setSwitchyardMocks({ project: "shop", stack: "test" }); // a new stack for every test
  });

  it("gives the API a cluster-local endpoint", async () => {
    const { endpoint } = shop();
    expect(await outputValue(endpoint)).toMatch(/^http:\/\/api-[0-9a-f]{8}\.default\.svc\.cluster\.local:8080$/);
  });

  it("scales billing on the backlog of its subscription", async () => {
    shop(); // the same broker, topic and EventGraph as the test before: each test starts an empty graph
    await mocks.settled();
    const scaler = mocks.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "billing-scaler");
    expect(scaler.inputs.spec.maxReplicaCount).toBe(5);
    expect(scaler.inputs.spec.triggers[0].type).toBe("nats-jetstream");
  });

  it("applies transforms as `pulumi up` would", async () => {
    pulumi.runtime.registerResourceTransform((a) =>
      a.type === "kubernetes:apps/v1:Deployment"
        ? { props: { ...a.props, metadata: { ...a.props.metadata, annotations: { owner: "team-a" } } }, opts: a.opts }
        : undefined,
    );
    shop();
    await mocks.settled();
    const deployments = mocks.ofType("kubernetes:apps/v1:Deployment");
    expect(Object.fromEntries(deployments.map((d) => [d.name, d.inputs.metadata.annotations]))).toEqual({
      api: { owner: "team-a" },
      billing: { owner: "team-a" },
    });
  });
});
