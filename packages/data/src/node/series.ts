/**
 * Real time series from Debian's `python3-statsmodels` (fetched with `apt-get download` +
 * `dpkg-deb -x` into the cache, SHA-256 checked): monthly airline passengers 1949–1960 and yearly
 * sunspot numbers 1700–2008.
 */

/** A univariate series with its calendar. */
export interface LoadedSeries {
  name: 'airline' | 'sunspots';
  values: Float64Array;
  /** Observations per seasonal cycle: 12 for monthly data, 1 when there is none. */
  period: number;
  /** Label of the first observation, e.g. '1949-01' or '1700'. */
  start: string;
}

/** Load a statsmodels series by name (implementation in progress this session). */
export async function loadSeries(name: 'airline' | 'sunspots'): Promise<LoadedSeries> {
  throw new Error(`loadSeries(${JSON.stringify(name)}): not written yet`);
}
