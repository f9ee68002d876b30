/**
 * SIGINT (Ctrl-C) and SIGTERM for the commands that write files: the first signal aborts
 * `signal`, the command stops between two units of work, removes its temporaries, says what
 * it finished and exits {@link INTERRUPTED}. A second signal finds the default action again and
 * ends the process at once (its temporaries are then removed by the next run to the same place).
 */

/** The exit status of an interrupted command (128 + SIGINT, as shells report it). */
export const INTERRUPTED = 130;

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Whether a signal arrived. */
  readonly interrupted: boolean;
  /** Stops listening (call when the command ends). */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM until `dispose()`. */
export function listenForInterrupt(): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    dispose();
    controller.abort(new Error(`interrupted by ${name}`));
  };
  const dispose = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get interrupted() { return controller.signal.aborted; },
    dispose,
  };
}
