/** How fit treats gradients, as recorded on its fitStart event. */
export interface GradientSettings {
  /** Batches per optimizer step. */
  accumulateGradients: number;
  clipGradNorm: { maxNorm: number; normType: number } | null;
  clipGradValue: number | null;
}

/** Everything `fit()` says while it trains, as one discriminated union. */
export type TrainEvent =
  | {
      type: 'fitStart';
      epochs: number;
      batchesPerEpoch: number | null;
      /** How fit treats gradients (accumulation, clipping); absent from sources other than fit. */
      gradients?: GradientSettings;
    }
  | { type: 'epochStart'; epoch: number }
  | {
      type: 'batchEnd';
      epoch: number;
      /** 0-based index of the batch within the epoch. */
      batch: number;
      batchesPerEpoch: number | null;
      /** This batch's loss. */
      loss: number;
      /** Running values over the epoch so far. */
      metrics: Record<string, number>;
      /** Samples in this batch. */
      samples: number;
      /** Running throughput over the epoch so far. */
      samplesPerSec: number;
      /** (fit) Did the optimizer step after this batch (the end of an accumulation group)? */
      optimizerStep?: boolean;
      /** (fit) Batches summed into the current group's gradients, this one included. */
      accumulated?: number;
      /** (fit, with clipGradNorm, on steps) The total gradient norm before clipping. */
      gradNorm?: number;
    }
  | {
      type: 'epochEnd';
      epoch: number;
      /** Mean training loss over the epoch, weighted by batch size. */
      loss: number;
      metrics: Record<string, number>;
      samples: number;
      samplesPerSec: number;
      durationMs: number;
    }
  | { type: 'validation'; epoch: number; loss: number; metrics: Record<string, number>; samples: number }
  | { type: 'stopped'; epoch: number; reason: string }
  | { type: 'fitEnd'; epochs: number; durationMs: number }
  | { type: 'error'; error: Error };

export type TrainEventType = TrainEvent['type'];
export type EventOf<T extends TrainEventType> = Extract<TrainEvent, { type: T }>;
