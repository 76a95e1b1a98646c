import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AutoScaledService,
  type AutoScaledServiceArgs,
  validateAutoScaledService,
} from "../../lib/components/auto-scaled-service";
import { type AutoscalingArgs, type CustomMetricArgs, validateAutoscaling } from "../../lib/model/autoscaling";
import type { ServiceDefinition } from "../../lib/model/workload-args";
import { installMocks, registrations, settle } from "../support/mocks";

const DEF: ServiceDefinition = { image: "nginx:1.27", port: 8080 };

function check(a: Partial<AutoscalingArgs> | undefined, def: ServiceDefinition = DEF) {
  return validateAutoscaling(a === undefined ? undefined : ({ maxReplicas: 5, ...a } as AutoscalingArgs), def).list;
}
const one = (property: string, message: string) => [{ property, message }];
const metric = (m: Partial<CustomMetricArgs>) => check({ metrics: [{ type: "Pods", name: "rps", averageValue: "100", ...m } as CustomMetricArgs] });

describe("validateAutoscaling: required", () => {
  it.each([undefined, null])("autoscaling %j is required", (a) => {
    expect(validateAutoscaling(a as unknown as AutoscalingArgs, DEF).list).toEqual(
      one("autoscaling", "`autoscaling` is required. Set at least `autoscaling.maxReplicas`, e.g. { maxReplicas: 10 }."),
    );
  });
  it("uses the given prefix", () => {
    expect(validateAutoscaling(undefined, DEF, "scaling").list).toEqual(
      one("scaling", "`scaling` is required. Set at least `scaling.maxReplicas`, e.g. { maxReplicas: 10 }."),
    );
  });
  it("the smallest valid settings pass", () => expect(check({})).toEqual([]));
});

describe("validateAutoscaling: replicas", () => {
  it.each([0, -1, 1.5])("minReplicas %j is invalid", (minReplicas) => {
    expect(check({ minReplicas })).toEqual(
      one("autoscaling.minReplicas", `\`autoscaling.minReplicas\` (${minReplicas}) must be a whole number >= 1 (a HorizontalPodAutoscaler cannot scale to zero). Set it to 1 or more, or use an EventService to scale to zero.`),
    );
  });
  it("minReplicas 1 is valid", () => expect(check({ minReplicas: 1, maxReplicas: 1 })).toEqual([]));

  it.each([0, -2, 2.5, undefined])("maxReplicas %j is invalid", (maxReplicas) => {
    expect(check({ maxReplicas })).toEqual(
      one("autoscaling.maxReplicas", `\`autoscaling.maxReplicas\` (${maxReplicas}) must be a whole number >= 1. Set it to the most replicas you allow.`),
    );
  });

  it("maxReplicas >= minReplicas (explicit and default)", () => {
    expect(check({ minReplicas: 3, maxReplicas: 2 })).toEqual(
      one("autoscaling.maxReplicas", "`autoscaling.maxReplicas` (2) must be >= `autoscaling.minReplicas` (3). Set `autoscaling.maxReplicas` to 3 or more."),
    );
    expect(check({ maxReplicas: 1 })).toEqual(
      one("autoscaling.maxReplicas", "`autoscaling.maxReplicas` (1) must be >= `autoscaling.minReplicas` (2). Set `autoscaling.maxReplicas` to 2 or more."),
    );
    expect(check({ minReplicas: 3, maxReplicas: 3 })).toEqual([]);
    expect(check({ maxReplicas: 2 })).toEqual([]);
  });

  it("an invalid minReplicas is not compared with maxReplicas", () => {
    expect(check({ minReplicas: 0, maxReplicas: 5 }).map((p) => p.property)).toEqual(["autoscaling.minReplicas"]);
  });
});

