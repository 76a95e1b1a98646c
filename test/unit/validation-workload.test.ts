import { describe, expect, it } from "vitest";
import { checkName } from "../../lib/model/names";
import { Problems } from "../../lib/model/problems";
import type { CallTarget, ServiceDefinition } from "../../lib/model/workload-args";
import { validateServiceDefinition } from "../../lib/model/workload-validate";

const BASE: ServiceDefinition = { image: "nginx:1.27", port: 8080 };
const GATEWAY = { name: "gw" };

/** Problems of `BASE` overridden by `over` (request-serving, no prefix). */
function check(over: Partial<ServiceDefinition>, opts: { requirePort: boolean; prefix?: string } = { requirePort: true }) {
  return validateServiceDefinition({ ...BASE, ...over } as ServiceDefinition, opts).list;
}
const one = (property: string, message: string) => [{ property, message }];

function target(logicalName: string, port: number | undefined): CallTarget {
  return {
    logicalName,
    port,
    podPort: port,
    serviceName: logicalName,
    namespace: "default",
    endpoint: `http://${logicalName}`,
    podSelector: undefined,
  };
}

function nameProblems(name: string, suffix = ""): Problems["list"] {
  const problems = new Problems();
  checkName(problems, "name", name, suffix);
  return problems.list;
}

describe("validateServiceDefinition: image", () => {
  const msg = '`image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".';
  it.each([undefined, ""])("image %j is required", (image) => {
    expect(check({ image: image as string })).toEqual(one("image", msg));
  });
  it("accepts any non-empty reference", () => expect(check({ image: "a" })).toEqual([]));
  it("a build needs a context directory", () => {
    expect(check({ image: { repository: "r", context: "  " } })).toEqual(
      one("image.context", '`image.context` ("  ") must name the build context directory. Set it, e.g. "./app".'),
    );
    expect(check({ image: { repository: "r", context: "./app" } })).toEqual([]);
  });
});

describe("validateServiceDefinition: ports", () => {
  it("`port` and `ports` are exclusive", () => {
    expect(check({ ports: [{ name: "http", port: 8080 }] })).toEqual(
      one("port", '`port` (8080) and `ports` are both set. Use one: `port` is shorthand for a single port named "http".'),
    );
    expect(check({ port: undefined, ports: [{ name: "http", port: 8080 }] })).toEqual([]);
  });

  it("a request-serving service needs a port", () => {
    const msg = "`ports` is empty: this service receives requests, so it needs a port. Set `port` (e.g. 8080) or `ports`.";
    expect(check({ port: undefined })).toEqual(one("ports", msg));
    expect(check({ port: undefined, ports: [] })).toEqual(one("ports", msg));
    expect(check({ port: undefined }, { requirePort: false })).toEqual([]);
  });

  it.each(["HTTP", "123", "a--b", "-ab", "ab-", "abcdefghijklmnop", ""])("port name %j is not an IANA service name", (name) => {
    expect(check({ port: undefined, ports: [{ name, port: 80 }] })).toEqual(
      one(
        "ports[0].name",
        `\`ports[0].name\` (${JSON.stringify(name)}) must be an IANA service name: at most 15 lower-case letters, digits and "-", with at least one letter. Use e.g. "http" or "grpc".`,
      ),
    );
  });
  it.each(["abcdefghijklmno", "h2c", "a", "9p", "web-1"])("port name %j is valid", (name) => {
    expect(check({ port: undefined, ports: [{ name, port: 80 }] })).toEqual([]);
  });

  it("port names are unique", () => {
    const ports = [{ name: "http", port: 80 }, { name: "http", port: 81 }];
    expect(check({ port: undefined, ports })).toEqual(
      one("ports[1].name", '`ports[1].name` ("http") is used by another port. Give each port a unique name.'),
    );
  });

  it.each([0, 65536, -1, 80.5])("port shorthand %j is out of range", (port) => {
    expect(check({ port })).toEqual(one("port", `\`port\` (${port}) must be an integer from 1 to 65535. Use a port in that range.`));
  });
  it.each([1, 65535])("port shorthand %j is valid", (port) => expect(check({ port })).toEqual([]));

  it.each([0, 65536])("ports[].port %j is out of range", (port) => {
    expect(check({ port: undefined, ports: [{ name: "http", port }] })).toEqual(
      one("ports[0].port", `\`ports[0].port\` (${port}) must be an integer from 1 to 65535. Use a port in that range.`),
    );
  });
  it.each([1, 65535])("ports[].port %j is valid", (port) => {
    expect(check({ port: undefined, ports: [{ name: "http", port }] })).toEqual([]);
  });

  it.each([0, 65536])("servicePort %j is out of range", (servicePort) => {
    expect(check({ port: undefined, ports: [{ name: "http", port: 8080, servicePort }] })).toEqual(
      one("ports[0].servicePort", `\`ports[0].servicePort\` (${servicePort}) must be an integer from 1 to 65535. Use a port in that range.`),
    );
  });
  it.each([1, 65535])("servicePort %j is valid", (servicePort) => {
    expect(check({ port: undefined, ports: [{ name: "http", port: 8080, servicePort }] })).toEqual([]);
  });

  it("a port number is declared once per protocol", () => {
    const ports = [{ name: "a", port: 80 }, { name: "b", port: 80, protocol: "TCP" as const }];
    expect(check({ port: undefined, ports })).toEqual(
      one("ports[1].port", "`ports[1].port` (80/TCP) is declared twice. Remove the duplicate."),
    );
    expect(check({ port: undefined, ports: [{ name: "a", port: 53 }, { name: "b", port: 53, protocol: "UDP" }] })).toEqual([]);
  });
});

