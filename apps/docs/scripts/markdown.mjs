// Pure markdown helpers of generate.mjs (tested in markdown.test.mjs).
import { posix } from 'node:path';

/** Splits markdown into fenced code blocks (kept as they are) and the text between them. */
export function splitFences(text) {
  const parts = [];
  const lines = text.split('\n');
  let buf = [];
  let fence = null;
  const flush = (code) => {
    if (buf.length) parts.push({ code, text: buf.join('\n') });
    buf = [];
  };
  for (const line of lines) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      flush(false);
      fence = m[1];
      buf.push(line);
    } else if (
      fence !== null &&
      m &&
      m[1][0] === fence[0] &&
      m[1].length >= fence.length &&
      line.trim() === m[1]
    ) {
      buf.push(line);
      flush(true);
      fence = null;
    } else {
      buf.push(line);
    }
  }
  flush(fence !== null);
  return parts;
}

/** `<Foo>` outside code is an HTML tag to markdown-it and a component to Vue; `{{` is interpolation. */
export function escapeVue(text) {
  return text.replace(/<(?=[A-Za-z/!?])(?!https?:|mailto:)/g, '&lt;').replace(/\{\{/g, '&#123;&#123;');
}

/** Relative link from one page (site-relative) to another site-relative path. */
export function relLink(fromPage, toPath) {
  const r = posix.relative(posix.dirname(fromPage), toPath);
  return r.startsWith('.') ? r : `./${r}`;
}

/**
 * Rewrites the links and images in the text parts of `markdown` (code blocks and inline code stay
 * as they are) and escapes the rest for Vue. `rewrite(target, isImage)` returns `{ href }` for the
 * new target, or `{ text: true }` to keep only the link's text.
 */
export async function rewriteLinks(markdown, rewrite) {
  const parts = splitFences(markdown);
  const result = [];
  for (const part of parts) {
    if (part.code) {
      result.push(part.text);
      continue;
    }
    // Inline code spans stay as they are; links and escapes apply to the text around them.
    const pieces = part.text.split(/(`+[^`]*?`+)/);
    const converted = [];
    for (const piece of pieces) {
      if (piece.startsWith('`')) {
        converted.push(piece);
        continue;
      }
      const re = /(!?)\[([^\]]*)\]\(([^)\s]+)(\s+"[^"]*")?\)/g;
      let last = 0;
      let text = '';
      for (let m = re.exec(piece); m; m = re.exec(piece)) {
        text += escapeVue(piece.slice(last, m.index));
        last = m.index + m[0].length;
        const [, bang, label, target, title = ''] = m;
        const r = await rewrite(target, bang === '!');
        if (r.text) text += escapeVue(label);
        else text += `${bang}[${escapeVue(label)}](${r.href}${title})`;
      }
      text += escapeVue(piece.slice(last));
      converted.push(text);
    }
    result.push(converted.join(''));
  }
  return result.join('\n');
}

/** A table cell: one line, pipes escaped, Vue-safe. */
export function cell(value) {
  return escapeVue(
    String(value)
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\|/g, '\\|'),
  );
}

/** Markdown tables of a README whose header names figures, results, wall times or commands. */
export function figureBlocks(readme) {
  const blocks = [];
  const parts = splitFences(readme).filter((p) => !p.code);
  for (const part of parts) {
    const lines = part.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const isTable = lines[i].trim().startsWith('|') && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '');
      if (!isTable) {
        const image = /!\[[^\]]*\]\([^)]+\)/g;
        const found = lines[i].match(image);
        if (found) blocks.push({ kind: 'images', text: found.join('\n\n') });
        continue;
      }
      let j = i;
      while (j < lines.length && lines[j].trim().startsWith('|')) j++;
      const header = lines[i].toLowerCase();
      if (/command|figure|result|wall time|accuracy|return/.test(header)) {
        blocks.push({ kind: 'table', text: lines.slice(i, j).join('\n') });
      }
      i = j - 1;
    }
  }
  return blocks;
}
