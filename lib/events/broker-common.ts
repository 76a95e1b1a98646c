import type { Input } from "@pulumi/pulumi";
import type { Manifest } from "../model/workload-manifests";
import { LABELS } from "../model/workload-resolve";

/** Labels and placement shared by the objects of one broker. Pure. */
export interface BrokerMeta {
  readonly name: string;
  readonly component: string;
  readonly namespace?: Input<string>;
  readonly labels: Record<string, string>;
  readonly selectorLabels: Record<string, string>;
}

export function brokerMeta(name: string, component: string, namespace: Input<string> | undefined, extra?: Record<string, string>): BrokerMeta {
  return {
    name,
    component,
    ...(namespace !== undefined ? { namespace } : {}),
    labels: { ...(extra ?? {}), [LABELS.name]: name, [LABELS.component]: component, "app.kubernetes.io/part-of": "switchyard-events" },
    selectorLabels: { [LABELS.name]: name, [LABELS.component]: component },
  };
}

/** `metadata` of a broker object; `name` fixes the Kubernetes name. */
export function brokerMetadata(m: BrokerMeta, name?: string, extraLabels?: Record<string, string>): Manifest {
  return {
    ...(name !== undefined ? { name } : {}),
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    labels: { ...m.labels, ...(extraLabels ?? {}) },
  };
}

/** The credentials Secret of a broker (or of a service's copy of them). */
export function buildCredentialsSecret(m: BrokerMeta, data: Record<string, Input<string>>, name?: string): Manifest {
  return { apiVersion: "v1", kind: "Secret", metadata: brokerMetadata(m, name), type: "Opaque", stringData: data };
}

/** Checks shared by every broker: a replica count from a fixed set. */
export function isOneOf(v: unknown, allowed: readonly number[]): boolean {
  return typeof v === "number" && allowed.includes(v);
}
