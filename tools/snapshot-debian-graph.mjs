#!/usr/bin/env node
// Snapshot Debian's package dependency graph (the apt lists of this machine: bookworm main amd64,
// plus bookworm-updates and bookworm-security) into a compact gzipped JSON file that
// `loadDebianPackageGraph` in @myelin/data/node decodes.
//
//   node tools/snapshot-debian-graph.mjs [--input dumpavail.txt] [--out packages/data/assets/debian-bookworm-packages.graph.json.gz]
//
// Without --input it runs `apt-cache dumpavail`. What it keeps:
// - nodes: every binary package, sorted by name (one stanza per name: apt-cache dumpavail lists
//   the candidate version only);
// - edges: Depends and Pre-Depends, from the depending package to the package it needs. For an
//   alternative `a | b` the first name that is a real package of the set is taken; version
//   constraints and architecture qualifiers (`:any`, `:native`) are dropped, and so are names only
//   some package Provides (virtual names) and self-dependencies. Duplicate edges are merged;
//   edges are sorted (src, dst);
// - labels: the Section, without its `contrib/` / `non-free/` / `non-free-firmware/` prefix;
//   sections with fewer than MIN_SECTION packages are merged into `other`;
// - features: a bag of words of the description. Only the short description (the `Description:`
//   line) is in this machine's apt lists: the long descriptions live in the Translation-en
//   indexes, which are not fetched here (Description-md5 stands in their place). Words are
//   lower-cased runs of [a-z0-9+]; stop words and pure numbers are dropped; the vocabulary is the
//   VOCAB most frequent words by document frequency (ties by word) with document frequency
//   ≥ MIN_DF. Each node stores the sorted, distinct ids of its words.
//
// File layout (JSON, gzip level 9): { format: 'myelin-debian-graph/1', release, generated,
// numNodes, names[], sections[], section[] (per node), vocabulary[], edgeOffsets[] (CSR by src,
// numNodes+1), edgeTargets[], wordOffsets[] (numNodes+1), wordIds[] }.
// It prints the byte size and the SHA-256, which go into DEBIAN_GRAPH_SHA256 in
// packages/data/src/node/debian-graph.ts.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

const MIN_SECTION = 50;
const VOCAB = 1000;
const MIN_DF = 5;
const STOP = new Set(
  (
    'a an and are as at be by for from in into is it its of on or that the this to with without ' +
    'which who will can may your you their them these those other others such not no all any ' +
    'some more most than then also only using use used based based via between over under up ' +
    'out do does has have was were been being he she they we our us i my me if so but'
  ).split(' '),
);

function parseArgs(argv) {
  const args = { input: undefined, out: 'packages/data/assets/debian-bookworm-packages.graph.json.gz' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input') args.input = argv[++i];
    else if (argv[i] === '--out') args.out = argv[++i];
    else throw new Error(`snapshot-debian-graph: unknown argument ${argv[i]}`);
  }
  return args;
}

/** Stanzas of a Packages file as field maps (continuation lines appended with '\n'). */
function parseStanzas(text) {
  const out = [];
  let cur = new Map();
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = '';
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (last) cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    last = line.slice(0, colon);
    cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur.size) out.push(cur);
  return out;
}

/** `a (>= 1) | b:any, c` → [['a', 'b'], ['c']]. */
function parseDepends(field) {
  if (!field) return [];
  return field
    .replace(/\n/g, ' ')
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alt) =>
          alt
            .trim()
            .replace(/\s*\(.*?\)/g, '')
            .replace(/\s*\[.*?\]/g, '')
            .replace(/\s*<.*?>/g, '')
            .replace(/:[a-z0-9-]+$/, '')
            .trim(),
        )
        .filter(Boolean),
    )
    .filter((g) => g.length > 0);
}

function words(text) {
  return (text.toLowerCase().match(/[a-z0-9+]+/g) ?? []).filter(
    (w) => w.length > 1 && !STOP.has(w) && !/^[0-9]+$/.test(w),
  );
}

const args = parseArgs(process.argv.slice(2));
const text = args.input
  ? readFileSync(args.input, 'utf8')
  : execFileSync('apt-cache', ['dumpavail'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const stanzas = parseStanzas(text);

const byName = new Map();
for (const s of stanzas) {
  const name = s.get('Package');
  if (!name) continue;
  if (!byName.has(name)) byName.set(name, s); // dumpavail: one stanza per name; keep the first if not
}
const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const index = new Map(names.map((n, i) => [n, i]));
const n = names.length;

// Sections, with the small ones merged into 'other'.
const rawSection = names.map((name) =>
  (byName.get(name).get('Section') ?? 'other').replace(/^(contrib|non-free|non-free-firmware)\//, ''),
);
const sectionCount = new Map();
for (const s of rawSection) sectionCount.set(s, (sectionCount.get(s) ?? 0) + 1);
const merged = rawSection.map((s) => (sectionCount.get(s) >= MIN_SECTION ? s : 'other'));
const sections = [...new Set(merged)].sort();
const sectionId = new Map(sections.map((s, i) => [s, i]));
const section = merged.map((s) => sectionId.get(s));

// Edges, CSR by source.
const edgeOffsets = [0];
const edgeTargets = [];
let dropped = 0;
for (const name of names) {
  const s = byName.get(name);
  const self = index.get(name);
  const targets = new Set();
  for (const group of [...parseDepends(s.get('Pre-Depends')), ...parseDepends(s.get('Depends'))]) {
    const hit = group.find((alt) => index.has(alt));
    if (hit === undefined) {
      dropped++;
      continue;
    }
    const t = index.get(hit);
    if (t !== self) targets.add(t);
  }
  edgeTargets.push(...[...targets].sort((a, b) => a - b));
  edgeOffsets.push(edgeTargets.length);
}

// Bag of words of the short descriptions.
const docs = names.map((name) => [...new Set(words(byName.get(name).get('Description') ?? ''))]);
const df = new Map();
for (const d of docs) for (const w of d) df.set(w, (df.get(w) ?? 0) + 1);
const vocabulary = [...df]
  .filter(([, c]) => c >= MIN_DF)
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  .slice(0, VOCAB)
  .map(([w]) => w);
const wordId = new Map(vocabulary.map((w, i) => [w, i]));
const wordOffsets = [0];
const wordIds = [];
for (const d of docs) {
  wordIds.push(
    ...d
      .map((w) => wordId.get(w))
      .filter((i) => i !== undefined)
      .sort((a, b) => a - b),
  );
  wordOffsets.push(wordIds.length);
}

const snapshot = {
  format: 'myelin-debian-graph/1',
  release: 'Debian 12 (bookworm) main amd64, with bookworm-updates and bookworm-security',
  source: 'apt-cache dumpavail',
  numNodes: n,
  names,
  sections,
  section,
  vocabulary,
  edgeOffsets,
  edgeTargets,
  wordOffsets,
  wordIds,
};
const bytes = gzipSync(Buffer.from(JSON.stringify(snapshot)), { level: 9 });
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, bytes);
const sha = createHash('sha256').update(bytes).digest('hex');
console.log(
  `${args.out}: ${n} packages, ${edgeTargets.length} dependency edges (${dropped} dependencies on no package of the set dropped), ` +
    `${sections.length} sections, ${vocabulary.length} words, ${wordIds.length} word occurrences`,
);
console.log(`bytes ${bytes.length}`);
console.log(`sha256 ${sha}`);
