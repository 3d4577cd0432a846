import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  DatasetValidationError,
  loadSeries,
  parseAirlinePassengers,
  parseSunspotsCsv,
  SERIES_FILES,
  seriesFetchCommands,
} from '../src/node/index.js';

/**
 * Facts from outside this package: Box & Jenkins' series G (airline passengers, thousands,
 * 1949-01 … 1960-12; first year 112 118 132 129 121 135 148 148 136 119 104 118, total 40,363,
 * as `sum(statsmodels…results_sarimax.air2_data)` gives) and statsmodels' sunspots
 * (`sm.datasets.sunspots.load_pandas().data`: 309 years 1700–2008, 1700 → 5, 2008 → 2.9,
 * `SUNACTIVITY.sum()` = 15,373.4 and the maximum 190.2 in 1957).
 */
const AIRLINE_FIRST_YEAR = [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118];
const AIRLINE_SUM = 40363;
const SUNSPOTS = { count: 309, first: 5, last: 2.9, sum: 15373.4, max: 190.2, maxYear: 1957 };

const scratch = mkdtempSync(join(tmpdir(), 'myelin-series-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('loadSeries: statsmodels series from Debian python3-statsmodels 0.13.5', () => {
  it('airline: the 144 monthly passenger counts 1949-01 … 1960-12, period 12', async () => {
    const s = await loadSeries('airline');
    expect(s).toMatchObject({ name: 'airline', period: 12, start: '1949-01' });
    expect(s.values.length).toBe(144);
    expect([...s.values.slice(0, 12)]).toEqual(AIRLINE_FIRST_YEAR);
    expect(s.values[143]).toBe(432);
    expect(s.values.reduce((a, b) => a + b, 0)).toBe(AIRLINE_SUM);
  }, 120_000);

  it('sunspots: 309 yearly values 1700 … 2008, period 1', async () => {
    const s = await loadSeries('sunspots');
    expect(s).toMatchObject({ name: 'sunspots', period: 1, start: '1700' });
    expect(s.values.length).toBe(SUNSPOTS.count);
    expect(s.values[0]).toBe(SUNSPOTS.first);
    expect(s.values[308]).toBe(SUNSPOTS.last);
    expect(s.values.reduce((a, b) => a + b, 0)).toBeCloseTo(SUNSPOTS.sum, 6);
    const max = Math.max(...s.values);
    expect(max).toBe(SUNSPOTS.max);
    expect(1700 + s.values.indexOf(max)).toBe(SUNSPOTS.maxYear);
  }, 120_000);

  it('an unknown name is refused with the names it knows', async () => {
    await expect(loadSeries('lynx' as 'airline')).rejects.toThrow(
      'loadSeries: no series "lynx"; expected one of sunspots, airline',
    );
  });

  it('with download off and an empty cache, the error names the apt-get and dpkg-deb commands', async () => {
    const empty = join(scratch, 'empty');
    // Where statsmodels 0.13.5 is installed the file is found there; otherwise the error speaks.
    const result: unknown = await loadSeries('sunspots', { cacheDir: empty, download: false }).then(
      (s) => s,
      (e: unknown) => e,
    );
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(DatasetNotFoundError);
      expect(result.message).toContain('apt-get download python3-statsmodels');
      expect(result.message).toContain('dpkg-deb -x');
      expect((result as DatasetNotFoundError).installCommand).toBe(seriesFetchCommands(empty));
    } else expect(result).toMatchObject({ name: 'sunspots' });
  });

  it('a cached file that is not the pinned one is refused with both hashes', async () => {
    const dir = join(scratch, 'tampered');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, SERIES_FILES.sunspots.cached), '"YEAR","SUNACTIVITY"\n1700,5\n');
    const result: unknown = await loadSeries('sunspots', { cacheDir: dir, download: false }).then(
      (s) => s,
      (e: unknown) => e,
    );
    // An installed pinned copy wins over the cache; otherwise the tampered copy must fail.
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(DatasetValidationError);
      expect(result.message).toContain(`expected ${SERIES_FILES.sunspots.sha256}`);
    } else expect((result as { values: Float64Array }).values.length).toBe(SUNSPOTS.count);
  });
});

describe('the parsers', () => {
  it('parseSunspotsCsv reads the header and consecutive years; a gap names the row', () => {
    expect(parseSunspotsCsv('"YEAR","SUNACTIVITY"\n1700,5\n1701,11\n')).toEqual({
      startYear: 1700,
      values: Float64Array.from([5, 11]),
    });
    expect(() => parseSunspotsCsv('"YEAR","SUNACTIVITY"\n1700,5\n1702,11\n')).toThrow(
      'parseSunspotsCsv: sunspots.csv row 2: expected the year 1701, got 1702',
    );
    expect(() => parseSunspotsCsv('year;value\n1700;5\n')).toThrow(
      'expected the header "YEAR","SUNACTIVITY"',
    );
    expect(() => parseSunspotsCsv('"YEAR","SUNACTIVITY"\n1700,\n')).toThrow("row 1: expected 'year,value'");
  });

  it('parseAirlinePassengers takes the air2_data list and checks 144 values from 112 to 432', () => {
    const list = Array.from({ length: 144 }, (_, i) => (i === 0 ? 112 : i === 143 ? 432 : 200 + i));
    const text = `x = [1, 2]\nair2_data = [\n    ${list.join(', ')}\n]\ny = 3\n`;
    expect([...parseAirlinePassengers(text)]).toEqual(list);
    expect(() => parseAirlinePassengers('air2_data = [112, 118]\n')).toThrow(
      'air2_data has 2 values from 112 to 118, expected the 144 monthly airline passengers',
    );
    expect(() => parseAirlinePassengers('nothing here')).toThrow("has no 'air2_data = [...]' list");
    expect(() => parseAirlinePassengers('air2_data = [112, -1]\n')).toThrow("air2_data[1] is '-1'");
  });
});
