// Generates the site's pages under site/generated/ from the repository: the root README, the docs
// in docs/ and docs/guides/, one page per package README, one page per zoo built from its
// `recipes` export (and its README's figures), and the API reference (TypeDoc, markdown).
// Packages, docs, zoos and recipes are discovered, never listed here; the API reference covers
// the public entry points of the packages named in API_PACKAGES.
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cell, escapeVue, figureBlocks, relLink, rewriteLinks } from './markdown.mjs';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(app, '../..');
const site = join(app, 'site');
const out = join(site, 'generated');
const publicFiles = join(site, 'public', 'files');

const started = Date.now();
/** Links in the sources that point nowhere: `{ file, link }`, written for check-links.mjs. */
const brokenSourceLinks = [];

const toPosix = (p) => p.split(sep).join('/');
const repoPath = (abs) => toPosix(relative(root, abs));

// ---------------------------------------------------------------------------------------------
// What becomes a page: source file (absolute) -> page path relative to site/ (posix, `.md`).

const pages = new Map();

async function listDir(dir) {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

async function readJson(file) {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** The workspace's package folders (pnpm-workspace.yaml's `packages:` globs, `dir` or `dir/*`). */
async function workspaceGlobs() {
  const yaml = await readFile(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:[ \t]+-.*\n?)*)/m.exec(yaml)?.[1] ?? '';
  return [...block.matchAll(/-\s*['"]?([^'"\s#]+)['"]?/g)].map((m) => m[1]);
}

/** Every workspace package with a package.json, but this one; `group` is its top folder. */
async function findPackages() {
  const found = [];
  for (const glob of await workspaceGlobs()) {
    const dirs = glob.endsWith('/*')
      ? (await listDir(join(root, glob.slice(0, -2))))
          .filter((e) => e.isDirectory())
          .map((e) => join(root, glob.slice(0, -2), e.name))
      : [join(root, glob)];
    for (const dir of dirs) {
      if (dir === app || !existsSync(join(dir, 'package.json'))) continue;
      const pkg = await readJson(join(dir, 'package.json'));
      const group = repoPath(dir).split('/')[0];
      found.push({ dir, slug: basename(dir), group, pkg, readme: join(dir, 'README.md') });
    }
  }
  return found;
}