describe("validateServiceDefinition: health checks", () => {
  it("healthPath starts with /", () => {
    expect(check({ healthPath: "healthz" })).toEqual(one("healthPath", '`healthPath` ("healthz") must start with "/". Use "/healthz".'));
    expect(check({ healthPath: "/healthz" })).toEqual([]);
  });

  it("a probe has at most one handler", () => {
    const msg = "`probes.readiness` sets more than one of `path`, `grpc` and `command`. Keep exactly one.";
    expect(check({ probes: { readiness: { path: "/h", grpc: true } } })).toEqual(one("probes.readiness", msg));
    expect(check({ probes: { readiness: { grpc: true, command: ["true"] } } })).toEqual(one("probes.readiness", msg));
    expect(check({ probes: { readiness: { grpc: true } } })).toEqual([]);
  });

  it("a probe port must be a declared port (by name or number)", () => {
    expect(check({ probes: { liveness: { port: "admin" } } })).toEqual(
      one("probes.liveness.port", '`probes.liveness.port` ("admin") is not a port of this service (ports: "http"). Use one of the declared ports or add it to `ports`.'),
    );
    expect(check({ probes: { liveness: { port: 9090 } } })).toEqual(
      one("probes.liveness.port", '`probes.liveness.port` (9090) is not a port of this service (ports: "http"). Use one of the declared ports or add it to `ports`.'),
    );
    expect(check({ probes: { liveness: { port: "http" }, readiness: { port: 8080 } } })).toEqual([]);
  });

  it("lists every declared port, or none", () => {
    const ports = [{ name: "http", port: 80 }, { name: "metrics", port: 9090 }];
    expect(check({ port: undefined, ports, probes: { startup: { port: "grpc" } } })).toEqual(
      one("probes.startup.port", '`probes.startup.port` ("grpc") is not a port of this service (ports: "http", "metrics"). Use one of the declared ports or add it to `ports`.'),
    );
    expect(check({ port: undefined, probes: { startup: { port: "grpc" } } }, { requirePort: false })).toEqual(
      one("probes.startup.port", '`probes.startup.port` ("grpc") is not a port of this service (ports: none). Use one of the declared ports or add it to `ports`.'),
    );
  });

  it("a network probe needs a port", () => {
    expect(check({ port: undefined, probes: { startup: { path: "/h" } } }, { requirePort: false })).toEqual(
      one("probes.startup", "`probes.startup` needs a port but the service declares no `ports`. Add a port, set `probes.startup.command`, or set `probes.startup` to false."),
    );
    expect(check({ port: undefined, probes: { startup: { command: ["true"] }, liveness: false } }, { requirePort: false })).toEqual([]);
  });

  it("a probe path starts with /", () => {
    expect(check({ probes: { readiness: { path: "ready" } } })).toEqual(
      one("probes.readiness.path", '`probes.readiness.path` ("ready") must start with "/". Use "/ready".'),
    );
    expect(check({ probes: { readiness: { path: "/ready" } } })).toEqual([]);
  });

  it.each([
    ["periodSeconds", 0],
    ["timeoutSeconds", 1.5],
    ["failureThreshold", -1],
  ])("probe %s (%j) is a whole number >= 1", (key, value) => {
    expect(check({ probes: { liveness: { [key]: value } } })).toEqual(
      one(`probes.liveness.${key}`, `\`probes.liveness.${key}\` (${value}) must be a whole number >= 1. Set it to 1 or more.`),
    );
    expect(check({ probes: { liveness: { [key]: 1 } } })).toEqual([]);
  });

  it("a probe set to null is skipped like false (no crash)", () => {
    expect(check({ probes: { liveness: null as unknown as false } })).toEqual([]);
  });
});

