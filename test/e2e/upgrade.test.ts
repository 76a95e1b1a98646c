import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { delimiter, join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Current from "../../lib";
import { eventually, getJson, kubectl } from "./support/kube";
import { ROOT, changes, inlineStack } from "./support/stack";
import { requireStrimziCrds } from "../support/schemas";
import { ON_FAKE_NODES } from "./support/placement";

/**
 * Upgrading a deployed stack to this version of switchyard. Until this
 * commit's parent, every Topic was a component around its broker object and
 * every subscription of an EventService a Subscription component around its
 * objects; now a Topic is its object and a service's subscription objects are
 * the service's own children, with aliases to the old places. This deploys a
 * stack with the previous code (its lib/ taken from git), then runs the same
 * program with the current code: only the old components may go; every
 * Kubernetes object must stay the same object (same UID), neither replaced
 * nor deleted.
 */

/** The last commit with Topic and Subscription components. */
const BEFORE = "8b22bf3";

// Kafka and RabbitMQ services generate passwords with a dynamic resource, whose plugin resolves @pulumi/pulumi from NODE_PATH.
process.env.NODE_PATH = [join(ROOT, "node_modules"), ...(process.env.NODE_PATH ? [process.env.NODE_PATH] : [])].join(delimiter);

const log = (s: string) => process.env.SWITCHYARD_E2E_VERBOSE && process.stdout.write(s);
const id = randomBytes(3).toString("hex");
const namespace = `e2e-upgrade-${id}`;
const IMAGE = "ghcr.io/acme/events-app:1.0.0";
/** Kinds of the broker objects topics and subscriptions create. */
const BROKER_KINDS = [
  "streams.jetstream.nats.io",
  "consumers.jetstream.nats.io",
  "kafkatopics.kafka.strimzi.io",
  "exchanges.rabbitmq.com",
  "queues.rabbitmq.com",
  "bindings.rabbitmq.com",
  "policies.rabbitmq.com",
];

type Lib = typeof Current;
let stack: Stack | undefined;

/** The same application, written against either version of the library. */
function program(lib: Lib) {
  return async () => {
    const ns = new k8s.core.v1.Namespace("upgrade", { metadata: { name: namespace } });
    const opts = { dependsOn: [ns] };
    const common = { image: IMAGE, ...ON_FAKE_NODES, namespace };

    const nats = new lib.NatsJetStream("bus", { namespace, existing: { url: "nats://nats.messaging:4222", monitoringEndpoint: "nats.messaging:8222" } }, opts);
    const orders = new lib.Topic("orders", { broker: nats, subjects: ["orders.>"] }, opts);
    const ordersDlq = new lib.Topic("orders-dlq", { broker: nats, deadLetterFor: orders }, opts);
    new lib.EventService("checkout", { ...common, publishes: [orders] }, opts);
    new lib.EventService("fulfil", { ...common, subscribes: [{ topic: orders, maxDeliveries: 3, deadLetter: ordersDlq }], scaling: { maxReplicas: 3 } }, opts);
    new lib.EventService("audit", { ...common, subscribes: [{ topic: ordersDlq }] }, opts);

    const kafka = new lib.KafkaBroker("kafka", { existing: { bootstrapServers: "kafka-bootstrap.kafka:9092", clusterName: "kafka", namespace } }, opts);
    const payments = new lib.Topic("payments", { broker: kafka, partitions: 3 }, opts);
    new lib.EventService("ledger", { ...common, publishes: [payments] }, opts);
    new lib.EventService("settle", { ...common, subscribes: [{ topic: payments, maxDeliveries: 3, backoff: ["10s", "1m"] }] }, opts);

    const rabbit = new lib.RabbitMqBroker(
      "rabbit",
      { namespace, existing: { managementUrl: "http://rabbit.rabbitmq:15672", amqpHost: "rabbit.rabbitmq", credentials: { username: "admin", password: pulumi.secret("not-a-secret") } } },
      opts,
    );
    const shipments = new lib.Topic("shipments", { broker: rabbit, subjects: ["shipments.created", "shipments.delivered"] }, opts);
    new lib.EventService("dispatch", { ...common, publishes: [shipments] }, opts);
    new lib.EventService("track", { ...common, subscribes: [{ topic: shipments, maxDeliveries: 4 }] }, opts);

    new lib.EventGraph("graph");
  };
}

/** UID of every broker object in the namespace, by kind and name. */
function uids(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of BROKER_KINDS) {
    for (const o of getJson(["get", kind, "-n", namespace]).items) out[`${kind}/${o.metadata.name}`] = o.metadata.uid;
  }
  return out;
}