describe("validateAutoscaling: resource metrics", () => {
  it.each([
    ["cpuUtilization", "CPU", 0],
    ["cpuUtilization", "CPU", 1001],
    ["cpuUtilization", "CPU", 50.5],
    ["memoryUtilization", "memory", 0],
    ["memoryUtilization", "memory", 1001],
  ] as const)("%s %j is out of range", (key, res, v) => {
    expect(check({ [key]: v })).toEqual(
      one(`autoscaling.${key}`, `\`autoscaling.${key}\` (${v}) must be a whole percentage from 1 to 1000 of the ${res} request. Use e.g. 70.`),
    );
  });
  it.each([1, 1000])("utilization %j is valid", (v) => {
    expect(check({ cpuUtilization: v, memoryUtilization: v })).toEqual([]);
  });

  const noRequest = (key: string, res: string, req: string, v: number) => ({
    property: `autoscaling.${key}`,
    message: `\`autoscaling.${key}\` (${v}) targets a percentage of the ${res} request, but the container requests no ${res} (\`resources.${req}\` is unset), so the autoscaler could never act. Set \`resources.${req}\` or remove \`autoscaling.${key}\`.`,
  });

  it("a utilization target needs the matching request", () => {
    expect(check({}, { ...DEF, resources: { cpuRequest: null } })).toEqual([noRequest("cpuUtilization", "CPU", "cpuRequest", 70)]);
    expect(check({ cpuUtilization: null, memoryUtilization: 80 }, { ...DEF, resources: { memoryRequest: null } })).toEqual([
      noRequest("memoryUtilization", "memory", "memoryRequest", 80),
    ]);
    expect(check({ memoryUtilization: 80 }, { ...DEF, resources: null })).toEqual([
      noRequest("cpuUtilization", "CPU", "cpuRequest", 70),
      noRequest("memoryUtilization", "memory", "memoryRequest", 80),
    ]);
  });
  it("passes with a default, explicit or unneeded request", () => {
    expect(check({ memoryUtilization: 80 })).toEqual([]);
    expect(check({}, { ...DEF, resources: { cpuRequest: "250m", memoryRequest: null } })).toEqual([]);
    expect(check({ cpuUtilization: null, memoryUtilization: 80 }, { ...DEF, resources: { cpuRequest: null } })).toEqual([]);
  });

  it("needs at least one metric", () => {
    expect(check({ cpuUtilization: null })).toEqual(
      one("autoscaling", "`autoscaling` has no metric to scale on (`cpuUtilization` is null and no `memoryUtilization` or `metrics` are set). Add one."),
    );
    expect(check({ cpuUtilization: null, metrics: [{ type: "Pods", name: "rps", averageValue: "1" }] })).toEqual([]);
  });
});

describe("validateAutoscaling: custom metrics", () => {
  it("a metric is named", () => {
    expect(metric({ name: "" })).toEqual(one("autoscaling.metrics[0].name", "`autoscaling.metrics[0].name` is empty. Name the metric as the metrics API serves it."));
    expect(metric({})).toEqual([]);
  });
  it("a Pods metric needs averageValue", () => {
    expect(metric({ averageValue: undefined })).toEqual(
      one("autoscaling.metrics[0].averageValue", '`autoscaling.metrics[0].averageValue` is required for a Pods metric. Set the target average per pod, e.g. "100".'),
    );
  });
  it("a Pods metric has no value", () => {
    expect(metric({ value: "5" })).toEqual(
      one("autoscaling.metrics[0].value", "`autoscaling.metrics[0].value` is not allowed on a Pods metric (only averages are). Use `averageValue`."),
    );
  });
  it.each([
    { averageValue: undefined, value: undefined },
    { averageValue: "1", value: "2" },
  ])("an External metric sets exactly one target (%j)", (targets) => {
    expect(metric({ type: "External", ...targets })).toEqual(
      one("autoscaling.metrics[0]", "`autoscaling.metrics[0]` must set exactly one of `value` and `averageValue` for an External metric."),
    );
  });
  it("an External metric with value or averageValue is valid", () => {
    expect(metric({ type: "External", averageValue: undefined, value: "10" })).toEqual([]);
    expect(metric({ type: "External", averageValue: "10" })).toEqual([]);
  });
  it("indexes the offending metric", () => {
    const metrics: CustomMetricArgs[] = [
      { type: "Pods", name: "ok", averageValue: "1" },
      { type: "Pods", name: "", averageValue: "1" },
    ];
    expect(check({ metrics }).map((p) => p.property)).toEqual(["autoscaling.metrics[1].name"]);
  });
});

