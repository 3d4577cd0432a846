import { concat, fmtShape, Generator, Module, type Parameter, type Seed, type Tensor } from '@myelin/core';
import { Conv2d, LayerNorm, Linear } from '@myelin/nn';
import { type AttentionSink, Block, checkWidth, initLinear, normalParam } from './blocks.js';

/** The configuration of a Vision Transformer. */
export interface ViTConfig {
  /** Square image side in pixels (default 28). */
  imageSize?: number;
  /** Square patch side; must divide imageSize (default 7). */
  patchSize?: number;
  /** Image channels (default 1). */
  channels?: number;
  numClasses: number;
  /** Width (default 64). */
  width?: number;
  /** Blocks (default 4). */
  depth?: number;
  /** Attention heads (default 4); must divide the width. */
  heads?: number;
  /** Feed-forward hidden units (default 2 · width). */
  hidden?: number;
  /** Dropout on attention weights and residual branches while training (default 0). */
  dropout?: number;
  seed?: Seed;
}

/** Learned tokens of a ViT: the class token and the position table (timm's names). */
class PatchEmbed extends Module {
  proj: Conv2d;
  constructor(channels: number, width: number, patch: number) {
    super();
    this.proj = new Conv2d(channels, width, patch, { stride: patch });
  }
  /** (B, C, H, W) → (B, patches, width), patches in row-major order. */
  forward(x: Tensor): Tensor {
    const y = this.proj.forward(x);
    const [B, C, H, W] = y.shape as [number, number, number, number];
    return y.reshape([B, C, H * W]).transpose(1, 2);
  }
}

/**
 * Vision Transformer (Dosovitskiy et al. 2021, eq. 1–4): the image cut into patches by a strided
 * convolution, a class token prepended, learned positions added, pre-norm blocks, the class
 * token's final state → linear head. Names as timm's `VisionTransformer`: `patch_embed.proj`,
 * `cls_token` (1, 1, C), `pos_embed` (1, 1 + patches, C), `blocks.{i}` (this package's blocks in
 * nanoGPT's names: `ln_1`, `attn.c_attn`, `attn.c_proj`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`),
 * `norm`, `head`.
 *
 * @example
 * const vit = new ViT({ numClasses: 10, imageSize: 28, patchSize: 7, width: 64, depth: 4, heads: 4 });
 * const logits = vit.forward(images); // images (B, 1, 28, 28) → (B, 10)
 */
export class ViT extends Module {
  patch_embed: PatchEmbed;
  cls_token: Parameter;
  pos_embed: Parameter;
  blocks: Block[];
  norm: LayerNorm;
  head: Linear;
  readonly config: Readonly<Required<Omit<ViTConfig, 'seed'>>>;

  constructor(config: ViTConfig) {
    super();
    const c = {
      imageSize: 28,
      patchSize: 7,
      channels: 1,
      width: 64,
      depth: 4,
      heads: 4,
      dropout: 0,
      ...config,
      hidden: config.hidden ?? 2 * (config.width ?? 64),
    };
    for (const k of ['imageSize', 'patchSize', 'channels', 'numClasses', 'depth', 'hidden'] as const)
      if (!(Number.isInteger(c[k]) && c[k] >= 1))
        throw new RangeError(`ViT: ${k} must be an integer ≥ 1, got ${c[k]}`);
    if (c.imageSize % c.patchSize !== 0)
      throw new RangeError(`ViT: patchSize ${c.patchSize} does not divide imageSize ${c.imageSize}`);
    checkWidth('ViT', c.width, c.heads);
    const { seed, ...rest } = c;
    this.config = rest;
    const gen = seed === undefined ? undefined : seed instanceof Generator ? seed : new Generator(seed);
    const patches = (c.imageSize / c.patchSize) ** 2;
    this.patch_embed = new PatchEmbed(c.channels, c.width, c.patchSize);
    this.cls_token = normalParam([1, 1, c.width], gen, 0);
    this.pos_embed = normalParam([1, 1 + patches, c.width], gen, 0.02);
    this.blocks = Array.from(
      { length: c.depth },
      () =>
        new Block(c.width, {
          heads: c.heads,
          hidden: c.hidden,
          dropout: c.dropout,
          eps: 1e-6,
          ...(gen ? { gen } : {}),
        }),
    );
    this.norm = new LayerNorm(c.width, { eps: 1e-6 });
    this.head = new Linear(c.width, c.numClasses);
    initLinear(this.head, gen);
  }

  /**
   * Class logits (B, numClasses) of images (B, channels, imageSize, imageSize). With `attention`,
   * each block's weights (B, heads, 1 + patches, 1 + patches; token 0 the class token) are pushed
   * onto it (the explicit softmax path; the fused one otherwise).
   */
  forward(images: Tensor, attention?: AttentionSink): Tensor {
    const { channels, imageSize: S } = this.config;
    if (images.rank !== 4 || images.shape[1] !== channels || images.shape[2] !== S || images.shape[3] !== S)
      throw new RangeError(
        `ViT: expected images (batch, ${channels}, ${S}, ${S}), got ${fmtShape(images.shape)}`,
      );
    const B = images.shape[0]!;
    if (B === 0) throw new RangeError('ViT: the batch is empty');
    const tokens = this.patch_embed.forward(images);
    let x = concat([this.cls_token.broadcastTo([B, 1, this.config.width]), tokens], 1).add(this.pos_embed);
    for (const b of this.blocks) x = b.forward(x, attention ? { attention } : {});
    const cls = this.norm.forward(x).slice(null, 0);
    return this.head.forward(cls);
  }
}
