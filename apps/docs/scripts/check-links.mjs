// Walks the built site (site/.vitepress/dist) and fails on any internal link, image or asset that
// does not resolve: a page or file that is not there, or a `#fragment` that names no element of the
// target page. External links (a scheme or `//`) are not fetched. It also fails on the links of the
// source markdown that pointed nowhere (recorded by scripts/generate.mjs, which turns them into
// text so the site still builds).
// Usage: `node scripts/check-links.mjs [dist] [problems.json]` (the defaults are the site's; the
// arguments are for check-links.test.mjs).
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.argv[2] ?? join(app, 'site', '.vitepress', 'dist'));
const problemsFile = resolve(process.argv[3] ?? join(app, 'site', 'generated', 'source-link-problems.json'));

if (!existsSync(dist)) {
  console.error(
    `check-links: ${relative(process.cwd(), dist)} does not exist; build the site first (pnpm build)`,
  );
  process.exit(1);
}

async function walk(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}

const files = await walk(dist);
const htmlFiles = files.filter((f) => f.endsWith('.html'));

/** Element ids of each HTML page, read once. */
const idCache = new Map();
async function idsOf(file) {
  if (!idCache.has(file)) {
    const html = await readFile(file, 'utf8');
    idCache.set(file, new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decodeEntities(m[1]))));
  }
  return idCache.get(file);
}

function decodeEntities(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

/** The file a site path names, the way a static server with VitePress's URLs resolves it. */
function resolveFile(path) {
  const candidates = path.endsWith('/')
    ? [join(path, 'index.html')]
    : [path, `${path}.html`, join(path, 'index.html')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const failures = [];
let checked = 0;
for (const page of htmlFiles) {
  const html = await readFile(page, 'utf8');
  // href and src attributes of elements (links, images, scripts, stylesheets, preloads).
  for (const m of html.matchAll(/<[a-zA-Z][^>]*?\s(href|src)="([^"]*)"/g)) {
    const raw = decodeEntities(m[2]);
    if (raw === '' || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) continue;
    checked++;
    const [pathAndQuery, fragment] = raw.split(/#(.*)/s);
    const path = decodeURIComponent(pathAndQuery.split('?')[0]);
    const target =
      path === ''
        ? page
        : resolveFile(path.startsWith('/') ? join(dist, path) : resolve(dirname(page), path));
    const where = relative(dist, page);
    if (!target) {
      failures.push(`${where}: ${m[1]}="${raw}" does not resolve`);
      continue;
    }
    if (fragment && target.endsWith('.html') && !(await idsOf(target)).has(decodeURIComponent(fragment))) {
      failures.push(
        `${where}: ${m[1]}="${raw}": no element with id "${decodeURIComponent(fragment)}" in ${relative(dist, target)}`,
      );
    }
  }
}

const sourceProblems = existsSync(problemsFile) ? JSON.parse(await readFile(problemsFile, 'utf8')) : [];
for (const p of sourceProblems)
  failures.push(`source ${p.file}: link "${p.link}" points to nothing in the repository`);

if (failures.length) {
  console.error(failures.join('\n'));
  console.error(
    `check-links: ${failures.length} broken of ${checked} internal links in ${htmlFiles.length} pages`,
  );
  process.exit(1);
}
console.log(`check-links: ${checked} internal links and images in ${htmlFiles.length} pages all resolve`);
