import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { AutoScaledService, FailoverGroup, ServiceRef, StackDashboard } from "../../lib";
import { installMocks, kubeObjects, settle, unsecret, type Registration } from "../support/mocks";
import { validateManifest } from "../support/schemas";

/** A stack that uses every option that changes a manifest's shape. */
async function everything(): Promise<Registration[]> {
  await installMocks(false);
  const orders = new AutoScaledService("orders", {
    image: "ghcr.io/acme/orders:1.0.0",
    ports: [{ name: "http", port: 8080, servicePort: 80, appProtocol: "http" }, { name: "grpc", port: 9090 }],
    namespace: "shop",
    healthPath: "/healthz",
    probes: { liveness: { grpc: true, port: "grpc" }, startup: { command: ["/bin/check"] } },
    env: { LOG_LEVEL: "debug" },
    secretEnv: { DB_PASSWORD: "pw", TOKEN: { secretName: "tokens", key: "orders" } },
    nodeSelector: { "kubernetes.io/os": "linux" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "shop", effect: "NoSchedule" }],
    imagePullSecrets: ["regcred"],
    podAnnotations: { "prometheus.io/scrape": "true" },
    team: "payments",
    partOf: "shop",
    service: { sessionAffinity: "ClientIP", sessionAffinityTimeoutSeconds: 300, trafficDistribution: "PreferSameZone", annotations: { a: "b" } },
    networkPolicy: { allowFrom: [{ namespace: "monitoring" }, { podLabels: { app: "debug" } }, { namespace: "*", podLabels: { role: "probe" } }] },
    disruptionBudget: { minAvailable: "50%" },
    monitoring: {
      metrics: { port: "grpc", path: "/internal/metrics", interval: "15s", scrapeTimeout: "5s", scheme: "https" },
      alerts: { crashLooping: { for: "2m", severity: "critical" }, autoscalerAtMax: false },
      labels: { release: "kube-prometheus-stack" },
      alertLabels: { pager: "payments-oncall" },
      runbookBaseUrl: "https://runbooks.example.com/shop",
    },
    autoscaling: {
      minReplicas: 2,
      maxReplicas: 10,
      memoryUtilization: 80,
      metrics: [
        { type: "Pods", name: "rps", averageValue: "100" },
        { type: "External", name: "lag", selector: { topic: "orders" }, averageValue: "30" },
      ],
      behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } },
    },
  });
  const ref = new ServiceRef({ name: "billing", namespace: "billing", port: 80, podPort: "http" });
  new AutoScaledService("web", {
    image: "ghcr.io/acme/web:1.0.0",
    port: 3000,
    namespace: "shop",
    calls: [orders, ref],
    route: { gateway: { name: "public", namespace: "gateways", sectionName: "https" }, hostnames: ["shop.example.com"], pathPrefixes: ["/", "/api"], backends: [{ target: ref, weight: 5 }] },
    autoscaling: { maxReplicas: 3 },
  });
  new FailoverGroup("checkout", { service: { image: "ghcr.io/acme/checkout:1", port: 8080 }, zones: ["zone-a", "zone-b"], replicas: 4 });
  new FailoverGroup("search", {
    service: { image: "ghcr.io/acme/search:1", port: 8080, namespace: "shop" },
    exportService: true,
    members: [
      { name: "east", provider: new k8s.Provider("east", { kubeconfig: "{}" }), active: true },
      { name: "west", provider: new k8s.Provider("west", { kubeconfig: "{}" }) },
    ],
  });
  new StackDashboard("shop", { namespace: "monitoring", folder: "Shop" });
  return kubeObjects(await settle()).filter((r) => r.type !== "pulumi:providers:kubernetes");
}

describe("every manifest validates against the Kubernetes and CRD schemas", () => {
  let objects: Registration[] = [];
  beforeAll(async () => {
    objects = await everything();
  });

  it("covers every kind switchyard builds", () => {
    expect(new Set(objects.map((o) => `${o.inputs.apiVersion}/${o.inputs.kind}`))).toEqual(
      new Set([
        "apps/v1/Deployment",
        "v1/Service",
        "v1/ServiceAccount",
        "v1/Secret",
        "policy/v1/PodDisruptionBudget",
        "networking.k8s.io/v1/NetworkPolicy",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "gateway.networking.k8s.io/v1/HTTPRoute",
        "multicluster.x-k8s.io/v1alpha1/ServiceExport",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "monitoring.coreos.com/v1/PrometheusRule",
        "v1/ConfigMap",
      ]),
    );
  });

  it("has no schema errors", async () => {
    const errors: string[] = [];
    for (const o of objects) {
      for (const e of await validateManifest(unsecret(o.inputs))) errors.push(`${o.type} ${o.name}: ${e}`);
    }
    expect(errors).toEqual([]);
  });

  it("catches a broken manifest (the validator is not vacuous)", async () => {
    const dep = unsecret(objects.find((o) => o.inputs.kind === "Deployment")!.inputs);
    dep.spec.template.spec.containers[0].ports[0].containerPort = "eighty";
    expect((await validateManifest(dep)).join()).toMatch(/containerPort/);
    const route = unsecret(objects.find((o) => o.inputs.kind === "HTTPRoute")!.inputs);
    route.spec.rules[0].matches[0].path.type = "Glob";
    expect((await validateManifest(route)).length).toBeGreaterThan(0);
  });
});
