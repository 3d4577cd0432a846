import { Module, Parameter, type Tensor } from '@myelin/core';
import type { Layer } from './util.js';

/** Names a container cannot use for a child: they would shadow the module's own members. */
function checkName(op: string, name: string, self: object): void {
  if (name === '' || name.includes('.'))
    throw new RangeError(`${op}: child name '${name}' must be non-empty and contain no '.'`);
  if (name === 'training' || name in self)
    throw new RangeError(`${op}: child name '${name}' clashes with a member of ${op}`);
}

function setChild(self: object, name: string, m: Module | Parameter): void {
  (self as Record<string, unknown>)[name] = m;
}

function deleteChild(self: object, name: string): void {
  delete (self as Record<string, unknown>)[name];
}

/**
 * Layers applied in order (torch.nn.Sequential). Children are named `0`, `1`, … — or by the keys of
 * a record/Map — so the state dict reads `0.weight`, `2.bias` as PyTorch's.
 *
 * @example
 * const mlp = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
 * const named = new Sequential({ conv: new Conv2d(1, 6, 5), act: new ReLU() });   // conv.weight, …
 */
export class Sequential extends Module {
  readonly #layers: Layer[] = [];
  readonly #names: string[] = [];

  constructor(...layers: Layer[]);
  constructor(layers: Record<string, Layer> | Map<string, Layer>);
  constructor(...args: (Layer | Record<string, Layer> | Map<string, Layer>)[]) {
    super();
    const first = args[0];
    if (args.length === 1 && first !== undefined && !(first instanceof Module)) {
      const entries = first instanceof Map ? [...first] : Object.entries(first);
      for (const [name, layer] of entries) this.add(name, layer);
    } else {
      for (const layer of args as Layer[]) this.append(layer);
    }
  }

