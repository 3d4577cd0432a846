/**
 * The playground page: a form built from every zoo's recipe declarations, a training worker that
 * runs the chosen recipe on the chosen backend, charts and pictures fed by the run's events, and a
 * canvas to draw a digit for the last trained LeNet-5.
 */
import type { ImageArray, RecipeOption } from '@myelin/train';
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
} from 'chart.js';
import { inkFromRgba, toMnist } from './digit.js';
import type { BackendInfo, BackendName, FromWorker, RecipeInfo, ToWorker, WireEvent } from './protocol.js';

Chart.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Legend,
  Title,
  Tooltip,
);

const $ = <T extends HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: #${id} is missing from the page`);
  return el as T;
};
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

const recipeSelect = $<HTMLSelectElement>('recipe');
const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
const threadsInput = $<HTMLInputElement>('threads');
const status = $<HTMLParagraphElement>('status');

const setState = (s: 'loading' | 'ready' | 'running' | 'done' | 'stopped' | 'failed') => {
  document.body.dataset.state = s;
};

// ---------------------------------------------------------------------------------------------
// The worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
worker.onerror = (e) => {
  status.textContent = `the training worker failed to load: ${e.message}`;
  setState('failed');
};

let recipes: RecipeInfo[] = [];
let runId = 0;
let running: number | null = null;

// ---------------------------------------------------------------------------------------------
// The form

function backendChoice(): BackendName {
  const checked = document.querySelector<HTMLInputElement>('input[name="backend"]:checked');
  return (checked?.value ?? 'cpu') as BackendName;
}

function showBackends(backends: BackendInfo[]): void {
  const box = $<HTMLFieldSetElement>('backends');
  const best = backends.find((b) => b.available);
  for (const b of backends) {
    const label = el('label');
    const input = el('input');
    input.type = 'radio';
    input.name = 'backend';
    input.value = b.name;
    input.id = `backend-${b.name}`;
    input.disabled = !b.available;
    input.checked = b === best;
    input.addEventListener('change', updateThreads);
    label.append(input, ` ${b.name === 'webgpu' ? 'WebGPU' : b.name === 'wasm' ? 'WASM' : 'CPU'} `);
    const note = el('span', b.available ? `(${b.note})` : `unavailable: ${b.note}`);
    note.className = b.available ? 'option-help' : 'warn';
    label.append(note);
    box.append(label);
  }
  updateThreads();
}

function updateThreads(): void {
  $('threads-field').hidden = backendChoice() !== 'wasm';
}

function optionField(o: RecipeOption): HTMLElement {
  const label = el('label');
  label.append(`${o.name} `);
  let input: HTMLInputElement | HTMLSelectElement;
  if (o.type === 'enum') {
    input = el('select');
    for (const v of o.values) {
      const opt = el('option', v);
      opt.value = v;
      input.append(opt);
    }
    input.value = o.default;
  } else {
    input = el('input');
    if (o.type === 'boolean') {
      input.type = 'checkbox';
      input.checked = o.default;
    } else if (o.type === 'string') {
      input.type = 'text';
      input.value = o.default;
    } else {
      input.type = 'number';
      input.step = o.type === 'integer' ? '1' : 'any';
      if (o.min !== undefined) input.min = String(o.min);
      if (o.max !== undefined) input.max = String(o.max);
      input.value = String(o.default);
    }
  }
  input.id = `opt-${o.name}`;
  input.dataset.option = o.name;
  label.append(input);
  const help = el('div', o.help);
  help.className = 'option-help';
  label.append(help);
  return label;
}

function showRecipe(): void {
  const r = recipes.find((x) => x.name === recipeSelect.value);
  const box = $<HTMLFieldSetElement>('options');
  box.replaceChildren(el('legend', 'Options'));
  if (!r) return;
  $('recipe-description').textContent = `${r.description} (${r.zoo}, family ${r.family})`;
  const disabled = $('recipe-disabled');
  disabled.hidden = r.disabled === null;
  disabled.textContent = r.disabled ? `Not available here: ${r.disabled}` : '';
  for (const o of r.options) box.append(optionField(o));
  startButton.disabled = r.disabled !== null || running !== null;
}

function formValues(): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const input of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-option]')) {
    const name = input.dataset.option!;
    out[name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
  }
  return out;
}

