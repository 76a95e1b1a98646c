import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { crdSets } from "../support/schemas";

const root = join(__dirname, "..", "..");
const FETCH = join(root, "scripts/toolchain/fetch-crds.sh");
const scratch = mkdtempSync(join(tmpdir(), "switchyard-crds-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a script with an empty switchyard cache and an empty Go module cache, the proxy switched off. */
function offline(script: string, extra: Record<string, string> = {}) {
  const cache = mkdtempSync(join(scratch, "cache-"));
  const { SWITCHYARD_STRIMZI_CRDS_DIR: _strimzi, ...inherited } = process.env;
  const env = {
    ...inherited,
    SWITCHYARD_CACHE: cache,
    SWITCHYARD_STATE: join(cache, "state"),
    GOMODCACHE: join(cache, "gomod"),
    GOPROXY: "off",
    ...extra,
  };
  const r = spawnSync("bash", [script], { env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cache };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("the CRDs come from the registries, pinned (scripts/toolchain/fetch-crds.sh)", () => {
  it("every set is fetched into the cache outside the repository, at the versions in versions.env", () => {
    const pins = readFileSync(join(root, "scripts/toolchain/versions.env"), "utf8");
    const version = (k: string) => new RegExp(`^${k}=(.+)$`, "m").exec(pins)![1];
    const sets = crdSets();
    expect([...sets.keys()].filter((k) => k !== "strimzi")).toEqual([
      "nack", "keda", "prometheus-operator", "gateway-api", "mcs-api", "rabbitmq-cluster-operator", "rabbitmq-messaging-topology-operator",
    ]);
    expect(sets.get("nack")).toMatch(new RegExp(`/crds/nack-${version("NACK_VERSION")}$`));
    expect(sets.get("keda")).toMatch(new RegExp(`/crds/keda-${version("KEDA_VERSION")}$`));
    expect(sets.get("gateway-api")).toMatch(new RegExp(`/crds/gateway-api-${version("GATEWAY_API_VERSION")}$`));
    for (const dir of sets.values()) expect(relative(root, dir).startsWith("..")).toBe(true);
  });

  it("the fetched files hold the CRDs of every custom kind switchyard creates", () => {
    const kinds = new Set<string>();
    for (const [set, dir] of crdSets()) {
      if (set === "strimzi") continue;
      for (const f of files(dir).filter((p) => /\.ya?ml$/.test(p))) {
        for (const doc of parseAllDocuments(readFileSync(f, "utf8"))) {
          const crd = doc.toJS();
          if (crd?.kind === "CustomResourceDefinition") kinds.add(`${crd.spec.group}/${crd.spec.names.kind}`);
        }
      }
    }
    for (const k of [
      "jetstream.nats.io/Stream", "jetstream.nats.io/Consumer", "jetstream.nats.io/Account",
      "keda.sh/ScaledObject", "keda.sh/TriggerAuthentication",
      "monitoring.coreos.com/ServiceMonitor", "monitoring.coreos.com/PrometheusRule",
      "gateway.networking.k8s.io/HTTPRoute", "multicluster.x-k8s.io/ServiceExport",
      "rabbitmq.com/RabbitmqCluster", "rabbitmq.com/Exchange", "rabbitmq.com/Queue", "rabbitmq.com/Binding",
      "rabbitmq.com/Policy", "rabbitmq.com/User", "rabbitmq.com/Permission",
    ]) expect(kinds).toContain(k);
  });

  it("a set that cannot be fetched is an error naming the set, the module version and the fix", () => {
    const r = offline(FETCH);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("cannot fetch the nack CRDs: github.com/nats-io/nack@v");
    expect(r.stderr).toContain("pin a version the proxy serves in scripts/toolchain/versions.env");
    expect(r.stdout).toBe("");
  });

  it("cluster:up stops with that error before it starts anything", () => {
    const r = offline(join(root, "scripts/cluster/up.sh"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("cannot fetch the nack CRDs");
    expect(r.stderr).toContain("the CRDs above could not be obtained; nothing was started");
    expect(readdirSync(join(r.cache, "state", "cluster")).filter((f) => f !== ".lock")).toEqual([]);
  });

  it("SWITCHYARD_STRIMZI_CRDS_DIR must hold Strimzi's CRDs", () => {
    const bad = join(scratch, "not-strimzi");
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, "x.yaml"), "kind: ConfigMap\n");
    const r = spawnSync("bash", [FETCH], { env: { ...process.env, SWITCHYARD_STRIMZI_CRDS_DIR: bad }, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`SWITCHYARD_STRIMZI_CRDS_DIR (${bad}) has no CRD kafkas.kafka.strimzi.io`);
  });
});

describe("nothing reads beside the clone", () => {
  it("no file of lib/, scripts/, examples/, test/, bench/, package.json or the README refers to the shared folder beside the clone", () => {
    const beside = ["..", "shared"].join("/");
    const sources = ["lib", "scripts", "examples", "test", "bench"].flatMap((d) => files(join(root, d)))
      .filter((f) => /\.(ts|js|mjs|sh|json|md|env|ya?ml)$/.test(f))
      .concat([join(root, "package.json"), join(root, "README.md")]);
    const offenders = sources.filter((f) => readFileSync(f, "utf8").includes(beside)).map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});

describe("the README says what a cluster needs per feature", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### What a cluster needs, per feature"), readme.indexOf("## A stack program"));

  it("names every custom resource group switchyard creates, with the operator and how to turn it off", () => {
    expect(section.length).toBeGreaterThan(0);
    for (const group of ["monitoring.coreos.com/v1", "jetstream.nats.io/v1beta2", "keda.sh/v1alpha1", "kafka.strimzi.io/v1", "rabbitmq.com/v1beta1", "gateway.networking.k8s.io/v1", "multicluster.x-k8s.io/v1alpha1"]) {
      expect(section).toContain(group);
    }
    for (const kind of ["ServiceMonitor", "PrometheusRule", "Stream", "Consumer", "Account", "ScaledObject", "TriggerAuthentication", "KafkaTopic", "KafkaUser", "RabbitmqCluster", "Exchange", "Queue", "Binding", "Policy", "HTTPRoute", "ServiceExport"]) {
      expect(section).toContain(`\`${kind}\``);
    }
    expect(section).toContain("switchyard:monitoring false");
  });

  it("gives the versions the local cluster installs, as pinned in versions.env", () => {
    const pins = readFileSync(join(root, "scripts/toolchain/versions.env"), "utf8");
    const version = (k: string) => new RegExp(`^${k}=(.+)$`, "m").exec(pins)![1]!;
    for (const k of ["PROMETHEUS_OPERATOR_VERSION", "NACK_VERSION", "KEDA_VERSION", "GATEWAY_API_VERSION", "MCS_API_VERSION", "RABBITMQ_CLUSTER_OPERATOR_VERSION", "RABBITMQ_TOPOLOGY_OPERATOR_VERSION"]) {
      expect(section, k).toContain(version(k));
    }
    expect(section).toContain("SWITCHYARD_STRIMZI_CRDS_DIR");
  });
});