/** lib/ of commit BEFORE, checked out under .switchyard/ so it resolves this checkout's node_modules. */
async function previousLib(): Promise<Lib> {
  const dir = join(ROOT, ".switchyard", `lib-${BEFORE}`);
  if (!existsSync(join(dir, "lib", "index.ts"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // A clean clone of main has the history; a shallow one must fetch it.
    const tar = execFileSync("git", ["-C", ROOT, "archive", "--format=tar", BEFORE, "lib"], { maxBuffer: 64 << 20 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
  }
  return (await import(join(dir, "lib", "index.ts"))) as Lib;
}

let previous: Lib;
let current: Lib;

beforeAll(async () => {
  previous = await previousLib();
  current = await import("../../lib");
});

afterAll(async () => {
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

describe(`upgrading a stack deployed with switchyard ${BEFORE}`, () => {
  let before: Record<string, string> = {};

  it("up with the previous version: Topic and Subscription components around the broker objects", async () => {
    requireStrimziCrds();
    stack = await inlineStack("e2e-upgrade", program(previous));
    await stack.up({ onOutput: log });
    const state = (await stack.exportStack()).deployment.resources as { type: string }[];
    const components = state.filter((r) => r.type === "switchyard:index:Topic" || r.type === "switchyard:index:Subscription").map((r) => r.type);
    // 4 topics; 4 subscriptions of services
    expect(components.sort()).toEqual([...Array(4).fill("switchyard:index:Subscription"), ...Array(4).fill("switchyard:index:Topic")]);
    // Every broker object in the state exists on the API server.
    const kinds = ["Stream", "Consumer", "KafkaTopic", "Exchange", "Queue", "Binding", "Policy"];
    const inState = state.filter((r) => r.type.startsWith("kubernetes:") && kinds.includes(r.type.split(":").pop()!)).length;
    before = uids();
    expect(Object.keys(before).length).toBe(inState);
    expect(inState).toBeGreaterThanOrEqual(11);
  });

  it("the current version previews as deleting only the old components", async () => {
    requireStrimziCrds();
    stack = await inlineStack("e2e-upgrade", program(current), stack!.name);
    const updated: string[] = [];
    const preview = await stack.preview({
      onOutput: log,
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m?.op === "update") updated.push(m.type);
      },
    });
    // The 7 event services' Deployments update in place: since 1bccf59 the topology spread
    // honours node taints (nodeTaintsPolicy: Honor). Nothing is replaced.
    expect(changes(preview.changeSummary)).toEqual({ delete: 8, update: 7 });
    expect(new Set(updated)).toEqual(new Set(["kubernetes:apps/v1:Deployment"]));
  });

  it("up with the current version keeps every broker object (same UID); then nothing changes", async () => {
    requireStrimziCrds();
    const res = await stack!.up({ onOutput: log });
    expect(changes(res.summary.resourceChanges)).toEqual({ delete: 8, update: 7 });
    const state = (await stack!.exportStack()).deployment.resources as { type: string }[];
    expect(state.filter((r) => r.type === "switchyard:index:Topic" || r.type === "switchyard:index:Subscription")).toEqual([]);
    expect(uids()).toEqual(before);
    expect(changes((await stack!.preview({ onOutput: log })).changeSummary)).toEqual({});
  });

  it("destroy removes every broker object", async () => {
    requireStrimziCrds();
    await stack!.destroy({ onOutput: log });
    await eventually(() => Object.keys(uids()).length === 0 || undefined, 60_000, "no broker objects");
  });
});
