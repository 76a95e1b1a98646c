import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // The benchmark's programs import the package by name, as a user would; here that is the source.
        // The testing entry first: an alias also matches the subpaths of its key.
        resolve: { alias: { "@switchyard/pulumi/testing": resolve(__dirname, "lib/testing/index.ts"), "@switchyard/pulumi": resolve(__dirname, "lib/index.ts") } },
        test: {
          name: "unit",
          // examples/**: the README's testing example runs as written.
          include: ["test/unit/**/*.test.ts", "examples/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // One stack at a time against the local control plane.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 900_000,
          hookTimeout: 900_000,
          globalSetup: ["test/e2e/global-setup.ts"],
        },
      },
    ],
  },
});
