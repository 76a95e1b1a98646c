/**
 * switchyard: typed Pulumi components for event-driven service orchestration
 * on Kubernetes.
 */
export { AutoScaledService, validateAutoScaledService } from "./components/auto-scaled-service";
export type { AutoScaledServiceArgs } from "./components/auto-scaled-service";
export { FailoverGroup, validateFailoverGroup, ROLE_ANNOTATION } from "./components/failover-group";
export type { FailoverGroupArgs, FailoverMemberArgs, FailoverMemberOutputs } from "./components/failover-group";
export { ServiceRef } from "./components/service-ref";
export type { ServiceRefArgs } from "./components/service-ref";
export type { WorkloadChildren } from "./components/workload-resources";
export { stableName } from "./components/workload-resources";
export * from "./model";
export * from "./events";
export * from "./observability";
export { MONITORING_CONFIG, monitoredWorkloads, resetMonitoredWorkloads, type MonitoringChildren } from "./components/monitoring-resources";
