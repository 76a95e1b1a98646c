import * as pulumi from "@pulumi/pulumi";
import type { EventGraphModel, GraphReport } from "./graph";
import { show } from "../model/problems";

/**
 * The whole-graph check of every stack that declares events, without an
 * `EventGraph` in the program.
 *
 * When it runs. The check needs everything the program declares, so it runs
 * once the program is done, which Pulumi's Node.js SDK does not announce. What
 * the SDK (3.259.0, `runtime/stack.ts`) does: the CLI's language host and the
 * Automation API's inline server both run a program through
 * `runInPulumiStack(init)`, which constructs the root `pulumi:pulumi:Stack`
 * component; its `initialize()` awaits `init()` (the program module loaded, and
 * the promise an exported async function returns), awaits every Output the
 * program exports, calls `registerOutputs` with them, and only then resolves
 * the stack's `getData()` promise. There is no public hook between the end of
 * the program and the registration of the stack outputs (the only awaits in
 * between are the program's own exports). So the check is chained on the stack
 * resource's `getData()`, the first moment that is known to follow the whole
 * program, top-level `await`s and async entry points included. Under
 * `pulumi up` that can be after the engine created resources whose outputs the
 * program exports: as with an `EventGraph` created last, a mistake then fails
 * the update rather than preventing it, while `pulumi preview` (and the preview
 * `pulumi up` runs first) fails before anything is changed.
 *
 * Alternatives not used: `process.on("beforeExit")` fires only in the CLI's
 * language host (never in an Automation API inline program, whose process lives
 * on, nor under test mocks), after every RPC has finished, and races Pulumi's
 * own handler, which registers itself last on purpose; a timer or
 * `setImmediate` after the first declaration runs in the middle of a program
 * that awaits between declarations, so it would report a publisher declared
 * after an `await` as missing.
 *
 * How it fails. Errors are thrown as a `pulumi.RunError` from that promise
 * chain, an unhandled rejection: both the CLI's language host and the inline
 * server install the SDK's `unhandledRejection` handler, which logs the error
 * and fails the preview or update (non-zero exit; "One or more errors
 * occurred" inline), exactly as an exception thrown by the program itself.
 * The error's `stack` is its message: the language host prints `stack` once
 * the program is done, and this check's frames would say nothing. Warnings are
 * logged with `pulumi.log.warn`.
 *
 * What is declared later. A declaration made after the check ran (inside an
 * `apply` callback, which `pulumi preview` does not run for unknown values)
 * triggers another check once the current turn of the event loop is over.
 * Limitation: declarations spread over several such callbacks are checked as
 * they come, so a subscription declared in one and its publisher in a later
 * one is reported as an error. A graph sealed by an `EventGraph` is not checked again: the
 * `EventGraph` reported it. A graph passed explicitly to the brokers (their
 * `graph` argument) is not the stack's: only an `EventGraph` checks it.
 * Without a stack resource (Pulumi mocks outside `runInPulumiStack`) nothing
 * runs automatically: create an `EventGraph`, or run the program inside
 * `pulumi.runtime.runInPulumiStack`.
 */
export function checkWhenProgramEnds(stack: pulumi.Resource, graph: EventGraphModel, stale: () => boolean): void {
  const logged = new Set<string>();
  const check = () => {
    if (graph.sealedBy !== undefined || stale()) return;
    const report = graph.check();
    for (const w of report.warnings) {
      if (logged.has(w)) continue;
      logged.add(w);
      void pulumi.log.warn(w);
    }
    const error = graphCheckError(report, pulumi.getStack());
    if (error) throw error;
  };
  // `getData()` is the component's initialize promise; TypeScript declares it protected.
  const done = (stack as unknown as { getData?: () => Promise<unknown> }).getData?.();
  if (!done) return;
  void done.then(
    () => {
      let scheduled = false;
      graph.onChange(() => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          check();
        });
      });
      check();
    },
    // The program failed: the SDK reports that error; the graph of a failed program is not checked.
    () => undefined,
  );
}

/** The error a failed automatic check throws: every definite mistake, one per line. */
export function graphCheckError(report: GraphReport, stackName: string): pulumi.RunError | undefined {
  const n = report.errors.length;
  if (n === 0) return undefined;
  const head = `The event graph of stack ${show(stackName)} has ${n} error${n === 1 ? "" : "s"} (switchyard checks every stack that declares events once the program is done):`;
  const error = new pulumi.RunError([head, ...report.errors.map((e) => `  - ${e.message}`)].join("\n"));
  // Once the program is done the language host prints `stack`: the frames of this check would only hide the list.
  error.stack = error.message;
  return error;
}