describe("validateServiceDefinition: environment and calls", () => {
  const badEnv = (property: string, name: string) =>
    one(property, `\`${property}\` (${JSON.stringify(name)}) is not a valid environment variable name. Use letters, digits, "_", "-" and ".", not starting with a digit.`);

  it.each(["1ABC", "A B", "", "A=B"])("env name %j is invalid", (k) => {
    expect(check({ env: { [k]: "x" } })).toEqual(badEnv(`env.${k}`, k));
    expect(check({ secretEnv: { [k]: "x" } })).toEqual(badEnv(`secretEnv.${k}`, k));
  });
  it.each(["_A.b-1", "a", "-x", "LOG_LEVEL"])("env name %j is valid", (k) => {
    expect(check({ env: { [k]: "x" } })).toEqual([]);
  });

  it("a variable is set once across env, secretEnv and calls", () => {
    expect(check({ env: { A: "1" }, secretEnv: { A: "2" } })).toEqual(
      one("secretEnv.A", '`secretEnv.A` sets environment variable "A", which `env.A` already sets. Rename one of them.'),
    );
    expect(check({ env: { ORDERS_URL: "x" }, calls: [target("orders", 80)] })).toEqual(
      one("calls[0]", '`calls[0]` sets environment variable "ORDERS_URL", which `env.ORDERS_URL` already sets. Rename one of them.'),
    );
    expect(check({ env: { X: "x" }, calls: [{ target: target("orders", 80), env: "X" }] })).toEqual(
      one("calls[0].env", '`calls[0].env` sets environment variable "X", which `env.X` already sets. Rename one of them.'),
    );
    expect(check({ env: { A: "1" }, secretEnv: { B: "2" }, calls: [target("orders", 80)] })).toEqual([]);
  });

  it("a call's own variable name is checked", () => {
    expect(check({ calls: [{ target: target("orders", 80), env: "1X" }] })).toEqual(badEnv("calls[0].env", "1X"));
    expect(check({ calls: [{ target: target("orders", 80), env: "ORDERS" }] })).toEqual([]);
  });

  it("a called service must expose a port", () => {
    expect(check({ calls: [target("orders", 80), target("worker", undefined)] })).toEqual(
      one("calls[1]", '`calls[1]` ("worker") exposes no port, so it cannot be called. Give that service a port, or remove it from `calls`.'),
    );
  });
});

