/**
 * Where the e2e stacks with made-up images run: the local cluster's fake
 * (kwok) nodes, which are tainted so that only pods that ask for them land
 * there (scripts/cluster/up.sh); real images run on the real nodes.
 */
export const ON_FAKE_NODES = {
  nodeSelector: { type: "kwok" },
  tolerations: [{ key: "kwok.x-k8s.io/node", operator: "Equal", value: "fake", effect: "NoSchedule" }],
} as const;
