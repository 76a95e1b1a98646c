import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { beforeEach, describe, expect, it } from "vitest";
import { EventService, NatsJetStream, Topic, resetEventGraph } from "../../lib";
import { type BrokerInfo, resolveTopic } from "../../lib/events/contract";
import { generatedPasswordProvider } from "../../lib/events/generated-password";
import { buildTrigger, resolveScaling, validateScaling } from "../../lib/events/keda";
import { installMocks, registrations, settle, valueOf } from "../support/mocks";

const nats: BrokerInfo = { kind: "nats", logicalName: "nats", replicas: 3 };
const kafka: BrokerInfo = { kind: "kafka", logicalName: "kafka", replicas: 3 };
const subs = [{ durableName: "w", topic: resolveTopic("orders", nats, {}), ordered: false }];
const ok = { lagReadable: true, brokerName: "nats" };
const msgs = (a: Parameters<typeof validateScaling>[0], s = subs, o = ok) => validateScaling(a, s, o).list.map((p) => p.message);

describe("KEDA scaling model", () => {
  it("applies defaults", () => {
    expect(resolveScaling({ maxReplicas: 5 }, subs)).toEqual({
      subscription: "w", lagPerReplica: 100, minReplicas: 0, maxReplicas: 5, activationLag: 0, cooldownSeconds: 300, pollingIntervalSeconds: 30,
      fallback: { replicas: 1, failureThreshold: 3 },
    });
    expect(resolveScaling({ maxReplicas: 5, minReplicas: 2, fallback: false }, subs).fallback).toBeUndefined();
  });
  it("reports every invalid number with exact texts", () => {
    expect(msgs({ maxReplicas: 0, minReplicas: -1, lagPerReplica: 0, activationLag: 1.5, cooldownSeconds: -1, pollingIntervalSeconds: 0, fallback: { replicas: 9, failureThreshold: 0 } })).toEqual([
      "`scaling.minReplicas` (-1) must be a whole number >= 0 (0 scales to zero).",
      "`scaling.maxReplicas` (0) must be a whole number >= 1. Set it to the most replicas you allow.",
      "`scaling.lagPerReplica` (0) must be a whole number >= 1: the backlog one replica works off.",
      "`scaling.activationLag` (1.5) must be a whole number >= 0.",
      "`scaling.cooldownSeconds` (-1) must be a whole number of seconds >= 0.",
      "`scaling.pollingIntervalSeconds` (0) must be a whole number of seconds >= 1.",
      "`scaling.fallback.failureThreshold` (0) must be a whole number >= 1.",
    ]);
    expect(msgs({ maxReplicas: 3, fallback: { replicas: 4 } })).toEqual(["`scaling.fallback.replicas` (4) must be a whole number from 0 to `scaling.maxReplicas` (3)."]);
    expect(msgs({ maxReplicas: 3, minReplicas: 3 })).toEqual([]);
  });
  it("allows Kafka maxReplicas up to the partitions", () => {
    const k = [{ durableName: "g", topic: resolveTopic("p", kafka, { partitions: 4 }), ordered: false }];
    expect(msgs({ maxReplicas: 4 }, k, { lagReadable: true, brokerName: "kafka" })).toEqual([]);
    expect(msgs({ maxReplicas: 5 }, k, { lagReadable: true, brokerName: "kafka" })).toHaveLength(1);
  });
  it("builds one trigger per broker kind", () => {
    const r = resolveScaling({ maxReplicas: 5, lagPerReplica: 20, activationLag: 2 }, subs);
    expect(buildTrigger(r, { kind: "nats", monitoringEndpoint: "n:8222", stream: "s", consumer: "c" })).toEqual({
      type: "nats-jetstream", name: "c", metadata: { natsServerMonitoringEndpoint: "n:8222", account: "$G", stream: "s", consumer: "c", lagThreshold: "20", activationLagThreshold: "2" },
    });
    expect(buildTrigger(r, { kind: "kafka", bootstrapServers: "k:9092", topic: "t", group: "g", startAt: "new" }, "auth").metadata.offsetResetPolicy).toBe("latest");
    expect(buildTrigger(r, { kind: "rabbitmq", queue: "q" }, "auth")).toEqual({
      type: "rabbitmq", name: "q", metadata: { protocol: "amqp", queueName: "q", mode: "QueueLength", value: "20", activationValue: "2" },
      authenticationRef: { name: "auth", kind: "TriggerAuthentication" },
    });
  });
});

describe("GeneratedPassword provider", () => {
  it("creates a password of the asked length once, and never diffs unless the length changes", async () => {
    const created = await generatedPasswordProvider.create!({ length: 24 });
    expect(created.outs.result).toMatch(/^[A-Za-z2-9]{24}$/);
    const again = await generatedPasswordProvider.create!({ length: 24 });
    expect(again.outs.result).not.toBe(created.outs.result);
    expect(await generatedPasswordProvider.diff!(created.id, created.outs, { length: 24 })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await generatedPasswordProvider.diff!(created.id, created.outs, { length: 32 })).toEqual({ changes: true, replaces: ["length"], deleteBeforeReplace: false });
    expect(await generatedPasswordProvider.update!(created.id, created.outs, { length: 24 })).toEqual({ outs: created.outs });
  });
});

describe.each([true, false])("provider propagation (preview=%s)", (preview) => {
  beforeEach(async () => {
    await installMocks(preview);
    resetEventGraph();
  });
  it("an explicit Kubernetes provider reaches every child; no default provider is created", async () => {
    const provider = new k8s.Provider("cluster-b", {});
    const b = new NatsJetStream("nats", {}, { providers: [provider] });
    expect(() => new Topic("orders", { broker: b }, { providers: [provider] } as pulumi.CustomResourceOptions)).toThrow(
      'switchyard:index:Topic "orders" has 1 invalid argument:\n  - A Topic is one Kubernetes object, not a component: pass the Kubernetes provider as `provider` instead of `providers`.',
    );
    const orders = new Topic("orders", { broker: b }, { provider });
    new EventService("worker", { image: "x:1", subscribes: [{ topic: orders }], scaling: { maxReplicas: 3 } }, { providers: [provider] });
    await settle();
    const urn = await valueOf(provider.urn);
    const id = await valueOf(provider.id);
    const kube = registrations.filter((r) => r.type.startsWith("kubernetes:") && r.custom !== false);
    expect(kube.length).toBeGreaterThan(12);
    for (const r of kube) expect({ name: r.name, provider: r.provider }).toEqual({ name: r.name, provider: `${urn}::${id}` });
    expect(registrations.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.name)).toEqual(["cluster-b"]);
  });
});
