import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { beforeEach, describe, expect, it } from "vitest";
import {
  FailoverGroup,
  type FailoverGroupArgs,
  type FailoverMemberArgs,
  validateFailoverGroup,
} from "../../lib/components/failover-group";
import { type FailoverMemberSpec, type FailoverPolicyArgs, validateFailover } from "../../lib/model/failover";
import { installMocks, registrations, settle } from "../support/mocks";

const TWO: FailoverMemberSpec[] = [{ name: "eu-west", active: true }, { name: "eu-north" }];

function check(policy: FailoverPolicyArgs, members?: readonly FailoverMemberSpec[] | null) {
  return validateFailover(policy, members as readonly FailoverMemberSpec[] | undefined, "pay").list;
}
const one = (property: string, message: string) => [{ property, message }];

describe("validateFailover: zones", () => {
  it("the defaults are valid, in zone and multi-cluster mode", () => {
    expect(check({})).toEqual([]);
    expect(check({}, TWO)).toEqual([]);
  });

  it("zones must not be empty (and no replica count is derived from it)", () => {
    expect(check({ zones: [] })).toEqual(one("zones", '`zones` ([]) is empty. List the zones to run in, or use "all".'));
    expect(check({ zones: [], standbyReplicas: 1 }, TWO)).toEqual(one("zones", '`zones` ([]) is empty. List the zones to run in, or use "all".'));
    expect(check({ zones: ["a"] })).toEqual([]);
  });

  it("a zone is listed once", () => {
    expect(check({ zones: ["a", "b", "a"] })).toEqual(one("zones[2]", '`zones[2]` ("a") is listed twice. Remove the duplicate.'));
  });

  it.each(["eu west", "", "-a", "a".repeat(64)])("zone %j is not a label value", (z) => {
    expect(check({ zones: [z] })).toEqual(
      one("zones[0]", `\`zones[0]\` (${JSON.stringify(z)}) is not a valid zone label value. Use the value of the nodes' topology.kubernetes.io/zone label.`),
    );
  });
  it.each(["eu-west-1a", "a".repeat(63), "Zone_1.b"])("zone %j is valid", (z) => {
    expect(check({ zones: [z] })).toEqual([]);
  });

  it("zones must be among availableZones when given", () => {
    expect(check({ zones: ["a", "c"], availableZones: ["a", "b"] })).toEqual(
      one("zones[1]", '`zones[1]` ("c") is not one of `availableZones` ("a", "b"). Use one of those, or add it to `availableZones`.'),
    );
    expect(check({ zones: ["a", "b"], availableZones: ["a", "b"] })).toEqual([]);
  });
});

describe("validateFailover: replicas", () => {
  it.each([0, -1, 1.5])("replicas %j is invalid", (replicas) => {
    expect(check({ replicas })).toEqual(one("replicas", `\`replicas\` (${replicas}) must be a whole number >= 1.`));
  });
  it("replicas 0 is invalid even with an empty zones list", () => {
    expect(check({ zones: [], replicas: 0 }).map((p) => p.property)).toEqual(["zones", "replicas"]);
  });

  it("with all zones, one replica cannot fail over", () => {
    expect(check({ replicas: 1 })).toEqual(
      one("replicas", "`replicas` (1) leaves no replica to fail over to when a zone is lost. Set `replicas` to 2 or more."),
    );
    expect(check({ replicas: 2 })).toEqual([]);
    expect(check({ zones: "all", replicas: 2 })).toEqual([]);
  });

  it("every listed zone gets a replica", () => {
    expect(check({ zones: ["a", "b", "c"], replicas: 2 })).toEqual(
      one("replicas", "`replicas` (2) is fewer than the 3 `zones`, so some zone would have no replica. Set `replicas` to 3 or more."),
    );
    expect(check({ zones: ["a", "b", "c"], replicas: 3 })).toEqual([]);
    expect(check({ zones: ["a"], replicas: 1 })).toEqual([]);
  });

  it.each([-1, 0.5])("standbyReplicas %j is invalid", (standbyReplicas) => {
    expect(check({ standbyReplicas }, TWO)).toEqual(
      one("standbyReplicas", `\`standbyReplicas\` (${standbyReplicas}) must be a whole number >= 0.`),
    );
  });
  it("standbyReplicas 0 is valid", () => expect(check({ standbyReplicas: 0 }, TWO)).toEqual([]));

  it("standbyReplicas does not exceed replicas (explicit and default)", () => {
    expect(check({ replicas: 2, standbyReplicas: 3 }, TWO)).toEqual(
      one("standbyReplicas", "`standbyReplicas` (3) must not exceed `replicas` (2). Set it to 2 or fewer."),
    );
    expect(check({ standbyReplicas: 4 }, TWO)).toEqual(
      one("standbyReplicas", "`standbyReplicas` (4) must not exceed `replicas` (3). Set it to 3 or fewer."),
    );
    expect(check({ replicas: 2, standbyReplicas: 2 }, TWO)).toEqual([]);
  });

  it("standbyReplicas needs members", () => {
    const msg = "`standbyReplicas` only applies with `members` (several clusters). Remove it, or add `members`.";
    expect(check({ standbyReplicas: 1 })).toEqual(one("standbyReplicas", msg));
    expect(check({ standbyReplicas: 0 })).toEqual(one("standbyReplicas", msg));
  });
});