describe("validateServiceDefinition: lifecycle", () => {
  it("disruptionBudget sets one of maxUnavailable and minAvailable", () => {
    expect(check({ disruptionBudget: { maxUnavailable: 1, minAvailable: "50%" } })).toEqual(
      one("disruptionBudget", '`disruptionBudget` sets both `maxUnavailable` (1) and `minAvailable` ("50%"). Keep one; `maxUnavailable` never blocks a drain.'),
    );
    expect(check({ disruptionBudget: { minAvailable: "50%" } })).toEqual([]);
    expect(check({ disruptionBudget: false })).toEqual([]);
  });

  it.each([-1, 1.5])("terminationGracePeriodSeconds %j is invalid", (t) => {
    expect(check({ terminationGracePeriodSeconds: t, preStopSleepSeconds: null })).toEqual(
      one("terminationGracePeriodSeconds", `\`terminationGracePeriodSeconds\` (${t}) must be a whole number >= 0. Use e.g. 30.`),
    );
  });
  it("terminationGracePeriodSeconds 0 is valid", () => {
    expect(check({ terminationGracePeriodSeconds: 0, preStopSleepSeconds: null })).toEqual([]);
  });

  it.each([0, 2.5, -3])("preStopSleepSeconds %j is invalid", (s) => {
    expect(check({ preStopSleepSeconds: s })).toEqual(
      one("preStopSleepSeconds", `\`preStopSleepSeconds\` (${s}) must be a whole number >= 1, or null for no preStop hook.`),
    );
  });
  it.each([1, null])("preStopSleepSeconds %j is valid", (s) => expect(check({ preStopSleepSeconds: s })).toEqual([]));

  it("preStopSleepSeconds stays below the grace period", () => {
    expect(check({ terminationGracePeriodSeconds: 10, preStopSleepSeconds: 10 })).toEqual(
      one("preStopSleepSeconds", "`preStopSleepSeconds` (10) must be less than `terminationGracePeriodSeconds` (10), or the pod is killed while draining. Raise the grace period to 20 or shorten the sleep."),
    );
    expect(check({ preStopSleepSeconds: 30 })).toEqual(
      one("preStopSleepSeconds", "`preStopSleepSeconds` (30) must be less than `terminationGracePeriodSeconds` (30), or the pod is killed while draining. Raise the grace period to 40 or shorten the sleep."),
    );
    expect(check({ terminationGracePeriodSeconds: 10, preStopSleepSeconds: 9 })).toEqual([]);
    expect(check({ preStopSleepSeconds: 29 })).toEqual([]);
  });
  it("the default preStop sleep counts against a short grace period", () => {
    expect(check({ terminationGracePeriodSeconds: 5 })).toEqual(
      one("terminationGracePeriodSeconds", "`terminationGracePeriodSeconds` (5) must be greater than the default preStop sleep (5 s), or the pod is killed while draining. Raise it to 15, or set `preStopSleepSeconds` to null or a shorter sleep."),
    );
    expect(check({ terminationGracePeriodSeconds: 6 })).toEqual([]);
    expect(check({ terminationGracePeriodSeconds: 5, preStopSleepSeconds: 2 })).toEqual([]);
  });
  it.each([-1, 0.5])("probe initialDelaySeconds %j is invalid; 0 is valid", (d) => {
    expect(check({ probes: { readiness: { initialDelaySeconds: d } } })).toEqual(
      one("probes.readiness.initialDelaySeconds", `\`probes.readiness.initialDelaySeconds\` (${d}) must be a whole number >= 0. Set it to 0 or more.`),
    );
    expect(check({ probes: { readiness: { initialDelaySeconds: 0 } } })).toEqual([]);
  });
});

