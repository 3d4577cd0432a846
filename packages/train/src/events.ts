/** Everything `fit()` says while it trains, as one discriminated union. */
export type TrainEvent =
  | { type: 'fitStart'; epochs: number; batchesPerEpoch: number | null }
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
