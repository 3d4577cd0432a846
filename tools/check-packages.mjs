#!/usr/bin/env node
/**
 * Lints what we publish: packs every public package once (tools/pack-test/pack.mjs), then checks
 * each tarball with
 *
 * - publint (errors, warnings and suggestions all fail),
 * - `attw` (@arethetypeswrong/cli; the "strict" profile, "esm-only" for packages without a
 *   `require` condition, such as the testkit, which imports vitest),
 * - our own rules: LICENSE shipped and equal to the root one; `repository` (with `directory`),
 *   `homepage`, `bugs`, `license`, `keywords`, `engines.node`, `sideEffects`, `publishConfig.access`
 *   set; `@myelin/core` a peer dependency (never a dependency) of every other package, so that an
 *   app gets one core and one backend registry.
 *
 *     node tools/check-packages.mjs [--filter=<substring of the name>]   # after `pnpm build`
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packAll, publicPackages, ROOT } from './pack-test/pack.mjs';

const run = promisify(execFile);
const ATTW = join(ROOT, 'node_modules', '.bin', 'attw');
const filter = process.argv.find((a) => a.startsWith('--filter='))?.slice('--filter='.length) ?? '';

/** The files of an unpacked tarball, as publint's `pack: { files }` wants them (paths under `dir`). */
function filesOf(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ name: p, data: new Uint8Array(readFileSync(p)) });
    }
  };
  walk(dir);
  return out;
}

/** Our own rules on the packed package.json and files; returns the problems found. */
function ownRules(pkg, dir, license) {
  const problems = [];
  const need = (ok, what) => {
    if (!ok) problems.push(what);
  };
  need(pkg.license === 'MIT', `license is ${JSON.stringify(pkg.license)}, expected "MIT"`);
  const licenseFile = join(dir, 'LICENSE');
  need(
    existsSync(licenseFile) && readFileSync(licenseFile).equals(license),
    'LICENSE is missing or differs from the root one',
  );
  need(
    pkg.repository?.url && pkg.repository?.directory,
    'repository.url and repository.directory must be set',
  );
  need(typeof pkg.homepage === 'string', 'homepage is missing');
  need(typeof pkg.bugs?.url === 'string', 'bugs.url is missing');
  need(Array.isArray(pkg.keywords) && pkg.keywords.length > 0, 'keywords are missing');
  need(pkg.engines?.node === '>=20', `engines.node is ${JSON.stringify(pkg.engines?.node)}, expected ">=20"`);
  need('sideEffects' in pkg, 'sideEffects is missing');
  need(pkg.publishConfig?.access === 'public', 'publishConfig.access must be "public"');
  if (pkg.name !== '@myelin/core') {
    need(!pkg.dependencies?.['@myelin/core'], '@myelin/core is a dependency; it must be a peer dependency');
    need(pkg.peerDependencies?.['@myelin/core'], '@myelin/core is not a peer dependency');
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
    for (const [name, range] of Object.entries(pkg[field] ?? {}))
      need(!String(range).startsWith('workspace:'), `${field}.${name} is still ${range} in the tarball`);
  return problems;
}

async function checkOne(p, tarball, scratch, license) {
  const dir = join(scratch, p.name.replace('/', '__'));
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lines = [];

  const { messages } = await publint({
    pkgDir: dir,
    pack: { files: filesOf(dir) },
    level: 'suggestion',
    strict: true,
  });
  for (const m of messages) lines.push(`publint ${m.type}: ${formatMessage(m, pkg)}`);

  const esmOnly = !JSON.stringify(pkg.exports ?? {}).includes('"require"');
  const args = [
    tarball,
    '--profile',
    esmOnly ? 'esm-only' : 'strict',
    '--format',
    'ascii',
    '--no-color',
    '--no-emoji',
  ];
  try {
    await run(ATTW, args, { maxBuffer: 1 << 24 });
  } catch (e) {
    lines.push(`attw (${args[2]} profile):\n${e.stdout || e.stderr || e.message}`);
  }

  for (const problem of ownRules(pkg, dir, license)) lines.push(`package: ${problem}`);
  return lines;
}

async function main() {
  const t0 = performance.now();
  const packages = publicPackages().filter((p) => p.name.includes(filter));
  if (packages.length === 0) throw new Error(`check-packages: no public package matches --filter=${filter}`);
  const scratch = mkdtempSync(join(tmpdir(), 'myelin-check-packages-'));
  let failed = 0;
  try {
    const tarballs = packAll(join(scratch, 'tarballs'), packages);
    console.log(
      `check-packages: packed ${tarballs.length} packages (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const license = readFileSync(join(ROOT, 'LICENSE'));
    // Two at a time: attw loads TypeScript in each process.
    const results = new Array(packages.length);
    let next = 0;
    const worker = async () => {
      while (next < packages.length) {
        const i = next++;
        results[i] = await checkOne(packages[i], tarballs[i], scratch, license);
        const lines = results[i];
        console.log(`${lines.length === 0 ? 'ok  ' : 'FAIL'} ${packages[i].name}`);
        for (const l of lines) console.log(`     ${l.replaceAll('\n', '\n     ')}`);
        if (lines.length > 0) failed++;
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  if (failed > 0) {
    console.error(`check-packages: ${failed} of ${packages.length} packages have problems (${took} s)`);
    process.exit(1);
  }
  console.log(
    `check-packages: publint, attw and the package rules found nothing in ${packages.length} packages (${took} s)`,
  );
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
