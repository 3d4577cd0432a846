import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitepress';

// The sidebars come from scripts/generate.mjs, which discovers the guides, packages, zoos and API
// modules; run it first (`pnpm build` does).
const sidebarFile = new URL('../generated/sidebar.json', import.meta.url);
if (!existsSync(sidebarFile)) {
  throw new Error(
    'docs config: site/generated/sidebar.json is missing; run `node scripts/generate.mjs` first',
  );
}
const sidebar = JSON.parse(readFileSync(sidebarFile, 'utf8'));

// The home page's hero and features. They live here rather than in index.md's frontmatter, which
// the repository's formatter (Biome, markdown) does not keep as YAML.
const home = {
  layout: 'home',
  hero: {
    name: 'Myelin',
    text: 'Deep learning for TypeScript',
    tagline:
      "Tensors with NumPy broadcasting, autograd with a functional and an imperative face, async-safe memory scopes, and PyTorch's layouts and names, on CPU, WebAssembly and WebGPU backends, in Node.js and the browser.",
    actions: [
      { theme: 'brand', text: 'Getting started', link: '/getting-started' },
      { theme: 'alt', text: 'Zoo recipes', link: '/generated/zoo/' },
      { theme: 'alt', text: 'API reference', link: '/generated/api/' },
    ],
  },
  features: [
    {
      title: 'Core and autograd',
      details:
        'One tape with grad, vjp and higher-order derivatives, and loss.backward(); memory scopes and memory() to keep training loops flat.',
      link: '/generated/packages/core',
    },
    {
      title: 'Backends',
      details:
        'Every kernel in plain TypeScript, in WebAssembly SIMD over worker threads, and in WGSL on WebGPU; write your own with the backend plugin guide.',
      link: '/generated/guides/backends-and-memory',
    },
    {
      title: 'Training',
      details:
        'fit() as an rxjs Observable of typed events; callbacks are operators; checkpoints that survive kill -9.',
      link: '/generated/guides/training',
    },
    {
      title: 'Zoos',
      details:
        'CNNs, RNNs, GANs, reinforcement learning, word2vec, graph networks and the classic networks, each with recipes the CLI and the playground run.',
      link: '/generated/zoo/',
    },
  ],
};

export default defineConfig({
  transformPageData(pageData) {
    if (pageData.relativePath === 'index.md') Object.assign(pageData.frontmatter, home);
  },
  title: 'Myelin',
  description: 'A deep-learning ecosystem for TypeScript',
  lang: 'en',
  // The API pages are large by nature (one page per package); do not warn about their chunks.
  vite: { build: { chunkSizeWarningLimit: 4096 } },
  // Snippets included by other pages, not pages themselves.
  srcExclude: ['generated/partials/**'],
  // Internal dead links fail the build (no `ignoreDeadLinks`); scripts/check-links.mjs checks the
  // built HTML too, images and anchors included.
  themeConfig: {
    nav: [
      {
        text: 'Guide',
        link: '/getting-started',
        activeMatch: '^/(getting-started|generated/(overview|guides|docs)/)',
      },
      { text: 'Packages', link: '/generated/packages/core', activeMatch: '^/generated/packages/' },
      { text: 'Zoo recipes', link: '/generated/zoo/', activeMatch: '^/generated/zoo/' },
      { text: 'API', link: '/generated/api/', activeMatch: '^/generated/api/' },
    ],
    sidebar: {
      '/generated/packages/': sidebar.packages,
      '/generated/zoo/': sidebar.zoo,
      '/generated/api/': sidebar.api,
      '/': sidebar.guides,
    },
    outline: [2, 3],
    search: { provider: 'local' },
  },
});
