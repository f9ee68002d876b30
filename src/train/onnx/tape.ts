/** Reverse-mode differentiation tape: records hand-derived backward rules and replays them into the same graph. */
import type { GraphBuilder } from './graph.js';

/**
 * Records, for each differentiable forward step emitted into a {@link GraphBuilder}, the
 * hand-derived rule that emits its backward nodes. Replaying the rules in reverse order after
 * seeding the loss gradient writes the whole backward pass into the same graph.
 *
 * Only tensors that depend on a tracked tensor (a parameter) get gradients; a rule whose
 * output received no gradient emits nothing.
 */
export class Tape {
  private readonly rules: Array<() => void> = [];
  private readonly grads = new Map<string, string>();
  private readonly tracked = new Set<string>();

  constructor(readonly g: GraphBuilder) {}

  /** Marks `name` (a parameter) as needing a gradient. */
  track(name: string): string {
    this.tracked.add(name);
    return name;
  }

  needs(name: string): boolean {
    return this.tracked.has(name);
  }

  /** Records `rule` if any input is tracked; the outputs then become tracked too. */
  record(inputs: readonly string[], outputs: readonly string[], rule: () => void): void {
    if (!inputs.some((i) => this.tracked.has(i))) return;
    for (const o of outputs) this.tracked.add(o);
    this.rules.push(rule);
  }

  /** The gradient accumulated so far for `name`. */
  grad(name: string): string | undefined {
    return this.grads.get(name);
  }

  /** Adds `grad` to the gradient of `name` (summing when it is used more than once). */
  accumulate(name: string, grad: string): void {
    if (!this.tracked.has(name)) return;
    const prev = this.grads.get(name);
    this.grads.set(name, prev === undefined ? grad : this.g.add(prev, grad));
  }

  /** Sets the gradient of `name` to `grad`, which already includes the previous value. */
  replace(name: string, grad: string): void {
    if (this.tracked.has(name)) this.grads.set(name, grad);
  }

  /** Seeds `grad` as the gradient of `output` and emits every recorded rule, last first. */
  backward(output: string, grad: string): void {
    this.accumulate(output, grad);
    for (let i = this.rules.length - 1; i >= 0; i--) this.rules[i]!();
  }
}
