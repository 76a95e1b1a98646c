import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { beforeEach, describe, expect, it } from "vitest";
import { AutoScaledService, ServiceRef, stableName } from "../../lib";
import { childList, installMocks, isWireSecret, kubeObjects, registrations, settle, unsecret, valueOf } from "../support/mocks";
const n = (logical: string, component = "api") => stableName(`switchyard:index:AutoScaledService::${component}`, logical);

const base = { image: "ghcr.io/acme/api:1.0.0", port: 8080, autoscaling: { maxReplicas: 6 } } as const;
const find = (type: string, name: string) => registrations.find((r) => r.type === type && r.name === name)!;

describe.each([true, false])("AutoScaledService (preview=%s)", (preview) => {
  beforeEach(() => installMocks(preview));

  it("creates exactly its children, parented to the component", async () => {
    const svc = new AutoScaledService("api", base);
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:apps/v1:Deployment::api",
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::api-hpa",
      "kubernetes:core/v1:Service::api",
      "kubernetes:core/v1:ServiceAccount::api-sa",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::api-alerts",
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::api-monitor",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::api-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget::api-pdb",
    ]);
    for (const child of [svc.deployment, svc.service, svc.autoscaler, svc.workload.serviceAccount, svc.workload.disruptionBudget!, svc.workload.ingressPolicy!]) {
      const urn = await valueOf(child.urn);
      expect(urn).toContain("::switchyard:index:AutoScaledService$kubernetes:");
    }
  });

  it("leaves spec.replicas to the HPA and targets the Deployment", async () => {
    new AutoScaledService("api", { ...base, autoscaling: { minReplicas: 3, maxReplicas: 9, memoryUtilization: 80 } });
    await settle();
    const dep = find("kubernetes:apps/v1:Deployment", "api").inputs;
    expect(dep.spec.replicas).toBeUndefined();
    const hpa = find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api-hpa").inputs;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: `${n("api")}` });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBe(9);
    expect(hpa.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ]);
    expect(hpa.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] });
  });

  it("builds custom metrics and behaviour", async () => {
    new AutoScaledService("api", {
      ...base,
      autoscaling: {
        maxReplicas: 4,
        cpuUtilization: null,
        metrics: [
          { type: "Pods", name: "http_requests_per_second", averageValue: "50" },
          { type: "External", name: "queue_depth", selector: { queue: "orders" }, value: "100" },
        ],
        behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }] } },
      },
    });
    await settle();
    const hpa = find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api-hpa").inputs;
    expect(hpa.spec.metrics).toEqual([
      { type: "Pods", pods: { metric: { name: "http_requests_per_second" }, target: { type: "AverageValue", averageValue: "50" } } },
      { type: "External", external: { metric: { name: "queue_depth", selector: { matchLabels: { queue: "orders" } } }, target: { type: "Value", value: "100" } } },
    ]);
    expect(hpa.spec.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }] });
  });

  it("is secure by default: restricted pod security, own service account, no token", async () => {
    new AutoScaledService("api", base);
    await settle();
    const pod = find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.containers[0].volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.serviceAccountName).toBe(`${n("api-sa")}`);
    expect(find("kubernetes:core/v1:ServiceAccount", "api-sa").inputs.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  it("lets every default be overridden, including back to unset", async () => {
    new AutoScaledService("api", {
      ...base,
      podSecurity: { runAsUser: null, runAsGroup: null, fsGroup: null, seccompProfile: null },
      containerSecurity: { readOnlyRootFilesystem: null, dropCapabilities: null, addCapabilities: ["NET_BIND_SERVICE"] },
      resources: { cpuRequest: "250m", memoryLimit: null },
      preStopSleepSeconds: null,
      probes: { liveness: false, startup: false, readiness: { path: "/ready", periodSeconds: 5 } },
      disruptionBudget: false,
      topologySpread: false,
      networkPolicy: false,
      monitoring: false,
    });
    await settle();
    expect(childList(registrations)).toEqual([
      "kubernetes:apps/v1:Deployment::api",
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::api-hpa",
      "kubernetes:core/v1:Service::api",
      "kubernetes:core/v1:ServiceAccount::api-sa",
    ]);
    const pod = find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { add: ["NET_BIND_SERVICE"] } });
    expect(pod.volumes).toBeUndefined();
    expect(pod.topologySpreadConstraints).toBeUndefined();
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: "250m", memory: "128Mi" } });
    expect(pod.containers[0].lifecycle).toBeUndefined();
    expect(pod.containers[0].livenessProbe).toBeUndefined();
    expect(pod.containers[0].startupProbe).toBeUndefined();
    expect(pod.containers[0].readinessProbe).toEqual({ httpGet: { path: "/ready", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 });
  });

  it("exposes discovery outputs and a PDB that never blocks a drain", async () => {
    const svc = new AutoScaledService("api", { ...base, namespace: "shop" });
    await settle();
    expect(await valueOf(svc.serviceName)).toBe(`${n("api")}`);
    expect(await valueOf(svc.dnsName)).toBe(`${n("api")}.shop.svc.cluster.local`);
    expect(await valueOf(svc.endpoint)).toBe(`http://${n("api")}.shop.svc.cluster.local:8080`);
    expect(find("kubernetes:policy/v1:PodDisruptionBudget", "api-pdb").inputs.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "api" } },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
    const spread = find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template.spec.topologySpreadConstraints;
    expect(spread.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ["topology.kubernetes.io/zone", "ScheduleAnyway"],
      ["kubernetes.io/hostname", "ScheduleAnyway"],
    ]);
  });

  it("load balancing: session affinity, traffic distribution and named ports", async () => {
    new AutoScaledService("api", {
      ...base,
      port: undefined,
      ports: [{ name: "http", port: 8080, servicePort: 80, appProtocol: "http" }, { name: "grpc", port: 9090 }],
      service: { sessionAffinity: "ClientIP", sessionAffinityTimeoutSeconds: 600, trafficDistribution: "PreferClose" },
    });
    await settle();
    expect(find("kubernetes:core/v1:Service", "api").inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "api" },
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP", appProtocol: "http" },
        { name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP" },
      ],
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      trafficDistribution: "PreferClose",
    });
  });

  it("calls: injects the callee endpoint and opens exactly that path", async () => {
    const orders = new AutoScaledService("orders", { ...base, namespace: "shop" });
    const legacy = new ServiceRef({ name: "legacy-billing", namespace: "billing", port: 80, podPort: 8080 });
    new AutoScaledService("web", { ...base, namespace: "shop", calls: [orders, { target: legacy, env: "BILLING_URL" }] });
    await settle();
    const env = find("kubernetes:apps/v1:Deployment", "web").inputs.spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: "ORDERS_URL", value: `http://${n("orders", "orders")}.shop.svc.cluster.local:8080` },
      { name: "BILLING_URL", value: "http://legacy-billing.billing.svc.cluster.local:80" },
    ]);
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "web-to-orders").inputs).toMatchObject({
      metadata: { namespace: "shop" },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "web" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
            ports: [{ protocol: "TCP", port: "http" }],
          },
        ],
      },
    });
    // A ServiceRef writes nothing in its namespace unless `admitCallers` (test/unit/service-ref.test.ts).
    expect(registrations.filter((r) => r.name === "web-to-legacy-billing")).toEqual([]);
    // Each service's own policy denies everything else.
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "orders-ingress").inputs.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } },
      policyTypes: ["Ingress"],
      // Only Prometheus, on the metrics port (monitoring is on by default).
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [{ protocol: "TCP", port: "http" }] }],
    });
  });

  it("HTTPRoute attaches to an existing Gateway with weighted backends", async () => {
    const canary = new ServiceRef({ name: "api-canary", namespace: "shop", port: 8080 });
    new AutoScaledService("api", {
      ...base,
      namespace: "shop",
      route: { gateway: { name: "public", namespace: "gateways", sectionName: "https" }, hostnames: ["api.example.com"], pathPrefixes: ["/v1"], weight: 90, backends: [{ target: canary, weight: 10 }] },
    });
    await settle();
    const route = find("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "api-route").inputs;
    expect(route.spec).toEqual({
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways", sectionName: "https" }],
      hostnames: ["api.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/v1" } }],
          backendRefs: [
            { group: "", kind: "Service", name: `${n("api")}`, port: 8080, weight: 90 },
            { group: "", kind: "Service", name: "api-canary", namespace: "shop", port: 8080, weight: 10 },
          ],
        },
      ],
    });
    expect(find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "api-ingress").inputs.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gateways" } } }], ports: [{ protocol: "TCP", port: "http" }] },
      { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [{ protocol: "TCP", port: "http" }] },
    ]);
  });

  it("secret env values live in a Secret, are Pulumi secrets, and are referenced by key", async () => {
    const svc = new AutoScaledService("api", {
      ...base,
      env: { LOG_LEVEL: "info" },
      secretEnv: { DB_PASSWORD: "hunter2", API_TOKEN: { secretName: "shared-tokens", key: "api" } },
    });
    await settle();
    const secret = svc.workload.envSecret!;
    expect(await pulumi.isSecret(secret.stringData)).toBe(true);
    const stringData = find("kubernetes:core/v1:Secret", "api-env").inputs.stringData;
    expect(isWireSecret(stringData) || isWireSecret(stringData.DB_PASSWORD)).toBe(true);
    expect(unsecret(stringData)).toEqual({ DB_PASSWORD: "hunter2" });
    expect(find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template.spec.containers[0].env).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: `${n("api-env")}`, key: "DB_PASSWORD" } } },
      { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "shared-tokens", key: "api" } } },
    ]);
  });

  it("an explicit provider reaches every child and no default provider is used", async () => {
    const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
    new AutoScaledService("api", { ...base, secretEnv: { X: "y" } }, { provider });
    await settle();
    const objects = kubeObjects(registrations).filter((r) => r.type !== "pulumi:providers:kubernetes");
    expect(objects.length).toBe(9); // with the ServiceMonitor and PrometheusRule
    for (const o of objects) expect(o.provider, o.name).toMatch(/^urn:pulumi:stack::project::pulumi:providers:kubernetes::cluster::/);
  });

  // `transforms` run in the engine (proven end to end); the SDK-side `transformations` run under mocks.
  it("applies Pulumi transformations to its children (the escape hatch)", async () => {
    new AutoScaledService("api", base, {
      transformations: [
        (a) =>
          a.type === "kubernetes:apps/v1:Deployment"
            ? { props: { ...a.props, metadata: { ...a.props.metadata, annotations: { patched: "yes" } } }, opts: a.opts }
            : undefined,
      ],
    });
    await settle();
    expect(find("kubernetes:apps/v1:Deployment", "api").inputs.metadata.annotations).toEqual({ patched: "yes" });
  });

  it("builds an image from source with @pulumi/docker and deploys its digest", async () => {
    new AutoScaledService("api", { ...base, image: { repository: "registry.local/acme/api", context: "./app", registry: { server: "registry.local", username: "ci", password: "s3cret" } } });
    await settle();
    const img = find("docker:index/image:Image", "api-image").inputs;
    expect(img.imageName).toBe("registry.local/acme/api");
    expect(img.build).toMatchObject({ context: "./app", platform: "linux/amd64" });
    expect(find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template.spec.containers[0].image).toBe(`registry.local/acme/api@sha256:${"ab".repeat(32)}`);
  });

  it("is recognised by brand across package copies", async () => {
    const svc = new AutoScaledService("api", base);
    await settle();
    expect(AutoScaledService.isInstance(svc)).toBe(true);
    expect(AutoScaledService.isInstance({ __switchyardType: "switchyard:index:AutoScaledService" })).toBe(true);
    expect(AutoScaledService.isInstance({})).toBe(false);
  });
});