async function findDocs(dir, section) {
  const docs = [];
  for (const entry of await listDir(dir)) {
    if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
    docs.push({ file: join(dir, entry.name), page: `generated/${section}/${entry.name}` });
  }
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Markdown rewriting: relative links and images (escaping for Vue is in markdown.mjs).

const IMAGE_EXT = new Set(['.png', '.svg', '.jpg', '.jpeg', '.gif', '.webp']);

/** Copies a picture into site/generated/assets/<its repository path> and returns that site path. */
const copied = new Set();
async function copyAsset(abs) {
  const target = `generated/assets/${repoPath(abs)}`;
  if (!copied.has(target)) {
    copied.add(target);
    await mkdir(dirname(join(site, target)), { recursive: true });
    await copyFile(abs, join(site, target));
  }
  return target;
}

/** Copies a file into site/public/files/<its repository path> and returns its absolute URL. */
async function copyPublic(abs) {
  const target = join(publicFiles, repoPath(abs));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(abs, target);
  return `/files/${repoPath(abs)}`;
}

/**
 * Rewrites one link target found in `srcFile` for the page `page`: a source that is a page links to
 * that page, a picture is copied into the site, any other file of the repository (source code, a
 * folder) has no page, so the link becomes its text; a target that does not exist is recorded.
 */
async function rewriteTarget(target, srcFile, page, isImage) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//') || target.startsWith('#'))
    return { href: target };
  const [path, hash] = target.split(/(?=#)/);
  const abs = resolve(dirname(srcFile), decodeURIComponent(path));
  if (pages.has(abs)) return { href: relLink(page, pages.get(abs)) + (hash ?? '') };
  if (!existsSync(abs)) {
    brokenSourceLinks.push({ file: repoPath(srcFile), link: target });
    return { text: true };
  }
  if (statSync(abs).isFile() && isImage) return { href: relLink(page, await copyAsset(abs)) };
  // A link (not an embed) to a picture: VitePress bundles only embedded ones, so it is served as a
  // public file.
  if (statSync(abs).isFile() && IMAGE_EXT.has(extname(abs).toLowerCase()))
    return { href: await copyPublic(abs) };
  return { text: true };
}

/** Rewrites links/images of `markdown` (from `srcFile`) for the page `page`. */
function convert(markdown, srcFile, page) {
  return rewriteLinks(markdown, (target, isImage) => rewriteTarget(target, srcFile, page, isImage));
}

async function writePage(page, content) {
  const file = join(site, page);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content.endsWith('\n') ? content : `${content}\n`);
}

// ---------------------------------------------------------------------------------------------
// Zoo pages: the recipes export, then the README's figures tables and pictures.

async function importZoo(zoo) {
  const entry = zoo.pkg.exports?.['.']?.import?.default ?? zoo.pkg.module ?? zoo.pkg.main;
  if (typeof entry !== 'string') return { missing: 'its package.json names no ES module entry' };
  const file = join(zoo.dir, entry);
  if (!existsSync(file)) return { missing: `\`${repoPath(file)}\` is not built yet` };
  const mod = await import(pathToFileURL(file).href);
  const recipes = mod.recipes && typeof mod.recipes === 'object' ? Object.values(mod.recipes) : [];
  // A zoo being written may export half-made entries; list what has a name, options or not.
  return {
    recipes: recipes
      .filter((r) => r && typeof r.name === 'string')
      .map((r) => ({ ...r, options: r.options ?? [] })),
  };
}

function optionDefault(o) {
  return typeof o.default === 'string'
    ? `\`${o.default === '' ? '""' : o.default}\``
    : `\`${String(o.default)}\``;
}

async function zooPage(zoo, optionExpects, flagName) {
  const page = `generated/zoo/${zoo.slug}.md`;
  const loaded = await importZoo(zoo);
  const recipes = loaded.recipes ?? [];
  const lines = [`# ${zoo.pkg.name}`, ''];
  if (zoo.pkg.description) lines.push(escapeVue(zoo.pkg.description), '');
  lines.push(
    `The package, its builders and its notes: [${zoo.pkg.name}](${relLink(page, `generated/packages/${zoo.slug}.md`)}).`,
    '',
  );
  if (loaded.missing) {
    lines.push(`::: warning Not built\nThe recipes could not be listed: ${loaded.missing}.\n:::`, '');
  } else if (recipes.length === 0) {
    lines.push('This zoo exports no recipes yet.', '');
  } else {
    lines.push('## Recipes', '');
    lines.push(
      `${recipes.length} recipe${recipes.length === 1 ? '' : 's'}, each run with \`node apps/cli/dist/cli.js train <recipe> [--flags] [--backend wasm|cpu] [--out DIR]\` (or \`pnpm myelin train …\`).`,
      '',
    );
    lines.push('| recipe | title | family | options |', '| --- | --- | --- | ---: |');
    for (const r of recipes) {
      lines.push(
        `| [\`${r.name}\`](#${r.name}) | ${cell(r.title)} | ${cell(r.family)} | ${r.options.length} |`,
      );
    }
    lines.push('');
    for (const r of recipes) {
      lines.push(
        `### \`${r.name}\` {#${r.name}}`,
        '',
        `**${cell(r.title)}** (family: ${cell(r.family)})`,
        '',
      );
      lines.push(escapeVue(r.description), '');
      lines.push(
        '```sh',
        `node apps/cli/dist/cli.js train ${r.name} --backend wasm --out runs/${r.name}`,
        '```',
        '',
      );
      if (r.options.length === 0) {
        lines.push('No options.', '');
        continue;
      }
      lines.push(
        '| option | flag | type | default | accepts | help |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const o of r.options) {
        lines.push(
          `| \`${o.name}\` | \`--${flagName(o.name)}\` | ${o.type} | ${optionDefault(o)} | ${cell(optionExpects(o))} | ${cell(o.help)} |`,
        );
      }
      lines.push('');
    }
  }
  if (existsSync(zoo.readme)) {
    const blocks = figureBlocks(await readFile(zoo.readme, 'utf8'));
    if (blocks.length) {
      lines.push('## Figures', '');
      lines.push(
        `The figures tables and pictures of the [README](${relLink(page, `generated/packages/${zoo.slug}.md`)}), where the text around them explains each.`,
        '',
      );
      for (const b of blocks) lines.push(await convert(b.text, zoo.readme, page), '');
    }
  }
  await writePage(page, lines.join('\n'));
  return { page, name: zoo.pkg.name, slug: zoo.slug, recipes, missing: loaded.missing };
}

// ---------------------------------------------------------------------------------------------
// API reference: one TypeDoc run over the public entry points of the core packages.

const API_PACKAGES = ['core', 'nn', 'optim', 'data', 'train'];

async function apiReference() {
  const { Application, ReflectionKind } = await import('typedoc');
  const entryPoints = API_PACKAGES.map((p) => join(root, 'packages', p, 'src', 'index.ts'));
  const typedoc = await Application.bootstrapWithPlugins({
    entryPoints,
    tsconfig: join(app, 'tsconfig.typedoc.json'),
    plugin: ['typedoc-plugin-markdown'],
    out: join(out, 'api'),
    name: 'API reference',
    readme: 'none',
    entryFileName: 'index',
    outputFileStrategy: 'modules',
    skipErrorChecking: true,
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    sanitizeComments: true,
    useCodeBlocks: true,
    // Explicit anchors: the plugin's own ids for same-named symbols (`foo-1`) are what it links to.
    useHTMLAnchors: true,
    logLevel: 'Error',
    validation: { notExported: false, invalidLink: false, rewrittenLink: false },
  });
  // Each package sees the others through their built declarations (`@myelin/core` → dist), so to
  // TypeDoc they are external: link them to their own API page here, checked after rendering.
  typedoc.converter.addUnknownSymbolResolver((ref) => {
    const pkg = /^@myelin\/([\w-]+)$/.exec(ref.moduleSource ?? '')?.[1];
    const name = ref.symbolReference?.path?.[0]?.path;
    if (pkg && API_PACKAGES.includes(pkg) && name) return `myelin-api:${pkg}#${name}`;
    return undefined;
  });
  const project = await typedoc.convert();
  if (!project) throw new Error('generate: TypeDoc could not convert the API entry points');
  // Entry points are named by their path (`core/src`); name them by their package instead.
  for (const mod of project.children ?? []) {
    const pkg = /^([\w-]+)\/src(?:\/index)?$/.exec(mod.name);
    if (pkg) mod.name = `@myelin/${pkg[1]}`;
  }
  // Members a class or interface only inherits are documented once, on the parent it links to
  // (every layer repeating Module's members made @myelin/nn's page megabytes long).
  const memberKinds = ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor;
  const removed = new Set(project.getReflectionsByKind(memberKinds).filter((m) => m.inheritedFrom));
  for (const member of removed) project.removeReflection(member);
  // The groups and categories the pages are rendered from were made before; drop them there too.
  const prune = (list) =>
    list
      ?.map((g) => Object.assign(g, { children: g.children.filter((c) => !removed.has(c)) }))
      .filter((g) => g.children.length > 0);
  for (const r of [project, ...project.getReflectionsByKind(ReflectionKind.All)]) {
    if (r.groups) r.groups = prune(r.groups);
    if (r.categories) r.categories = prune(r.categories);
    for (const g of r.groups ?? []) if (g.categories) g.categories = prune(g.categories);
  }
  await typedoc.generateOutputs(project);
  await linkAcrossPackages();
  // The modules, as TypeDoc's index lists them: `- [name](path.md)`.
  const index = await readFile(join(out, 'api', 'index.md'), 'utf8');
  return [...index.matchAll(/^- \[([^\]]+)\]\(([^)]+)\.md\)$/gm)].map((m) => ({
    text: m[1],
    link: `/generated/api/${m[2].replace(/(^|\/)index$/, '$1')}`,
  }));
}

