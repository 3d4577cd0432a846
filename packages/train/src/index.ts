/**
 * @myelin/train: `fit()` returns an rxjs Observable of typed `TrainEvent`s; callbacks are
 * operators on it; metrics are streaming objects.
 *
 * ```ts
 * const history = new History();
 * await lastValueFrom(
 *   fit(model, { optimizer, loss, data: train, validationData: test, epochs: 5, metrics: [accuracy()] })
 *     .pipe(history.track(), earlyStopping({ patience: 2 }), progressBar()),
 * );
 * ```
 */
export * from './callbacks.js';
export * from './checkpoint.js';
export * from './events.js';
export * from './fit.js';
export * from './metrics.js';
export * from './progress.js';
export * from './zoo.js';

import { lastValueFrom, type Observable } from 'rxjs';
import type { TrainEvent } from './events.js';

/** Subscribe and wait for training to end; resolves with the last event (fitEnd or stopped). */
export function run(events: Observable<TrainEvent>): Promise<TrainEvent> {
  return lastValueFrom(events);
}
export * from './collect.js';
export * from './tensor-batches.js';