function showRecipes(list: RecipeInfo[]): void {
  recipes = list;
  const byZoo = new Map<string, RecipeInfo[]>();
  for (const r of list) byZoo.set(r.zoo, [...(byZoo.get(r.zoo) ?? []), r]);
  for (const [zoo, rs] of byZoo) {
    const group = el('optgroup');
    group.label = zoo;
    for (const r of rs) {
      const opt = el('option', r.disabled ? `${r.title} — unavailable` : r.title);
      opt.value = r.name;
      opt.disabled = r.disabled !== null;
      if (r.disabled) opt.title = r.disabled;
      group.append(opt);
    }
    recipeSelect.append(group);
  }
  recipeSelect.value = list.some((r) => r.name === 'lenet5-mnist') ? 'lenet5-mnist' : (list[0]?.name ?? '');
  recipeSelect.addEventListener('change', showRecipe);
  showRecipe();
}

// ---------------------------------------------------------------------------------------------
// Charts and outputs of a run

const chartOptions = (title: string, x: string, y: string) => ({
  animation: false as const,
  responsive: true,
  aspectRatio: 1.4,
  parsing: false as const,
  normalized: true,
  plugins: { title: { display: true, text: title }, legend: { position: 'bottom' as const } },
  scales: {
    x: { type: 'linear' as const, title: { display: true, text: x } },
    y: { type: 'linear' as const, title: { display: true, text: y } },
  },
  elements: { point: { radius: 0 }, line: { borderWidth: 1.5 } },
});
type Pt = { x: number; y: number };
const series = (label: string, color: string, points = false) => ({
  label,
  data: [] as Pt[],
  borderColor: color,
  backgroundColor: color,
  pointRadius: points ? 3 : 0,
});

const lossChart = new Chart($<HTMLCanvasElement>('loss-chart'), {
  type: 'line',
  data: {
    datasets: [
      series('batch loss', '#9bb4e8'),
      series('epoch train loss', '#1f4fb4', true),
      series('test loss', '#d9822b', true),
    ],
  },
  options: chartOptions('loss', 'epoch', 'loss'),
});
const accChart = new Chart($<HTMLCanvasElement>('acc-chart'), {
  type: 'line',
  data: {
    datasets: [series('running train accuracy', '#9bb4e8'), series('test accuracy', '#d9822b', true)],
  },
  options: chartOptions('accuracy', 'epoch', 'accuracy'),
});
const episodeChart = new Chart($<HTMLCanvasElement>('episode-chart'), {
  type: 'line',
  data: { datasets: [series('return', '#9bb4e8'), series('mean of last 100', '#1f4fb4')] },
  options: { ...chartOptions('episode returns', 'episode', 'return'), aspectRatio: 2.8 },
});
const charts = [lossChart, accChart, episodeChart];

/** Charts redraw at most every 200 ms (a fast recipe ends hundreds of batches a second). */
let redrawQueued = false;
function redraw(): void {
  if (redrawQueued) return;
  redrawQueued = true;
  setTimeout(flush, 200);
}
function flush(): void {
  redrawQueued = false;
  for (const c of charts) c.update('none');
  const batches = lossChart.data.datasets[0]!.data as Pt[];
  const acc = accChart.data.datasets[0]!.data as Pt[];
  $('loss-chart').dataset.points = String(batches.length);
  if (acc.length) {
    $('acc-chart').dataset.first = String(acc[0]!.y);
    $('acc-chart').dataset.last = String(acc.at(-1)!.y);
  }
}

const episodeReturns: number[] = [];
const outputs = $('outputs');

function resetOutputs(): void {
  for (const c of charts) for (const d of c.data.datasets) d.data = [];
  for (const c of charts) c.update('none');
  $('loss-chart').dataset.points = '0';
  delete $('acc-chart').dataset.first;
  delete $('acc-chart').dataset.last;
  $('epochs').querySelector('tbody')!.replaceChildren();
  $('metrics').replaceChildren();
  $('episode-list').replaceChildren();
  $('episodes').hidden = true;
  $('training').hidden = true;
  episodeReturns.length = 0;
  outputs.replaceChildren();
  delete $('metrics').dataset.testAccuracy;
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '' : v.toFixed(digits));