describe("validateServiceDefinition: Service and route", () => {
  it("sessionAffinityTimeoutSeconds needs ClientIP affinity", () => {
    expect(check({ service: { sessionAffinityTimeoutSeconds: 100 } })).toEqual(
      one("service.sessionAffinityTimeoutSeconds", '`service.sessionAffinityTimeoutSeconds` (100) only applies with `sessionAffinity: "ClientIP"`. Set `service.sessionAffinity` to "ClientIP" or remove the timeout.'),
    );
    expect(check({ service: { sessionAffinity: "ClientIP", sessionAffinityTimeoutSeconds: 100 } })).toEqual([]);
  });
  it.each([0, 86401, 1.5])("sessionAffinityTimeoutSeconds %j is out of range", (t) => {
    expect(check({ service: { sessionAffinity: "ClientIP", sessionAffinityTimeoutSeconds: t } })).toEqual(
      one("service.sessionAffinityTimeoutSeconds", `\`service.sessionAffinityTimeoutSeconds\` (${t}) must be from 1 to 86400. Use e.g. 10800.`),
    );
  });
  it.each([1, 86400])("sessionAffinityTimeoutSeconds %j is valid", (t) => {
    expect(check({ service: { sessionAffinity: "ClientIP", sessionAffinityTimeoutSeconds: t } })).toEqual([]);
  });

  it.each(["Orders", "1abc", "abc-", "a_b", "a".repeat(64), ""])("service.name %j is not a DNS-1035 label", (name) => {
    expect(check({ service: { name } })).toEqual(
      one("service.name", `\`service.name\` (${JSON.stringify(name)}) must be a DNS-1035 label of at most 63 characters. Use lower-case letters, digits and "-", starting with a letter.`),
    );
  });
  it.each(["a", "orders-v2", "a".repeat(63)])("service.name %j is valid", (name) => {
    expect(check({ service: { name } })).toEqual([]);
  });

  it("a route needs a port", () => {
    expect(check({ port: undefined, route: { gateway: GATEWAY } }, { requirePort: false })).toEqual(
      one("route", "`route` needs a port to route to, but the service declares none. Add `port`."),
    );
    expect(check({ route: { gateway: GATEWAY } })).toEqual([]);
  });

  it("route path prefixes start with /", () => {
    expect(check({ route: { gateway: GATEWAY, pathPrefixes: ["/", "api"] } })).toEqual(
      one("route.pathPrefixes[1]", '`route.pathPrefixes[1]` ("api") must start with "/". Use "/api".'),
    );
    expect(check({ route: { gateway: GATEWAY, pathPrefixes: ["/", "/api"] } })).toEqual([]);
  });

  it.each([-1, 1000001, 1.5])("route weight %j is out of range", (w) => {
    expect(check({ route: { gateway: GATEWAY, weight: w } })).toEqual(
      one("route.weight", `\`route.weight\` (${w}) must be a whole number from 0 to 1000000.`),
    );
    expect(check({ route: { gateway: GATEWAY, backends: [{ target: target("canary", 80), weight: w }] } })).toEqual(
      one("route.backends[0].weight", `\`route.backends[0].weight\` (${w}) must be a whole number from 0 to 1000000.`),
    );
  });
  it.each([0, 1000000])("route weight %j is valid", (w) => {
    expect(check({ route: { gateway: GATEWAY, weight: w, backends: [{ target: target("canary", 80), weight: w }] } })).toEqual([]);
  });

  it("a route backend must expose a port", () => {
    expect(check({ route: { gateway: GATEWAY, backends: [{ target: target("canary", undefined), weight: 10 }] } })).toEqual(
      one("route.backends[0]", '`route.backends[0]` ("canary") exposes no port, so it cannot be a route backend. Give it a port or remove it.'),
    );
  });
});

