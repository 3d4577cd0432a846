// The markdown helpers of generate.mjs on small hand-written inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cell, escapeVue, figureBlocks, relLink, rewriteLinks, splitFences } from './markdown.mjs';

test('splitFences keeps fenced blocks whole, with their fences, and tells them apart', () => {
  const md = 'a\n```ts\nconst x = [1](y);\n```\nb\n~~~~\n```\n~~~~';
  assert.deepEqual(splitFences(md), [
    { code: false, text: 'a' },
    { code: true, text: '```ts\nconst x = [1](y);\n```' },
    { code: false, text: 'b' },
    { code: true, text: '~~~~\n```\n~~~~' },
  ]);
  assert.deepEqual(splitFences(''), [{ code: false, text: '' }]);
});

test('escapeVue escapes tags and interpolation but not autolinks or comparisons', () => {
  assert.equal(escapeVue('Observable<ZooEvent> and </b>'), 'Observable&lt;ZooEvent> and &lt;/b>');
  assert.equal(escapeVue('{{ x }}'), '&#123;&#123; x }}');
  assert.equal(
    escapeVue('see <https://example.org> and a < b, 1 <2'),
    'see <https://example.org> and a < b, 1 <2',
  );
});

test('relLink is relative from the page folder and always starts with a dot', () => {
  assert.equal(
    relLink('generated/zoo/zoo-cnn.md', 'generated/packages/zoo-cnn.md'),
    '../packages/zoo-cnn.md',
  );
  assert.equal(relLink('generated/overview.md', 'generated/docs/kernels.md'), './docs/kernels.md');
  assert.equal(relLink('index.md', 'generated/overview.md'), './generated/overview.md');
});

test('rewriteLinks rewrites links and images outside code, keeps titles, drops links to text', async () => {
  const seen = [];
  const rewrite = async (target, isImage) => {
    seen.push([target, isImage]);
    if (target === 'src/x.ts') return { text: true };
    return { href: `NEW/${target}` };
  };
  const md = [
    'See [the guide](../docs/a.md#part) and ![a plot](docs/p.png "title").',
    'Code `[not](a-link)` and <T>, source [x.ts](src/x.ts), [a\nwrapped link](b.md).',
    '```',
    '[in](code) <T>',
    '```',
  ].join('\n');
  const out = await rewriteLinks(md, rewrite);
  assert.equal(
    out,
    [
      'See [the guide](NEW/../docs/a.md#part) and ![a plot](NEW/docs/p.png "title").',
      'Code `[not](a-link)` and &lt;T>, source x.ts, [a\nwrapped link](NEW/b.md).',
      '```',
      '[in](code) <T>',
      '```',
    ].join('\n'),
  );
  assert.deepEqual(seen, [
    ['../docs/a.md#part', false],
    ['docs/p.png', true],
    ['src/x.ts', false],
    ['b.md', false],
  ]);
});

test('cell makes one table cell of any text', () => {
  assert.equal(cell('a | b\n  c <d>'), 'a \\| b c &lt;d>');
  assert.equal(cell(3), '3');
});

test('figureBlocks keeps figure tables and pictures, skips other tables and code', () => {
  const readme = [
    '| recipe | what | command |',
    '| --- | --- | --- |',
    '| `a` | b | `myelin train a` |',
    '',
    '| layer | params |',
    '| :-- | --: |',
    '| Linear | 2 |',
    '',
    'Text ![one](docs/1.png) and ![two](docs/2.svg)',
    '```md',
    '| figure | in code |',
    '| --- | --- |',
    '![no](x.png)',
    '```',
  ].join('\n');
  assert.deepEqual(figureBlocks(readme), [
    {
      kind: 'table',
      text: '| recipe | what | command |\n| --- | --- | --- |\n| `a` | b | `myelin train a` |',
    },
    { kind: 'images', text: '![one](docs/1.png)\n\n![two](docs/2.svg)' },
  ]);
  assert.deepEqual(figureBlocks('# Nothing here\n\nno tables.'), []);
});
