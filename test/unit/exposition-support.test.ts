import { describe, expect, it } from "vitest";
import { parseExposition, perturbed, select } from "../e2e/support/exposition";

// The e2e tier proves the dashboards' and alerts' selectors against real
// exporters by selecting series and by showing each perturbed selector selects
// nothing. These pin that helper on series whose names are chosen to be
// awkward, so a flaw shows here every time rather than in one CI run in ten.
describe("perturbed selectors (e2e support)", () => {
  const series = parseExposition(
    [
      'kube_pod_container_resource_requests{namespace="ns",pod="payments-63b7b6fd-7c9f5-abcx",container="payments",resource="cpu"} 0.1',
      'kube_pod_container_resource_requests{namespace="ns",pod="payments-63b7b6fd-7c9f5-x",container="payments",resource="memory"} 1e8',
      'kube_pod_container_resource_requests{namespace="ns",pod="paymentsx-1-2",container="paymentsx",resource="cpu"} 0.1',
    ].join("\n"),
  );
  const sel = {
    metric: "kube_pod_container_resource_requests",
    matchers: [
      { label: "namespace", op: "=", value: "ns" },
      { label: "pod", op: "=~", value: "(?:payments-63b7b6fd-[a-z0-9]+-[a-z0-9]+)" },
      { label: "container", op: "=", value: "payments" },
    ],
  };

  it("the unperturbed selector selects the pods whose names end in x", () => {
    expect(select(sel, series)).toHaveLength(2);
  });

  it("changes one matcher per copy, and no copy selects any of them", () => {
    const copies = perturbed([sel]);
    expect(copies).toHaveLength(3);
    copies.forEach((c, i) => expect(c.matchers.filter((m, j) => m.value !== sel.matchers[j]!.value).map((m) => m.label)).toEqual([sel.matchers[i]!.label]));
    expect(copies.map((c) => select(c, series).length)).toEqual([0, 0, 0]);
  });
});
