/**
 * `@switchyard/pulumi/testing`: unit-test a stack program that uses
 * switchyard under Pulumi mocks. Loads the Pulumi runtime; never imported by
 * the main entry point, so production programs do not load it.
 */
export {
  setSwitchyardMocks,
  resetSwitchyardState,
  outputValue,
  unsecret,
  type SwitchyardMocks,
  type SwitchyardMocksOptions,
  type RegisteredResource,
  type RegisteredOptions,
} from "./mocks";
export { CLUSTER_SCOPED_KINDS } from "./defaults";
export { TRANSFORMS_UNAVAILABLE } from "./transforms";