/** Every markdown file under `dir`. */
async function markdownFiles(dir) {
  const files = [];
  for (const entry of await listDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await markdownFiles(path)));
    else if (entry.name.endsWith('.md')) files.push(path);
  }
  return files;
}

/**
 * Replaces the `myelin-api:<pkg>#<Name>` placeholders of the unknown-symbol resolver by links to
 * the package's API page where it has a top-level heading for that name (at the plugin's anchor, or
 * VitePress's id: the name in lower case), and by the plain name elsewhere.
 */
async function linkAcrossPackages() {
  const api = join(out, 'api', '@myelin');
  const targets = new Map();
  for (const pkg of API_PACKAGES) {
    const page = [join(api, `${pkg}.md`), join(api, pkg, 'index.md')].find((f) => existsSync(f));
    if (!page) continue;
    const md = await readFile(page, 'utf8');
    // `<a id="abstract-module"></a>` (the plugin's anchor, when there is one) then `### \`abstract\` Module`.
    const ids = new Map();
    for (const m of md.matchAll(/(?:<a id="([^"]+)"><\/a>\s*)?^### (?:`\w+` )*(\w+)\s*$/gm)) {
      if (!ids.has(m[2])) ids.set(m[2], m[1] ?? m[2].toLowerCase());
    }
    const url = `/generated/api/@myelin/${page.endsWith('index.md') ? `${pkg}/` : pkg}`;
    targets.set(pkg, { ids, url });
  }
  for (const file of await markdownFiles(join(out, 'api'))) {
    const md = await readFile(file, 'utf8');
    if (!md.includes('myelin-api:')) continue;
    const fixed = md.replace(/\[([^\]]*)\]\(myelin-api:([\w-]+)#(\w+)\)/g, (_, text, pkg, name) => {
      const t = targets.get(pkg);
      return t?.ids.has(name) ? `[${text}](${t.url}#${t.ids.get(name)})` : text;
    });
    await writeFile(file, fixed);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await rm(out, { recursive: true, force: true });
  await rm(publicFiles, { recursive: true, force: true });
  await mkdir(out, { recursive: true });

  const packages = await findPackages();
  const guides = await findDocs(join(root, 'docs', 'guides'), 'guides');
  const docs = await findDocs(join(root, 'docs'), 'docs');

  pages.set(join(root, 'README.md'), 'generated/overview.md');
  for (const d of [...guides, ...docs]) pages.set(d.file, d.page);
  for (const p of packages) if (existsSync(p.readme)) pages.set(p.readme, `generated/packages/${p.slug}.md`);
  // A link to a package's folder (or the repository root) means its README.
  for (const p of packages) pages.set(p.dir, `generated/packages/${p.slug}.md`);
  pages.set(root, 'generated/overview.md');

  const title = (md) => /^#\s+(.+)$/m.exec(md)?.[1]?.replace(/`/g, '').trim();
  const sections = { guides: [], docs: [], packages: [], zoo: [] };

  // The root README, guides and docs, copied with their links rewritten.
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  await writePage(
    'generated/overview.md',
    await convert(readme, join(root, 'README.md'), 'generated/overview.md'),
  );
  // The home page includes the README's "two commands" section.
  const commands = /^## .*[Cc]ommands.*\n[\s\S]*?(?=^## )/m.exec(readme);
  await writePage(
    'generated/partials/commands.md',
    commands
      ? await convert(commands[0].trim(), join(root, 'README.md'), 'generated/partials/commands.md')
      : '',
  );
  for (const [key, list] of [
    ['guides', guides],
    ['docs', docs],
  ]) {
    for (const d of list) {
      const md = await readFile(d.file, 'utf8');
      await writePage(d.page, await convert(md, d.file, d.page));
      sections[key].push({
        text: title(md) ?? basename(d.file, '.md'),
        link: `/${d.page.replace(/\.md$/, '')}`,
      });
    }
  }

  // One page per package.
  for (const p of packages) {
    const page = `generated/packages/${p.slug}.md`;
    let md;
    if (existsSync(p.readme)) {
      md = await convert(await readFile(p.readme, 'utf8'), p.readme, page);
    } else {
      md = `# ${p.pkg.name}\n\n${escapeVue(p.pkg.description ?? '')}\n\nThis package has no README yet.\n`;
    }
    await writePage(page, md);
    sections.packages.push({ text: p.pkg.name, link: `/${page.replace(/\.md$/, '')}`, group: p.group });
  }

  // Zoo recipes.
  const { flagName, optionExpects } = await import('@myelin/train');
  const zoos = packages.filter((p) => p.group === 'packages' && p.slug.startsWith('zoo-'));
  const zooResults = [];
  for (const z of zoos) zooResults.push(await zooPage(z, optionExpects, flagName));
  const index = ['# Zoo recipes', ''];
  index.push(
    'Every zoo package exports `recipes`: named, documented training runs that `myelin train <recipe>` runs and the playground shows. This section is generated from those exports; each zoo page lists the declared options and the full-run figures of its README.',
    '',
  );
  index.push('| zoo | recipes |', '| --- | --- |');
  for (const z of zooResults) {
    const names = z.recipes.map((r) => `[\`${r.name}\`](./${z.slug}.md#${r.name})`).join(', ');
    index.push(`| [${z.name}](./${z.slug}.md) | ${z.missing ? 'not built' : names || 'none yet'} |`);
  }
  await writePage('generated/zoo/index.md', index.join('\n'));
  for (const z of zooResults) sections.zoo.push({ text: z.name, link: `/${z.page.replace(/\.md$/, '')}` });

  // API reference.
  const apiStart = Date.now();
  const apiPages = await apiReference();
  const apiSeconds = (Date.now() - apiStart) / 1000;

  const sidebar = {
    guides: [
      {
        text: 'Introduction',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Overview (README)', link: '/generated/overview' },
        ],
      },
      { text: 'Guides', items: sections.guides },
      { text: 'Design and reference', items: sections.docs },
    ],
    packages: [
      { text: 'Packages', items: sections.packages.filter((p) => p.group === 'packages') },
      {
        text: 'Apps, examples and benchmarks',
        items: sections.packages.filter((p) => p.group !== 'packages'),
      },
    ].map(({ text, items }) => ({ text, items: items.map(({ text: t, link }) => ({ text: t, link })) })),
    zoo: [{ text: 'Zoo recipes', items: [{ text: 'All zoos', link: '/generated/zoo/' }, ...sections.zoo] }],
    api: [
      {
        text: 'API reference',
        items: [{ text: 'Entry points', link: '/generated/api/' }, ...apiPages],
      },
    ],
  };
  await writeFile(join(out, 'sidebar.json'), `${JSON.stringify(sidebar, null, 2)}\n`);
  await writeFile(join(out, 'source-link-problems.json'), `${JSON.stringify(brokenSourceLinks, null, 2)}\n`);

  for (const b of brokenSourceLinks) console.warn(`generate: broken link in ${b.file}: ${b.link}`);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `generate: ${guides.length + docs.length + 1} docs, ${packages.length} packages, ${zooResults.length} zoos (${zooResults.reduce((n, z) => n + z.recipes.length, 0)} recipes), ${apiPages.length} API modules (TypeDoc ${apiSeconds.toFixed(1)} s); ${seconds.toFixed(1)} s`,
  );
}

await main();
// Zoo modules may hold worker pools open; the generator is done.
process.exit(0);
