import { describe, expect, it } from "vitest";
import { handwrittenProgram } from "../../bench/programs/handwritten";
import { type Program, registrationLine } from "../../bench/programs/program";
import { appSpec } from "../../bench/programs/spec";
import { switchyardProgram } from "../../bench/programs/switchyard";
import { installMocks, settle } from "../support/mocks";

// `npm run bench` compares switchyard with the same Kubernetes objects written
// by hand (bench/programs/handwritten.ts), and with that program grouped into
// plain components. The comparison only means something while all three
// register the same objects with the same inputs; the bench checks it before
// timing anything, and this checks it on every test run, so a change to a
// switchyard default that is not mirrored in the hand-written program fails
// here rather than at the next benchmark.
async function registered(program: Program): Promise<{ objects: string[]; components: number }> {
  await installMocks(false);
  const spec = appSpec(10, "bench");
  if (program === "switchyard") switchyardProgram(spec);
  else handwrittenProgram(spec, { grouped: program === "grouped" });
  const regs = await settle();
  return {
    objects: regs
      .filter((r) => r.custom !== false)
      .map((r) => registrationLine(r.type, r.inputs))
      .sort(),
    components: regs.filter((r) => r.custom === false).length,
  };
}

describe("the benchmark's programs", () => {
  it("switchyard, hand-written and grouped register the same Kubernetes objects with the same inputs", async () => {
    const sy = await registered("switchyard");
    const hw = await registered("handwritten");
    const gr = await registered("grouped");
    expect(sy.objects.length).toBe(91);
    expect(hw.objects.filter((l) => !sy.objects.includes(l))).toEqual([]);
    expect(sy.objects.filter((l) => !hw.objects.includes(l))).toEqual([]);
    expect(hw.objects).toEqual(sy.objects);
    expect(gr.objects).toEqual(sy.objects);
    // grouped has switchyard's components (one per service, the broker binding, the event graph); hand-written none
    expect([hw.components, gr.components, sy.components]).toEqual([0, 12, 12]);
  });
});