function epochRow(epoch: number): HTMLTableRowElement {
  const body = $('epochs').querySelector('tbody')!;
  let row = body.querySelector<HTMLTableRowElement>(`tr[data-epoch="${epoch}"]`);
  if (!row) {
    row = el('tr');
    row.dataset.epoch = String(epoch);
    for (let i = 0; i < 6; i++) row.append(el('td'));
    row.cells[0]!.textContent = String(epoch + 1);
    body.append(row);
  }
  return row;
}

/** An image grid ([N, C, H, W] in [0, 1]) on a canvas, captions underneath when given. */
function imageGrid(images: ImageArray, labels?: readonly string[]): HTMLElement {
  const [n, c, h, w] = images.shape;
  const scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
  const caption = labels ? 14 : 0;
  const gap = 2;
  const cols = Math.min(n, Math.max(1, Math.floor(600 / (w * scale + gap))));
  const rows = Math.ceil(n / cols);
  const canvas = el('canvas');
  canvas.className = 'grid-canvas';
  canvas.width = cols * (w * scale + gap);
  canvas.height = rows * (h * scale + gap + caption);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tile = new ImageData(w, h);
  const off = el('canvas');
  off.width = w;
  off.height = h;
  const octx = off.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.font = '10px sans-serif';
  ctx.textAlign = 'center';
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      const at = (ch: number) => Math.round(255 * images.data[(i * c + Math.min(ch, c - 1)) * h * w + p]!);
      tile.data[4 * p] = at(0);
      tile.data[4 * p + 1] = at(1);
      tile.data[4 * p + 2] = at(2);
      tile.data[4 * p + 3] = 255;
    }
    octx.putImageData(tile, 0, 0);
    const x = (i % cols) * (w * scale + gap);
    const y = Math.floor(i / cols) * (h * scale + gap + caption);
    ctx.drawImage(off, x, y, w * scale, h * scale);
    if (labels) {
      const text = labels[i]!;
      ctx.fillStyle = text.includes('≠') ? '#c22' : '#333';
      ctx.fillText(text, x + (w * scale) / 2, y + h * scale + 11, w * scale + gap);
    }
  }
  return canvas;
}

function output(title: string, kind: string, body: HTMLElement): void {
  const box = el('div');
  box.className = `output output-${kind}`;
  box.append(el('h3', title), body);
  outputs.append(box);
}

