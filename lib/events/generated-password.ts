import * as pulumi from "@pulumi/pulumi";

/**
 * A random password created once and kept in the stack state as a secret.
 * `@pulumi/random` needs a provider plugin that is not available everywhere
 * switchyard runs, so this is a Pulumi dynamic resource: it runs in the
 * Node.js language host (the `pulumi-resource-pulumi-nodejs` plugin shipped
 * inside `@pulumi/pulumi`). The value changes only when `length` changes, so
 * a second `pulumi up` shows no diff.
 */
export const generatedPasswordProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { length: number }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const bytes = randomBytes(inputs.length);
    let result = "";
    for (let i = 0; i < inputs.length; i++) result += alphabet[bytes[i]! % alphabet.length];
    return { id: `pw-${inputs.length}-${bytes.subarray(0, 4).toString("hex")}`, outs: { length: inputs.length, result } };
  },
  async diff(_id: string, olds: { length: number }, news: { length: number }) {
    const changed = olds.length !== news.length;
    return { changes: changed, replaces: changed ? ["length"] : [], deleteBeforeReplace: false };
  },
  async update(_id: string, olds: Record<string, unknown>) {
    return { outs: olds };
  },
};

export class GeneratedPassword extends pulumi.dynamic.Resource {
  /** The password (secret). */
  declare readonly result: pulumi.Output<string>;

  constructor(name: string, length: number, opts?: pulumi.CustomResourceOptions) {
    super(generatedPasswordProvider, name, { length, result: undefined }, { ...opts, additionalSecretOutputs: ["result"] }, "switchyard", "GeneratedPassword");
  }
}
