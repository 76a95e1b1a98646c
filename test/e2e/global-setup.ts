import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

/**
 * Builds/starts the local toolchain and control plane once for the e2e run
 * and exports their environment to the test workers. A control plane this
 * setup started is stopped again at the end; one already running is left alone.
 */
export default function setup(): () => void {
  const state = process.env.SWITCHYARD_STATE ?? join(root, ".switchyard");
  const wasRunning = existsSync(join(state, "cluster", "run", "kube-apiserver.pid"));
  const out = execFileSync("bash", [join(root, "scripts/e2e/prepare.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const entry of out.toString("utf8").split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) process.env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return () => {
    if (!wasRunning && !process.env.SWITCHYARD_KEEP_CLUSTER) {
      execFileSync("bash", [join(root, "scripts/cluster/down.sh")], { stdio: "inherit" });
    }
  };
}