describe("validateAutoscaling: behavior", () => {
  it.each([
    ["scaleUp", -1],
    ["scaleDown", 3601],
    ["scaleUp", 1.5],
  ] as const)("%s.stabilizationWindowSeconds %j is out of range", (dir, w) => {
    const p = `autoscaling.behavior.${dir}.stabilizationWindowSeconds`;
    expect(check({ behavior: { [dir]: { stabilizationWindowSeconds: w } } })).toEqual(
      one(p, `\`${p}\` (${w}) must be a whole number from 0 to 3600.`),
    );
  });
  it.each([0, 3600])("stabilizationWindowSeconds %j is valid", (w) => {
    expect(check({ behavior: { scaleUp: { stabilizationWindowSeconds: w }, scaleDown: { stabilizationWindowSeconds: w } } })).toEqual([]);
  });

  it.each([0, -5, 2.5])("policy value %j is invalid", (value) => {
    const p = "autoscaling.behavior.scaleDown.policies[0].value";
    expect(check({ behavior: { scaleDown: { policies: [{ type: "Pods", value, periodSeconds: 60 }] } } })).toEqual(
      one(p, `\`${p}\` (${value}) must be a whole number >= 1.`),
    );
  });
  it.each([0, 1801, 1.5])("policy periodSeconds %j is out of range", (periodSeconds) => {
    const p = "autoscaling.behavior.scaleUp.policies[1].periodSeconds";
    const policies = [{ type: "Pods" as const, value: 4, periodSeconds: 15 }, { type: "Percent" as const, value: 100, periodSeconds }];
    expect(check({ behavior: { scaleUp: { policies } } })).toEqual(one(p, `\`${p}\` (${periodSeconds}) must be a whole number from 1 to 1800.`));
  });
  it.each([1, 1800])("policy periodSeconds %j (value 1) is valid", (periodSeconds) => {
    expect(check({ behavior: { scaleUp: { policies: [{ type: "Pods", value: 1, periodSeconds }] } } })).toEqual([]);
  });
});

describe("validateAutoscaling: all at once", () => {
  it("reports every problem in order", () => {
    expect(check({ minReplicas: 0, maxReplicas: 0, cpuUtilization: 0, metrics: [{ type: "External", name: "" }] })).toEqual([
      { property: "autoscaling.minReplicas", message: "`autoscaling.minReplicas` (0) must be a whole number >= 1 (a HorizontalPodAutoscaler cannot scale to zero). Set it to 1 or more, or use an EventService to scale to zero." },
      { property: "autoscaling.maxReplicas", message: "`autoscaling.maxReplicas` (0) must be a whole number >= 1. Set it to the most replicas you allow." },
      { property: "autoscaling.cpuUtilization", message: "`autoscaling.cpuUtilization` (0) must be a whole percentage from 1 to 1000 of the CPU request. Use e.g. 70." },
      { property: "autoscaling.metrics[0].name", message: "`autoscaling.metrics[0].name` is empty. Name the metric as the metrics API serves it." },
      { property: "autoscaling.metrics[0]", message: "`autoscaling.metrics[0]` must set exactly one of `value` and `averageValue` for an External metric." },
    ]);
  });
});

const TYPE = "switchyard:index:AutoScaledService";
const VALID: AutoScaledServiceArgs = { image: "nginx:1.27", port: 8080, autoscaling: { maxReplicas: 5 } };
const BAD_ARGS = { image: "", port: 0, healthPath: "x", autoscaling: { minReplicas: 4, maxReplicas: 3 } } as AutoScaledServiceArgs;
const BAD_PROBLEMS = [
  { property: "name", message: '`name` ("Bad_Name") must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit. Rename it, e.g. "bad-name".' },
  { property: "image", message: '`image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' },
  { property: "port", message: "`port` (0) must be an integer from 1 to 65535. Use a port in that range." },
  { property: "healthPath", message: '`healthPath` ("x") must start with "/". Use "/x".' },
  { property: "autoscaling.maxReplicas", message: "`autoscaling.maxReplicas` (3) must be >= `autoscaling.minReplicas` (4). Set `autoscaling.maxReplicas` to 4 or more." },
];

