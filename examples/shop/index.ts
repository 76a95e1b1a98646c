/**
 * The example stack: a small shop.
 *   web (AutoScaledService, exposed through an HTTPRoute) calls catalog and checkout;
 *   catalog (AutoScaledService) scales on CPU;
 *   checkout (FailoverGroup) runs across three zones with hard spreading.
 * Config: `namespace` (default "shop"), `imageTag` (every image's tag),
 * `maxReplicas` (autoscaling ceiling), `cacheTtlSeconds`, `paymentApiKey` (secret),
 * `zones` (JSON list, default ["zone-a","zone-b","zone-c"]).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AutoScaledService, FailoverGroup } from "@switchyard/pulumi";

const config = new pulumi.Config();
const tag = config.get("imageTag") ?? "1.0.0";
const maxReplicas = config.getNumber("maxReplicas") ?? 6;
const zones = config.getObject<string[]>("zones") ?? ["zone-a", "zone-b", "zone-c"];

// Every pod must pass Pod Security "restricted": switchyard's defaults do.
const ns = new k8s.core.v1.Namespace("shop", {
  metadata: {
    name: config.get("namespace") ?? "shop",
    labels: {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
    },
  },
});
const namespace = ns.metadata.name;

const catalog = new AutoScaledService("catalog", {
  image: `ghcr.io/switchyard-examples/catalog:${tag}`,
  port: 8080,
  healthPath: "/healthz",
  namespace,
  team: "catalog",
  partOf: "shop",
  env: { CACHE_TTL_SECONDS: config.get("cacheTtlSeconds") ?? "60" },
  autoscaling: { minReplicas: 2, maxReplicas, cpuUtilization: 70 },
});

const checkout = new FailoverGroup("checkout", {
  service: {
    image: `ghcr.io/switchyard-examples/checkout:${tag}`,
    port: 8080,
    namespace,
    team: "payments",
    partOf: "shop",
    calls: [catalog],
    secretEnv: { PAYMENT_API_KEY: config.getSecret("paymentApiKey") ?? pulumi.secret("local-demo-key") },
  },
  zones,
  availableZones: ["zone-a", "zone-b", "zone-c"],
});

const web = new AutoScaledService("web", {
  image: `ghcr.io/switchyard-examples/web:${tag}`,
  port: 8080,
  namespace,
  team: "storefront",
  partOf: "shop",
  calls: [catalog, checkout],
  route: { gateway: { name: "public", namespace: "gateways" }, hostnames: ["shop.example.com"], pathPrefixes: ["/"] },
  autoscaling: { minReplicas: 2, maxReplicas },
});

export const namespaceName = namespace;
export const services = {
  web: { endpoint: web.endpoint, dnsName: web.dnsName },
  catalog: { endpoint: catalog.endpoint, dnsName: catalog.dnsName },
  checkout: { endpoint: checkout.endpoint, dnsName: checkout.dnsName },
};
