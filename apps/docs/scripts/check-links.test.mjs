// The link checker on small hand-made sites: it must pass a site whose links all resolve and name
// every kind of broken link in one that has them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const checker = join(dirname(fileURLToPath(import.meta.url)), 'check-links.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'check-links-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function site(name, files, problems = []) {
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'dist', path)), { recursive: true });
    writeFileSync(join(dir, 'dist', path), text);
  }
  writeFileSync(join(dir, 'problems.json'), JSON.stringify(problems));
  const r = spawnSync(process.execPath, [checker, join(dir, 'dist'), join(dir, 'problems.json')], {
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

const good = {
  'index.html':
    '<a href="/guide/a.html#intro">a</a><a href="guide/">g</a><a href="#top">top</a><p id="top"></p>' +
    '<img src="/assets/x.png"><a href="https://example.org/missing">ext</a><a href="mailto:a@b.c">m</a>',
  'guide/index.html': '<a href="../index.html">home</a><a href="./a">clean URL</a><a href="a.html?x=1">q</a>',
  'guide/a.html': '<h2 id="intro">Intro</h2><img src="../assets/x.png">',
  'assets/x.png': 'png',
};

test('a site whose internal links, images and anchors all resolve passes', () => {
  const r = site('good', good);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /8 internal links and images in 3 pages all resolve/);
});

test('missing pages, images and anchors, and broken source links, each fail by name', () => {
  const r = site(
    'bad',
    {
      ...good,
      'guide/b.html':
        '<a href="/nowhere.html">x</a><img src="../assets/y.svg"><a href="a.html#outro">y</a><a href="#self">z</a>',
    },
    [{ file: 'packages/p/README.md', link: 'docs/gone.png' }],
  );
  assert.equal(r.status, 1);
  assert.match(r.out, /guide\/b\.html: href="\/nowhere\.html" does not resolve/);
  assert.match(r.out, /guide\/b\.html: src="\.\.\/assets\/y\.svg" does not resolve/);
  assert.match(r.out, /guide\/b\.html: href="a\.html#outro": no element with id "outro" in guide\/a\.html/);
  assert.match(r.out, /guide\/b\.html: href="#self": no element with id "self"/);
  assert.match(r.out, /source packages\/p\/README\.md: link "docs\/gone\.png" points to nothing/);
  assert.match(r.out, /check-links: 5 broken of 12 internal links in 4 pages/);
});

test('a site that was not built is an error naming the command', () => {
  const r = spawnSync(process.execPath, [checker, join(tmp, 'none')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does not exist; build the site first/);
});
