import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type AlertRule, type MonitoredWorkload, buildDashboard, buildRuleGroup, resolveMonitoring } from "../../lib";
import { PORTS, billing, others } from "../support/monitored";

/**
 * The derived rules and the dashboard's queries checked by Prometheus's own
 * promtool (built from the Go module proxy by scripts/toolchain/build-promtool.sh):
 * `promtool check rules` parses and lints every expression, and `promtool test
 * rules` evaluates the alerts on synthetic series, proving that each fires when
 * it should and stays silent when it should.
 */
const PROMTOOL = process.env.SWITCHYARD_PROMTOOL ?? "promtool";
const work = mkdtempSync(join(tmpdir(), "switchyard-promtool-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const m = resolveMonitoring({ runbookBaseUrl: "https://runbooks.example.com/shop" }, PORTS)!;

function promtool(args: string[]): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd: work, stdio: "pipe" }).toString();
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}`);
  }
}

function write(name: string, doc: unknown): string {
  writeFileSync(join(work, name), stringify(doc));
  return name;
}

const rulesOf = (w: MonitoredWorkload) => buildRuleGroup(w, m);
const billingRule = (alert: string): AlertRule => rulesOf(billing).rules.find((r) => r.alert === alert)!;

/** The alert promtool should report: the rule's labels plus the series', annotations with `$value` filled in. */
function expected(rule: AlertRule, value: string, seriesLabels: Record<string, string> = {}) {
  return {
    exp_labels: { ...seriesLabels, ...rule.labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, v.replace(/\{\{ \$value \}\}/g, value)])),
  };
}

describe("promtool", () => {
  it("reports its version (built from the Go module proxy)", () => {
    expect(promtool(["--version"])).toMatch(/^promtool, version 3\.\d+\.\d+/);
  });

  it("check rules: every derived alert, for every kind of service and broker, parses and passes the linter", () => {
    const file = write("rules.yaml", { groups: [billing, ...others].map(rulesOf) });
    const out = promtool(["check", "rules", "--lint=all", "--lint-fatal", file]);
    const count = [billing, ...others].reduce((n, w) => n + rulesOf(w).rules.length, 0);
    expect(out).toContain(`SUCCESS: ${count} rules found`);
  });

  it("check rules: every dashboard query, as a recording rule, parses", () => {
    const dashboard = buildDashboard([billing, ...others], { uid: "u", title: "t" }) as { panels: { targets?: { expr: string }[] }[] };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replace(/\$__rate_interval/g, "5m")));
    const file = write("dashboard.yaml", { groups: [{ name: "dashboard", rules: queries.map((expr, i) => ({ record: `switchyard:dashboard_query_${i}`, expr })) }] });
    expect(promtool(["check", "rules", file])).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it("check rules is not vacuous: a broken expression fails", () => {
    const file = write("broken.yaml", { groups: [{ name: "x", rules: [{ alert: "X", expr: "max(jetstream_consumer_num_pending{" }] }] });
    expect(() => promtool(["check", "rules", file])).toThrow(/promtool check rules .* failed/);
  });

  it("test rules: backlog, dead-letter, acknowledgement and replica alerts fire when they should and stay silent otherwise", () => {
    const rules = write("billing-rules.yaml", { groups: [rulesOf(billing)] });
    const consumer = (server: string) => `{stream_name="ORDERS",consumer_name="billing-orders",server_name="${server}"}`;
    const tests = [
      {
        // Backlog grows by 100 a minute: above lagPerReplica x maxReplicas (500) from minute 6, firing 10 minutes later.
        interval: "1m",
        input_series: [{ series: `jetstream_consumer_num_pending${consumer("n1")}`, values: "0+100x30" }],
        alert_rule_test: [
          { eval_time: "5m", alertname: "SwitchyardBacklogAboveCapacity", exp_alerts: [] },
          { eval_time: "15m", alertname: "SwitchyardBacklogAboveCapacity", exp_alerts: [] },
          { eval_time: "20m", alertname: "SwitchyardBacklogAboveCapacity", exp_alerts: [expected(billingRule("SwitchyardBacklogAboveCapacity"), "2000")] },
        ],
      },
      {
        // Two servers report the same replicated consumer: 300 each is a backlog of 300, not 600.
        interval: "1m",
        input_series: [
          { series: `jetstream_consumer_num_pending${consumer("n1")}`, values: "300x30" },
          { series: `jetstream_consumer_num_pending${consumer("n2")}`, values: "300x30" },
        ],
        alert_rule_test: [{ eval_time: "30m", alertname: "SwitchyardBacklogAboveCapacity", exp_alerts: [] }],
      },
      {
        // The dead-letter stream is empty for 10 minutes, then holds one message.
        interval: "1m",
        input_series: [{ series: 'jetstream_stream_total_messages{stream_name="ORDERS_DLQ",server_name="n1"}', values: "0x10 1x20" }],
        alert_rule_test: [
          { eval_time: "10m", alertname: "SwitchyardDeadLetters", exp_alerts: [] },
          { eval_time: "15m", alertname: "SwitchyardDeadLetters", exp_alerts: [expected(billingRule("SwitchyardDeadLetters"), "1")] },
        ],
      },
      {
        // Three messages out for delivery, and the ack floor never moves: stuck.
        interval: "1m",
        input_series: [
          { series: `jetstream_consumer_num_ack_pending${consumer("n1")}`, values: "3x30" },
          { series: `jetstream_consumer_ack_floor_stream_seq${consumer("n1")}`, values: "10x30" },
        ],
        alert_rule_test: [
          { eval_time: "5m", alertname: "SwitchyardNotAcknowledging", exp_alerts: [] },
          { eval_time: "20m", alertname: "SwitchyardNotAcknowledging", exp_alerts: [expected(billingRule("SwitchyardNotAcknowledging"), "3")] },
        ],
      },
      {
        // Messages out for delivery, but the ack floor advances every minute: healthy.
        interval: "1m",
        input_series: [
          { series: `jetstream_consumer_num_ack_pending${consumer("n1")}`, values: "3x30" },
          { series: `jetstream_consumer_ack_floor_stream_seq${consumer("n1")}`, values: "10+1x30" },
        ],
        alert_rule_test: [{ eval_time: "30m", alertname: "SwitchyardNotAcknowledging", exp_alerts: [] }],
      },
      {
        // One of three replicas available for 30 minutes; the autoscaler at its maximum; a crash-looping pod.
        interval: "1m",
        input_series: [
          { series: 'kube_deployment_status_replicas_available{namespace="shop",deployment="billing-1a2b3c4d"}', values: "1x30" },
          { series: 'kube_deployment_spec_replicas{namespace="shop",deployment="billing-1a2b3c4d"}', values: "3x30" },
          { series: 'kube_horizontalpodautoscaler_status_desired_replicas{namespace="shop",horizontalpodautoscaler="keda-hpa-billing-scaler-9c0d1e2f"}', values: "10x30" },
          { series: 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="shop",horizontalpodautoscaler="keda-hpa-billing-scaler-9c0d1e2f"}', values: "10x30" },
          { series: 'kube_pod_container_status_waiting_reason{namespace="shop",pod="billing-1a2b3c4d-7d9f8c6b5-x2x9z",container="billing",reason="CrashLoopBackOff"}', values: "1x30" },
          // Another Deployment's pod in the same namespace never counts.
          { series: 'kube_pod_container_status_waiting_reason{namespace="shop",pod="billing-worker-00000000-7d9f8c6b5-abcde",container="billing",reason="CrashLoopBackOff"}', values: "1x30" },
        ],
        alert_rule_test: [
          { eval_time: "10m", alertname: "SwitchyardReplicasUnavailable", exp_alerts: [] },
          { eval_time: "20m", alertname: "SwitchyardReplicasUnavailable", exp_alerts: [expected(billingRule("SwitchyardReplicasUnavailable"), "1", { deployment: "billing-1a2b3c4d" })] },
          { eval_time: "20m", alertname: "SwitchyardAutoscalerAtMax", exp_alerts: [expected(billingRule("SwitchyardAutoscalerAtMax"), "10", { horizontalpodautoscaler: "keda-hpa-billing-scaler-9c0d1e2f" })] },
          {
            eval_time: "20m",
            alertname: "SwitchyardCrashLooping",
            exp_alerts: [
              {
                exp_labels: { ...billingRule("SwitchyardCrashLooping").labels, pod: "billing-1a2b3c4d-7d9f8c6b5-x2x9z", container: "billing", reason: "CrashLoopBackOff" },
                exp_annotations: Object.fromEntries(
                  Object.entries(billingRule("SwitchyardCrashLooping").annotations).map(([k, v]) => [k, v.replace("{{ $labels.pod }}", "billing-1a2b3c4d-7d9f8c6b5-x2x9z")]),
                ),
              },
            ],
          },
        ],
      },
    ];
    const file = write("billing-test.yaml", JSON.parse(JSON.stringify({ rule_files: [rules], evaluation_interval: "1m", tests })));
    expect(promtool(["test", "rules", file])).toContain("SUCCESS");
  });

  it("test rules is not vacuous: a wrong expectation fails", () => {
    const rules = write("billing-rules.yaml", { groups: [rulesOf(billing)] });
    const file = write("wrong-test.yaml", {
      rule_files: [rules],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [{ series: 'jetstream_stream_total_messages{stream_name="ORDERS_DLQ"}', values: "0x30" }],
          alert_rule_test: [{ eval_time: "15m", alertname: "SwitchyardDeadLetters", exp_alerts: [expected(billingRule("SwitchyardDeadLetters"), "1")] }],
        },
      ],
    });
    expect(() => promtool(["test", "rules", file])).toThrow(/FAILED/);
  });
});