describe("validateAutoScaledService", () => {
  it("reports name, service and autoscaling problems together, in order", () => {
    expect(validateAutoScaledService("Bad_Name", BAD_ARGS).list).toEqual(BAD_PROBLEMS);
  });
  it("accepts valid args and a 54-character name; rejects 55", () => {
    expect(validateAutoScaledService("a".repeat(54), VALID).list).toEqual([]);
    expect(validateAutoScaledService("a".repeat(55), VALID).list.map((p) => p.property)).toEqual(["name"]);
  });
});

/** Constructs the component and returns what it threw. */
function thrown(build: () => unknown): pulumi.InputPropertiesError {
  try {
    build();
  } catch (err) {
    return err as pulumi.InputPropertiesError;
  }
  throw new Error("expected the constructor to throw");
}

function expectRejected(err: pulumi.InputPropertiesError, name: string, problems: { property: string; message: string }[]) {
  expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
  expect(err.errors).toEqual(problems.map((p) => ({ propertyPath: p.property, reason: p.message })));
  const head = `${TYPE} "${name}" has ${problems.length} invalid argument${problems.length === 1 ? "" : "s"}:`;
  expect(err.message.split("\n")[0]).toBe(head);
  expect(err.message).toBe([head, ...problems.map((p) => `  - ${p.message}`)].join("\n"));
}

describe.each([true, false])("AutoScaledService validation (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
  });

  it("throws InputPropertiesError listing every problem and registers nothing", async () => {
    expectRejected(thrown(() => new AutoScaledService("Bad_Name", BAD_ARGS)), "Bad_Name", BAD_PROBLEMS);
    expect(await settle()).toEqual([]);
    expect(registrations).toEqual([]);
  });

  it("a single problem uses the singular summary", async () => {
    const err = thrown(() => new AutoScaledService("api", { ...VALID, autoscaling: { maxReplicas: 5, cpuUtilization: 1001 } }));
    expectRejected(err, "api", [
      { property: "autoscaling.cpuUtilization", message: "`autoscaling.cpuUtilization` (1001) must be a whole percentage from 1 to 1000 of the CPU request. Use e.g. 70." },
    ]);
    expect(await settle()).toEqual([]);
  });

  it("missing autoscaling or missing args are reported, not crashed on", async () => {
    const required = { property: "autoscaling", message: "`autoscaling` is required. Set at least `autoscaling.maxReplicas`, e.g. { maxReplicas: 10 }." };
    const noAutoscaling = { image: "nginx", port: 80 } as AutoScaledServiceArgs;
    expectRejected(thrown(() => new AutoScaledService("api", noAutoscaling)), "api", [required]);
    expectRejected(thrown(() => new AutoScaledService("api", undefined as unknown as AutoScaledServiceArgs)), "api", [
      { property: "image", message: '`image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' },
      { property: "ports", message: "`ports` is empty: this service receives requests, so it needs a port. Set `port` (e.g. 8080) or `ports`." },
      required,
    ]);
    expect(await settle()).toEqual([]);
  });

  it("a name one character too long is rejected before registration", async () => {
    const n = "a".repeat(55);
    expectRejected(thrown(() => new AutoScaledService(n, VALID)), n, [
      { property: "name", message: `\`name\` ("${n}") is 55 characters; the longest derived object name ("${n}" plus the 9-character auto-name suffix) would be 64 > 63. Shorten it to 54 characters or fewer.` },
    ]);
    expect(await settle()).toEqual([]);
  });

  it("valid neighbour: constructs and registers the component and its children", async () => {
    expect(() => new AutoScaledService("a".repeat(54), VALID)).not.toThrow();
    const regs = await settle();
    expect(regs.map((r) => r.type)).toContain(TYPE);
    expect(regs.map((r) => r.type)).toContain("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
  });
});