function handle(e: WireEvent): void {
  switch (e.type) {
    case 'fitStart':
    case 'epochStart':
      break;
    case 'batchEnd': {
      $('training').hidden = false;
      const per = e.batchesPerEpoch ?? e.batch + 1;
      const x = e.epoch + (e.batch + 1) / per;
      lossChart.data.datasets[0]!.data.push({ x, y: e.loss });
      if (e.metrics.accuracy !== undefined)
        accChart.data.datasets[0]!.data.push({ x, y: e.metrics.accuracy });
      status.textContent =
        `epoch ${e.epoch + 1}, batch ${e.batch + 1}${e.batchesPerEpoch ? `/${e.batchesPerEpoch}` : ''}: ` +
        `loss ${e.loss.toFixed(4)}` +
        (e.metrics.accuracy !== undefined ? `, accuracy ${e.metrics.accuracy.toFixed(3)}` : '') +
        `, ${Math.round(e.samplesPerSec)} samples/s`;
      redraw();
      break;
    }
    case 'epochEnd': {
      $('training').hidden = false;
      lossChart.data.datasets[1]!.data.push({ x: e.epoch + 1, y: e.loss });
      const row = epochRow(e.epoch);
      row.cells[1]!.textContent = fmt(e.loss);
      row.cells[2]!.textContent = fmt(e.metrics.accuracy);
      row.cells[5]!.textContent = String(Math.round(e.samplesPerSec));
      redraw();
      break;
    }
    case 'validation': {
      $('training').hidden = false;
      lossChart.data.datasets[2]!.data.push({ x: e.epoch + 1, y: e.loss });
      if (e.metrics.accuracy !== undefined) {
        accChart.data.datasets[1]!.data.push({ x: e.epoch + 1, y: e.metrics.accuracy });
        $('metrics').dataset.testAccuracy = String(e.metrics.accuracy);
      }
      const row = epochRow(e.epoch);
      row.cells[3]!.textContent = fmt(e.loss);
      row.cells[4]!.textContent = fmt(e.metrics.accuracy);
      redraw();
      break;
    }
    case 'stopped':
      status.textContent = `training stopped at epoch ${e.epoch + 1}: ${e.reason}`;
      break;
    case 'fitEnd':
      break;
    case 'metric': {
      const dt = el('dt', e.name);
      const value = Number.isInteger(e.value) ? String(e.value) : e.value.toFixed(4);
      const dd = el('dd', `${value}${e.unit ? ` ${e.unit}` : ''}`);
      dd.dataset.metric = e.name;
      dd.dataset.value = String(e.value);
      $('metrics').append(dt, dd);
      break;
    }
    case 'samples':
      output(
        e.epoch === undefined ? e.title : `${e.title} (epoch ${e.epoch + 1})`,
        'samples',
        imageGrid(e.images, e.labels),
      );
      break;
    case 'figure':
      if (e.kind === 'image') output(e.title, 'figure', imageGrid(e.image));
      else {
        const details = el('details');
        details.append(
          el('summary', 'Vega-Lite spec (myelin train --out renders it as SVG)'),
          el('pre', JSON.stringify(e.spec, null, 1)),
        );
        output(e.title, 'figure', details);
      }
      break;
    case 'text':
      output(
        e.epoch === undefined ? e.title : `${e.title} (epoch ${e.epoch + 1})`,
        'text',
        el('pre', e.text),
      );
      break;
    case 'episode': {
      $('episodes').hidden = false;
      episodeReturns.push(e.return);
      const recent = episodeReturns.slice(-100);
      episodeChart.data.datasets[0]!.data.push({ x: e.episode + 1, y: e.return });
      episodeChart.data.datasets[1]!.data.push({
        x: e.episode + 1,
        y: recent.reduce((a, b) => a + b, 0) / recent.length,
      });
      const list = $('episode-list');
      const item = el(
        'li',
        `episode ${e.episode + 1}: return ${fmt(e.return, 2)}, ${e.length} steps` +
          (e.epsilon === undefined ? '' : `, ε ${fmt(e.epsilon, 3)}`) +
          (e.loss === undefined ? '' : `, loss ${fmt(e.loss)}`),
      );
      list.prepend(item);
      while (list.children.length > 10) list.lastElementChild!.remove();
      if (e.frames) output(`episode ${e.episode + 1} frames`, 'episode', imageGrid(e.frames));
      status.textContent = item.textContent;
      redraw();
      break;
    }
    case 'embedding': {
      if (e.neighbours) {
        const text = e.neighbours
          .map(
            (q) =>
              `${q.query}: ${q.neighbours.map((m) => `${m.label} ${m.similarity.toFixed(3)}`).join(', ')}`,
          )
          .join('\n');
        output(e.title, 'embedding', el('pre', text));
      }
      if (e.points && e.points.shape[1] >= 2) {
        const canvas = el('canvas');
        canvas.width = 480;
        canvas.height = 360;
        const d = e.points.shape[1];
        const data = Array.from({ length: e.points.shape[0] }, (_, i) => ({
          x: e.points!.data[i * d]!,
          y: e.points!.data[i * d + 1]!,
        }));
        output(`${e.title} (points)`, 'embedding', canvas);
        new Chart(canvas, {
          type: 'scatter',
          data: { datasets: [{ label: e.title, data, backgroundColor: '#1f4fb4', pointRadius: 2 }] },
          options: { animation: false, responsive: false },
        });
      }
      break;
    }
    case 'error':
      status.textContent = `error: ${e.message}`;
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Starting and stopping

startButton.addEventListener('click', () => {
  const r = recipes.find((x) => x.name === recipeSelect.value);
  if (!r || r.disabled) return;
  resetOutputs();
  runId += 1;
  running = runId;
  startButton.disabled = true;
  stopButton.disabled = false;
  setState('running');
  status.textContent = `starting ${r.name}…`;
  send({
    type: 'start',
    id: runId,
    recipe: r.name,
    backend: backendChoice(),
    threads: Math.max(1, Math.floor(Number(threadsInput.value) || 1)),
    options: formValues(),
  });
});

stopButton.addEventListener('click', () => {
  if (running !== null) send({ type: 'stop', id: running });
});

function finished(state: 'done' | 'stopped' | 'failed', text: string): void {
  running = null;
  stopButton.disabled = true;
  startButton.disabled = recipes.find((x) => x.name === recipeSelect.value)?.disabled != null;
  status.textContent = text;
  flush();
  setState(state);
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready': {
      const badge = $('isolation');
      badge.textContent = m.isolated
        ? 'cross-origin isolated: wasm threads on'
        : 'not cross-origin isolated: wasm runs 1 thread';
      badge.classList.add(m.isolated ? 'ok' : 'bad');
      threadsInput.value = String(Math.min(8, navigator.hardwareConcurrency || 1));
      showBackends(m.backends);
      showRecipes(m.recipes);
      status.textContent = 'ready';
      setState('ready');
      break;
    }
    case 'started':
      if (m.id !== running) break;
      document.body.dataset.backend = m.backend;
      document.body.dataset.threads = String(m.threads);
      status.textContent = `running on ${m.backend}${m.backend === 'wasm' ? ` (${m.threads} threads)` : ''}…`;
      break;
    case 'event':
      if (m.id === running) handle(m.event);
      break;
    case 'done':
      if (m.id !== running) break;
      finished(
        'done',
        `finished in ${m.seconds.toFixed(1)} s on ${document.body.dataset.backend}` +
          (m.kept ? `; its LeNet-5 now classifies the digits you draw` : ''),
      );
      break;
    case 'stopped':
      if (m.id === running) finished('stopped', `stopped after ${m.seconds.toFixed(1)} s`);
      break;
    case 'failed':
      if (m.id === running) finished('failed', `failed: ${m.message}`);
      break;
    case 'prediction':
      showPrediction(m.probabilities, m.reason);
      break;
    case 'fatal':
      status.textContent = `the training worker failed: ${m.message}`;
      setState('failed');
      break;
  }
};