describe("validateFailover: members", () => {
  it("exportService needs members", () => {
    expect(check({ exportService: true })).toEqual(
      one("exportService", "`exportService` (true) only applies with `members` (several clusters). Remove it, or add `members`."),
    );
    expect(check({ exportService: false })).toEqual([]);
    expect(check({ exportService: true }, TWO)).toEqual([]);
  });

  it("needs at least two members", () => {
    const msg = (n: string) =>
      `\`members\` has ${n}; a multi-cluster FailoverGroup needs at least 2 (one active, one standby). Add a member, or remove \`members\` for zone failover in one cluster.`;
    expect(check({}, [])).toEqual(one("members", msg("0 entries")));
    expect(check({}, [{ name: "a", active: true }])).toEqual(one("members", msg("1 entry")));
  });

  it("members: null is treated like no members (no crash)", () => {
    expect(check({}, null)).toEqual([]);
  });

  it.each(["EU", "eu_west", "-eu", "eu-", "", "a".repeat(21)])("member name %j is invalid", (name) => {
    expect(check({}, [{ name, active: true }, { name: "b" }])).toEqual(
      one("members[0].name", `\`members[0].name\` (${JSON.stringify(name)}) must be a DNS-1123 label of at most 20 characters (it prefixes object names). Use e.g. "eu-west".`),
    );
  });
  it.each(["a", "1a", "eu-west-2", "a".repeat(20)])("member name %j is valid", (name) => {
    expect(check({}, [{ name, active: true }, { name: "other" }])).toEqual([]);
  });

  it("member names are unique", () => {
    expect(check({}, [{ name: "a", active: true }, { name: "a" }])).toEqual(
      one("members[1].name", '`members[1].name` ("a") is used by another member. Give each member a unique name.'),
    );
  });

  it("exactly one member is active", () => {
    expect(check({}, [{ name: "a" }, { name: "b", active: false }])).toEqual(
      one("members", '`members` must have exactly one member with `active: true` (found 0). Mark exactly one member of "pay" active.'),
    );
    expect(check({}, [{ name: "a", active: true }, { name: "b", active: true }, { name: "c" }])).toEqual(
      one("members", '`members` must have exactly one member with `active: true` (found 2: "a", "b"). Mark exactly one member of "pay" active.'),
    );
  });
});

describe("validateFailover: all at once", () => {
  it("reports every problem in order", () => {
    expect(check({ zones: ["a", "a", "b c"], replicas: 2, exportService: true, standbyReplicas: -1 })).toEqual([
      { property: "zones[1]", message: '`zones[1]` ("a") is listed twice. Remove the duplicate.' },
      { property: "zones[2]", message: "`zones[2]` (\"b c\") is not a valid zone label value. Use the value of the nodes' topology.kubernetes.io/zone label." },
      { property: "replicas", message: "`replicas` (2) is fewer than the 3 `zones`, so some zone would have no replica. Set `replicas` to 3 or more." },
      { property: "standbyReplicas", message: "`standbyReplicas` (-1) must be a whole number >= 0." },
      { property: "standbyReplicas", message: "`standbyReplicas` only applies with `members` (several clusters). Remove it, or add `members`." },
      { property: "exportService", message: "`exportService` (true) only applies with `members` (several clusters). Remove it, or add `members`." },
    ]);
  });

  it("reports member problems together", () => {
    expect(check({}, [{ name: "X" }, { name: "X" }]).map((p) => p.property)).toEqual(["members[0].name", "members[1].name", "members[1].name", "members"]);
  });
});

const TYPE = "switchyard:index:FailoverGroup";
const SERVICE = { image: "nginx:1.27", port: 8080 };
/** Validation fails before a member's provider is used, so a stand-in avoids registering a provider. */
const fakeProvider = {} as k8s.Provider;
const member = (name: string, active?: boolean): FailoverMemberArgs => ({ name, provider: fakeProvider, ...(active ? { active } : {}) });