  /** Add a layer at the end, named by its position. */
  append(layer: Layer): this {
    return this.add(String(this.#layers.length), layer);
  }

  /** Add a layer at the end under `name`. */
  add(name: string, layer: Layer): this {
    if (!(layer instanceof Module)) throw new TypeError(`Sequential: child '${name}' is not a Module`);
    checkName('Sequential', name, this);
    setChild(this, name, layer);
    this.#layers.push(layer);
    this.#names.push(name);
    return this;
  }

  /** The layer at `index` (negative counts from the end). */
  at(index: number): Layer {
    const i = index < 0 ? index + this.#layers.length : index;
    const l = this.#layers[i];
    if (!l)
      throw new RangeError(`Sequential: index ${index} is out of range for ${this.#layers.length} layers`);
    return l;
  }

  get length(): number {
    return this.#layers.length;
  }

  /** [name, layer] pairs in order. */
  entries(): [string, Layer][] {
    return this.#layers.map((l, i) => [this.#names[i]!, l]);
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.#layers) h = layer.forward(h);
    return h;
  }
}

/**
 * A list of modules whose parameters are registered (torch.nn.ModuleList): children are `0`, `1`, …
 * It has no forward; iterate it in yours.
 */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    if (!(m instanceof Module)) throw new TypeError('ModuleList: items must be Modules');
    setChild(this, String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }

  extend(ms: Iterable<M>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  /** Insert before `index`; later items are renumbered (their state-dict names shift). */
  insert(index: number, m: M): this {
    const i = Math.max(0, Math.min(index < 0 ? index + this.#items.length : index, this.#items.length));
    this.#items.splice(i, 0, m);
    this.#renumber();
    return this;
  }

  /** Remove and return the item at `index` (default: the last); later items are renumbered. */
  pop(index = -1): M {
    const i = index < 0 ? index + this.#items.length : index;
    const [m] = this.#items.splice(i, 1);
    if (!m) throw new RangeError(`ModuleList: index ${index} is out of range`);
    this.#renumber();
    return m;
  }

  #renumber(): void {
    for (let i = 0; i <= this.#items.length; i++) deleteChild(this, String(i));
    this.#items.forEach((m, i) => {
      setChild(this, String(i), m);
    });
  }

  at(index: number): M {
    const i = index < 0 ? index + this.#items.length : index;
    const m = this.#items[i];
    if (!m)
      throw new RangeError(`ModuleList: index ${index} is out of range for ${this.#items.length} items`);
    return m;
  }

  get length(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  map<T>(f: (m: M, i: number) => T): T[] {
    return this.#items.map(f);
  }
}

/**
 * Modules by name (torch.nn.ModuleDict): each key is a child, so parameters read `key.weight`.
 * Keys keep insertion order (integer-like keys come first, as JavaScript orders own properties).
 */
export class ModuleDict<M extends Module = Module> extends Module {
  readonly #items = new Map<string, M>();

  constructor(modules: Record<string, M> | Map<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries =
      modules instanceof Map || Symbol.iterator in modules
        ? [...(modules as Iterable<[string, M]>)]
        : Object.entries(modules as Record<string, M>);
    for (const [k, m] of entries) this.set(k, m);
  }

  set(key: string, m: M): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleDict: '${key}' is not a Module`);
    if (!this.#items.has(key)) checkName('ModuleDict', key, this);
    setChild(this, key, m);
    this.#items.set(key, m);
    return this;
  }

  get(key: string): M {
    const m = this.#items.get(key);
    if (!m)
      throw new RangeError(`ModuleDict: no module '${key}' (keys: ${[...this.#items.keys()].join(', ')})`);
    return m;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** Remove and return the module under `key`. */
  pop(key: string): M {
    const m = this.get(key);
    this.#items.delete(key);
    deleteChild(this, key);
    return m;
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  values(): M[] {
    return [...this.#items.values()];
  }

  entries(): [string, M][] {
    return [...this.#items.entries()];
  }

  get size(): number {
    return this.#items.size;
  }
}

/**
 * Parameters held in a list (torch.nn.ParameterList): registered as `0`, `1`, … so a parent names
 * them `name.0`. Plain arrays of Parameters are not discovered by Module; use this instead.
 */
export class ParameterList extends Module {
  readonly #items: Parameter[] = [];

  constructor(params: Iterable<Parameter> = []) {
    super();
    for (const p of params) this.append(p);
  }

  append(p: Parameter): this {
    if (!(p instanceof Parameter)) throw new TypeError('ParameterList: items must be Parameters');
    setChild(this, String(this.#items.length), p);
    this.#items.push(p);
    return this;
  }

  at(index: number): Parameter {
    const i = index < 0 ? index + this.#items.length : index;
    const p = this.#items[i];
    if (!p)
      throw new RangeError(`ParameterList: index ${index} is out of range for ${this.#items.length} items`);
    return p;
  }

  get length(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this.#items[Symbol.iterator]();
  }
}

/** Parameters by name (torch.nn.ParameterDict): each key is registered, so a parent names them `name.key`. */
export class ParameterDict extends Module {
  readonly #items = new Map<string, Parameter>();

  constructor(params: Record<string, Parameter> | Map<string, Parameter> = {}) {
    super();
    for (const [k, p] of params instanceof Map ? params : Object.entries(params)) this.set(k, p);
  }

  set(key: string, p: Parameter): this {
    if (!(p instanceof Parameter)) throw new TypeError(`ParameterDict: '${key}' is not a Parameter`);
    if (!this.#items.has(key)) checkName('ParameterDict', key, this);
    setChild(this, key, p);
    this.#items.set(key, p);
    return this;
  }

  get(key: string): Parameter {
    const p = this.#items.get(key);
    if (!p)
      throw new RangeError(
        `ParameterDict: no parameter '${key}' (keys: ${[...this.#items.keys()].join(', ')})`,
      );
    return p;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  entries(): [string, Parameter][] {
    return [...this.#items.entries()];
  }

  get size(): number {
    return this.#items.size;
  }
}