// ---------------------------------------------------------------------------------------------
// Draw a digit

const pad = $<HTMLCanvasElement>('digit-canvas');
const padCtx = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  $('prediction').textContent = '—';
  $('probabilities').replaceChildren();
  $<HTMLCanvasElement>('digit-28').getContext('2d')!.clearRect(0, 0, 28, 28);
}
clearPad();
padCtx.strokeStyle = '#fff';
padCtx.lineWidth = 18;
padCtx.lineCap = 'round';
padCtx.lineJoin = 'round';
let drawing = false;
const at = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return [
    ((e.clientX - r.left) * pad.width) / r.width,
    ((e.clientY - r.top) * pad.height) / r.height,
  ] as const;
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  const [x, y] = at(e);
  padCtx.beginPath();
  padCtx.moveTo(x, y);
  padCtx.lineTo(x, y);
  padCtx.stroke();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  padCtx.lineTo(x, y);
  padCtx.stroke();
});
const endStroke = () => {
  if (!drawing) return;
  drawing = false;
  predictDrawn();
};
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);
$('clear').addEventListener('click', clearPad);
$('predict').addEventListener('click', predictDrawn);

function predictDrawn(): void {
  const img = padCtx.getImageData(0, 0, pad.width, pad.height);
  const pixels = toMnist(inkFromRgba(img.data, img.width, img.height));
  if (!pixels) {
    showPrediction(null, 'draw a digit first');
    return;
  }
  const small = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i]! * 255);
    small.data.set([v, v, v, 255], 4 * i);
  }
  $<HTMLCanvasElement>('digit-28').getContext('2d')!.putImageData(small, 0, 0);
  send({ type: 'predict', pixels }, [pixels.buffer]);
}

function showPrediction(probabilities: number[] | null, reason?: string): void {
  const out = $('prediction');
  const list = $('probabilities');
  list.replaceChildren();
  if (!probabilities) {
    out.textContent = '—';
    out.title = reason ?? '';
    delete out.dataset.digit;
    list.append(el('li', reason ?? 'no prediction'));
    return;
  }
  let best = 0;
  probabilities.forEach((p, i) => {
    if (p > probabilities[best]!) best = i;
    const item = el('li');
    const bar = el('span');
    bar.className = 'bar';
    bar.style.width = `${Math.round(p * 120)}px`;
    item.append(bar, `${(100 * p).toFixed(1)} %`);
    list.append(item);
  });
  out.textContent = String(best);
  out.dataset.digit = String(best);
  out.dataset.probability = String(probabilities[best]);
}
