/** The pure model layer: argument types, defaults, validation and manifest builders. No Pulumi runtime. */
export * from "./workload-args";
export * from "./workload-resolve";
export * from "./workload-validate";
export * from "./workload-manifests";
export * from "./autoscaling";
export * from "./failover";
export * from "./names";
export * from "./problems";