describe("validateServiceDefinition: labels", () => {
  it.each([
    ["team", "-bad"],
    ["team", "a".repeat(64)],
    ["partOf", "a b"],
    ["partOf", "shop_"],
  ] as const)("%s %j is not a label value", (key, v) => {
    expect(check({ [key]: v })).toEqual(
      one(key, `\`${key}\` (${JSON.stringify(v)}) must be a valid label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.`),
    );
  });
  it.each(["payments", "a".repeat(63), "a_b.c-d"])("team/partOf %j is valid", (v) => {
    expect(check({ team: v, partOf: v })).toEqual([]);
  });

  it("extra label values are checked; unknown (Output) values are not", () => {
    expect(check({ labels: { tier: "a b" } })).toEqual(
      one("labels.tier", '`labels.tier` ("a b") must be a valid label value: at most 63 letters, digits, "-", "_" and ".".'),
    );
    expect(check({ labels: { tier: "backend", later: Promise.resolve("a b") as unknown as string } })).toEqual([]);
  });
});

describe("validateServiceDefinition: all at once, with a prefix", () => {
  it("reports every problem in order", () => {
    expect(check({ image: "", port: 0, healthPath: "x", env: { "1A": "v" }, team: "-" })).toEqual([
      { property: "image", message: '`image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' },
      { property: "port", message: "`port` (0) must be an integer from 1 to 65535. Use a port in that range." },
      { property: "healthPath", message: '`healthPath` ("x") must start with "/". Use "/x".' },
      { property: "env.1A", message: '`env.1A` ("1A") is not a valid environment variable name. Use letters, digits, "_", "-" and ".", not starting with a digit.' },
      { property: "team", message: '`team` ("-") must be a valid label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.' },
    ]);
  });

  it("prefixes every path and every path named in a fix", () => {
    expect(check({ image: "", port: 70000, service: { sessionAffinityTimeoutSeconds: 5 } }, { requirePort: true, prefix: "service" })).toEqual([
      { property: "service.image", message: '`service.image` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".' },
      { property: "service.port", message: "`service.port` (70000) must be an integer from 1 to 65535. Use a port in that range." },
      {
        property: "service.service.sessionAffinityTimeoutSeconds",
        message: '`service.service.sessionAffinityTimeoutSeconds` (5) only applies with `sessionAffinity: "ClientIP"`. Set `service.service.sessionAffinity` to "ClientIP" or remove the timeout.',
      },
    ]);
  });
});

describe("checkName", () => {
  const dns = (name: string, suggestion: string) =>
    one("name", `\`name\` (${JSON.stringify(name)}) must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit. Rename it, e.g. ${JSON.stringify(suggestion)}.`);

  it.each([
    ["Orders_API", "orders-api"],
    ["1svc", "svc"],
    ["orders-", "orders"],
    ["", "svc"],
    ["a.b", "a-b"],
  ])("%j is not a DNS-1035 label (suggests %j)", (name, suggestion) => {
    expect(nameProblems(name)).toEqual(dns(name, suggestion));
  });

  it("suggests a name that fits the length limit", () => {
    expect(nameProblems("A".repeat(70))).toEqual(dns("A".repeat(70), "a".repeat(54)));
    const name = `X${"a".repeat(52)}_b`; // the cut would end in "-"
    expect(nameProblems(name)).toEqual(dns(name, `x${"a".repeat(52)}`));
  });

  it.each(["a", "orders", "a1-b2", "a".repeat(54)])("%j is valid", (name) => expect(nameProblems(name)).toEqual([]));

  it("leaves room for the auto-name suffix: 54 characters at most", () => {
    const n = "a".repeat(55);
    expect(nameProblems(n)).toEqual(
      one("name", `\`name\` ("${n}") is 55 characters; the longest derived object name ("${n}" plus the 9-character auto-name suffix) would be 64 > 63. Shorten it to 54 characters or fewer.`),
    );
  });

  it("and for the longest role suffix", () => {
    const n = "a".repeat(51);
    expect(nameProblems(n, "-hpa")).toEqual(
      one("name", `\`name\` ("${n}") is 51 characters; the longest derived object name ("${n}-hpa" plus the 9-character auto-name suffix) would be 64 > 63. Shorten it to 50 characters or fewer.`),
    );
    expect(nameProblems("a".repeat(50), "-hpa")).toEqual([]);
  });
});
