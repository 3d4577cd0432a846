#!/usr/bin/env node
/**
 * Checks docs/canon-coverage.md against the built packages: every export the table's "Myelin"
 * column names (`nn.Conv3d`, `nn.init.xavierUniform`, `zoo-cnn.VAE`) must exist in that package's
 * dist. A cell is either `—` (a gap) or a comma-separated list of such names, nothing else, so the
 * table cannot claim what is not there. Prints a report; exits 1 on any problem.
 *
 * Run after building the packages: node tools/check-canon-coverage.mjs [path/to/table.md]
 * Output (stdout, last line): JSON { rows, names, missing: [...], malformed: [...] }.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tablePath = process.argv[2] ? resolve(process.argv[2]) : join(root, 'docs', 'canon-coverage.md');
const NAME = /^([a-z][a-z0-9-]*)\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/;

/** Split a markdown table row into its cells (no escaped pipes are used in the table). */
function cells(line) {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

const lines = readFileSync(tablePath, 'utf8').split('\n');
const rows = [];
const malformed = [];
let header = null;
lines.forEach((line, i) => {
  if (!line.trim().startsWith('|')) {
    header = null;
    return;
  }
  const c = cells(line);
  if (c.every((x) => /^:?-{3,}:?$/.test(x))) return; // the separator row
  if (header === null) {
    header = c;
    const want = ['Building block', 'Source', 'Myelin', 'PyTorch 1.13', 'Notes'];
    if (c.join('|') !== want.join('|'))
      malformed.push(`line ${i + 1}: header must be | ${want.join(' | ')} |, got | ${c.join(' | ')} |`);
    return;
  }
  if (c.length !== 5) {
    malformed.push(`line ${i + 1}: expected 5 cells, got ${c.length}`);
    return;
  }
  rows.push({ line: i + 1, block: c[0], myelin: c[2] });
});

const wanted = new Map(); // package -> [{ path, line }]
for (const r of rows) {
  if (r.myelin === '—') continue;
  const parts = r.myelin.split(/,\s*/);
  for (const p of parts) {
    const m = /^`([^`]+)`$/.exec(p);
    const n = m && NAME.exec(m[1]);
    if (!n) {
      malformed.push(
        `line ${r.line} (${r.block}): Myelin cell entry ${JSON.stringify(p)} is not \`package.export\``,
      );
      continue;
    }
    const list = wanted.get(n[1]) ?? [];
    list.push({ path: n[2], line: r.line, name: m[1] });
    wanted.set(n[1], list);
  }
}

const missing = [];
let names = 0;
for (const [pkg, list] of wanted) {
  const dist = join(root, 'packages', pkg, 'dist', 'index.js');
  if (!existsSync(dist)) {
    for (const w of list)
      missing.push(`line ${w.line}: ${w.name} (packages/${pkg}/dist/index.js is not built)`);
    continue;
  }
  const mod = await import(pathToFileURL(dist).href);
  for (const w of list) {
    names++;
    let v = mod;
    for (const key of w.path.split('.')) v = v == null ? undefined : v[key];
    if (v === undefined) missing.push(`line ${w.line}: ${w.name} is not exported by @myelin/${pkg}`);
  }
}

for (const m of malformed) console.error(`malformed: ${m}`);
for (const m of missing) console.error(`missing: ${m}`);
console.log(JSON.stringify({ rows: rows.length, names, missing, malformed }));
process.exit(missing.length || malformed.length ? 1 : 0);