const BAD_ARGS: FailoverGroupArgs = {
  service: { image: "", port: 8080, service: { sessionAffinityTimeoutSeconds: 5 } },
  replicas: 1,
  members: [member("Eu"), member("us", true), member("ap", true)],
};
const BAD_PROBLEMS = [
  { property: "service.image", message: '`service.image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' },
  {
    property: "service.service.sessionAffinityTimeoutSeconds",
    message: '`service.service.sessionAffinityTimeoutSeconds` (5) only applies with `sessionAffinity: "ClientIP"`. Set `service.service.sessionAffinity` to "ClientIP" or remove the timeout.',
  },
  { property: "replicas", message: "`replicas` (1) leaves no replica to fail over to when a zone is lost. Set `replicas` to 2 or more." },
  { property: "members[0].name", message: '`members[0].name` ("Eu") must be a DNS-1123 label of at most 20 characters (it prefixes object names). Use e.g. "eu-west".' },
  { property: "members", message: '`members` must have exactly one member with `active: true` (found 2: "us", "ap"). Mark exactly one member of "pay" active.' },
];
const IMAGE_REQUIRED = { property: "service.image", message: '`service.image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' };
const PORTS_REQUIRED = { property: "service.ports", message: "`service.ports` is empty: this service receives requests, so it needs a port. Set `port` (e.g. 8080) or `ports`." };

describe("validateFailoverGroup", () => {
  it("reports name, service and failover problems together, in order", () => {
    expect(validateFailoverGroup("pay", BAD_ARGS).list).toEqual(BAD_PROBLEMS);
    expect(validateFailoverGroup("Pay", { service: SERVICE }).list).toEqual(
      one("name", '`name` ("Pay") must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit. Rename it, e.g. "pay".'),
    );
  });
  it("a missing service is reported under `service.`, not crashed on", () => {
    expect(validateFailoverGroup("pay", {} as FailoverGroupArgs).list).toEqual([IMAGE_REQUIRED, PORTS_REQUIRED]);
    expect(validateFailoverGroup("pay", undefined as unknown as FailoverGroupArgs).list).toEqual([IMAGE_REQUIRED, PORTS_REQUIRED]);
  });
  it("accepts valid args and a 54-character name; rejects 55", () => {
    expect(validateFailoverGroup("a".repeat(54), { service: SERVICE }).list).toEqual([]);
    expect(validateFailoverGroup("a".repeat(55), { service: SERVICE }).list.map((p) => p.property)).toEqual(["name"]);
  });
});

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

describe.each([true, false])("FailoverGroup validation (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
  });

  it("throws InputPropertiesError listing every problem and registers nothing", async () => {
    expectRejected(thrown(() => new FailoverGroup("pay", BAD_ARGS)), "pay", BAD_PROBLEMS);
    expect(await settle()).toEqual([]);
    expect(registrations).toEqual([]);
  });

  it("a single zone-mode problem uses the singular summary", async () => {
    expectRejected(thrown(() => new FailoverGroup("pay", { service: SERVICE, zones: ["a", "b"], replicas: 1 })), "pay", [
      { property: "replicas", message: "`replicas` (1) is fewer than the 2 `zones`, so some zone would have no replica. Set `replicas` to 2 or more." },
    ]);
    expect(await settle()).toEqual([]);
  });

  it("a missing service or missing args are reported, not crashed on", async () => {
    expectRejected(thrown(() => new FailoverGroup("pay", {} as FailoverGroupArgs)), "pay", [IMAGE_REQUIRED, PORTS_REQUIRED]);
    expectRejected(thrown(() => new FailoverGroup("pay", undefined as unknown as FailoverGroupArgs)), "pay", [IMAGE_REQUIRED, PORTS_REQUIRED]);
    expect(await settle()).toEqual([]);
  });

  it("a lone member is rejected before any provider or child is used", async () => {
    expectRejected(thrown(() => new FailoverGroup("pay", { service: SERVICE, members: [member("eu", true)] })), "pay", [
      { property: "members", message: "`members` has 1 entry; a multi-cluster FailoverGroup needs at least 2 (one active, one standby). Add a member, or remove `members` for zone failover in one cluster." },
    ]);
    expect(await settle()).toEqual([]);
  });

  it("valid neighbour: a zone-mode group constructs and registers the component and its children", async () => {
    expect(() => new FailoverGroup("pay", { service: SERVICE, zones: ["a", "b"], replicas: 2 })).not.toThrow();
    const regs = await settle();
    expect(regs.map((r) => r.type)).toContain(TYPE);
    expect(regs.map((r) => r.type)).toContain("kubernetes:apps/v1:Deployment");
  });
});
