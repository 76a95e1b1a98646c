/** Observability: ServiceMonitors, alerts derived from each service's contract, and the stack's Grafana dashboard. */
export * from "./monitoring";
export * from "./targets";
export * from "./alerts";
export * from "./broker-queries";
export * from "./scrape";
export * from "./dashboard";
export * from "./metrics";
export { StackDashboard, type StackDashboardArgs, type Monitored, DEFAULT_SIDECAR_LABELS, DASHBOARD_LABEL } from "./stack-dashboard";
