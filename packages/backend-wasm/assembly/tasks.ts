/*
 * Dynamic scheduling for thread jobs: the threads of a job claim task indices from a counter in
 * the args block (zeroed by the host) until the tasks run out. A thread that is descheduled (the
 * machine busy with other work) then delays only the task it holds, not a fixed share.
 */

/** Claim the next task index from the counter at `counter`. */
@inline
export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) return i32.atomic.rmw.add(counter, 1);
  const v = load<i32>(counter);
  store<i32>(counter, v + 1);
  return v;
}

/**
 * The first item of chunk `k` when `items` are cut into `chunks` contiguous runs. Jobs that
 * accumulate partial sums claim whole chunks, each summed into its own buffer in item order: which
 * thread runs a chunk then changes nothing, so the float32 sums are the same on every run.
 */
@inline
export function chunkStart(items: i32, k: i32, chunks: i32): i32 {
  return <i32>((<i64>items * <i64>k) / <i64>chunks);
}
