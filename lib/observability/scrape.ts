import type { Input } from "@pulumi/pulumi";
import type { Manifest } from "../model/workload-manifests";
import { LABELS } from "../model/workload-resolve";
import type { ResolvedScrape } from "./monitoring";

/**
 * The Prometheus Operator `ServiceMonitor` of a service: scrapes the metrics
 * port of the service's own Kubernetes Service (selected by its stable
 * selector labels) and copies the switchyard labels onto every series, so
 * metrics, alerts and logs select a service the same way. Pure.
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
 */
export function buildServiceMonitor(
  scrape: ResolvedScrape,
  o: {
    readonly name?: string;
    readonly namespace?: Input<string>;
    readonly labels: Record<string, string>;
    /** Labels of the Kubernetes Service to scrape (its selector labels are enough). */
    readonly serviceSelector: Record<string, string>;
  },
): Manifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { ...(o.name ? { name: o.name } : {}), ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), labels: { ...o.labels } },
    spec: {
      selector: { matchLabels: { ...o.serviceSelector } },
      // Service labels become target labels (Prometheus turns "/" and "." into "_").
      targetLabels: [LABELS.service, LABELS.team, LABELS.partOf],
      endpoints: [
        {
          port: scrape.port,
          path: scrape.path,
          interval: scrape.interval,
          ...(scrape.scrapeTimeout !== undefined ? { scrapeTimeout: scrape.scrapeTimeout } : {}),
          scheme: scrape.scheme,
        },
      ],
    },
  };
}
