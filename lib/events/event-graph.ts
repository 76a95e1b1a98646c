import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BRAND, hasBrand } from "../components/brand";
import { throwIfInvalid } from "../components/workload-resources";
import { type AsyncApiInfo, toAsyncApi } from "./asyncapi";
import { eventGraph } from "./broker";
import type { EventGraphModel, GraphReport } from "./graph";
import { toMermaid } from "./mermaid";

const TYPE = "switchyard:index:EventGraph";

export interface EventGraphArgs {
  /** The graph to check and export. @default - the stack's graph */
  readonly graph?: EventGraphModel;
  /** Title, version and description of the AsyncAPI document. */
  readonly info?: AsyncApiInfo;
  /**
   * Write the exports to these paths at construction (in `preview` too, so a
   * pull request can show the event flow): AsyncAPI as JSON, Mermaid as text.
   * @default - no files
   */
  readonly files?: { readonly asyncapi?: string; readonly mermaid?: string };
}

/**
 * Checks the whole event graph of the stack and exports it. Create it after
 * every broker, topic and service (usually last): definite mistakes (a
 * subscription nobody publishes to, a dead-letter topic nobody reads, ...)
 * fail the preview with every error listed; suspicious but legal things are
 * logged as warnings. Exposes the AsyncAPI 3.0 document and a Mermaid
 * flowchart as outputs, ready to `export` as stack outputs.
 */
export class EventGraph extends pulumi.ComponentResource {
  declare readonly [BRAND]: string;
  /** The AsyncAPI 3.0 document as an object. */
  readonly document: Record<string, unknown>;
  /** AsyncAPI 3.0 as JSON text. */
  readonly asyncapi: pulumi.Output<string>;
  /** Mermaid flowchart text. */
  readonly mermaid: pulumi.Output<string>;
  readonly report: GraphReport;

  static override isInstance(obj: unknown): obj is EventGraph {
    return hasBrand(obj, TYPE);
  }

  constructor(name: string, args: EventGraphArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const graph = args.graph ?? eventGraph();
    const report = graph.check();
    throwIfInvalid(TYPE, name, report.errors.map((e) => ({ property: e.path, message: e.message })));
    super(TYPE, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: TYPE, enumerable: false });
    for (const w of report.warnings) pulumi.log.warn(w, this);
    graph.seal(name);
    this.report = report;
    this.document = toAsyncApi(graph, args.info);
    const json = JSON.stringify(this.document, null, 2) + "\n";
    const diagram = toMermaid(graph);
    this.asyncapi = pulumi.output(json);
    this.mermaid = pulumi.output(diagram);
    const write = (path: string | undefined, text: string) => {
      if (!path) return;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    write(args.files?.asyncapi, json);
    write(args.files?.mermaid, diagram);
    this.registerOutputs({ asyncapi: this.asyncapi, mermaid: this.mermaid });
  }
}
