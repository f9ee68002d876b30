/** The learning-rate schedule of training runs and the rate at a given update. */
/** Linear warm-up then linear decay to 0 (fairseq `polynomial_decay`, power 1, end 0). */
export interface LearningRateSchedule {
  /** Learning rate reached at the end of warm-up. */
  readonly peak: number;
  /** Updates of warm-up (0: start at the peak). */
  readonly warmupSteps: number;
  /** Update at which the rate reaches 0 (and stays). */
  readonly totalSteps: number;
}

/**
 * The learning rate of update `step` (1-based): `peak · step / warmupSteps` during warm-up,
 * then `peak · (totalSteps − step) / (totalSteps − warmupSteps)`, never below 0.
 */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { peak, warmupSteps, totalSteps } = schedule;
  if (step <= warmupSteps) return (peak * step) / warmupSteps;
  if (totalSteps <= warmupSteps) return 0;
  return Math.max(0, (peak * (totalSteps - step)) / (totalSteps - warmupSteps));
}
