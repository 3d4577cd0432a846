import { fmtShape, Module, scope, type Tensor } from '@myelin/core';
import { positiveInt } from './util.js';

function checkRank(op: string, x: Tensor, min: number, layout: string): void {
  if (x.rank < min) throw new RangeError(`${op}: input must be ${layout}, got ${fmtShape(x.shape)}`);
}

/**
 * Rearrange x [*, C·r², H, W] into [*, C, H·r, W·r] (torch.nn.PixelShuffle; Shi et al. 2016,
 * "efficient sub-pixel convolution"): channel c·r² + i·r + j lands at row h·r + i, column w·r + j.
 */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    positiveInt('PixelShuffle', upscaleFactor, 'upscaleFactor');
  }

  forward(x: Tensor): Tensor {
    const r = this.upscaleFactor;
    checkRank('PixelShuffle', x, 3, '[*, C·r², H, W] (rank ≥ 3)');
    const lead = x.shape.slice(0, -3);
    const [c, h, w] = x.shape.slice(-3) as [number, number, number];
    if (c % (r * r) !== 0)
      throw new RangeError(
        `PixelShuffle: channels ${c} of input ${fmtShape(x.shape)} must be divisible by upscaleFactor² = ${r * r}`,
      );
    const k = lead.length;
    return scope(() =>
      x
        .reshape([...lead, c / (r * r), r, r, h, w])
        .permute([...lead.map((_, i) => i), k, k + 3, k + 1, k + 4, k + 2])
        .reshape([...lead, c / (r * r), h * r, w * r]),
    );
  }
}

/** The inverse of PixelShuffle: x [*, C, H·r, W·r] → [*, C·r², H, W] (torch.nn.PixelUnshuffle). */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
    positiveInt('PixelUnshuffle', downscaleFactor, 'downscaleFactor');
  }

  forward(x: Tensor): Tensor {
    const r = this.downscaleFactor;
    checkRank('PixelUnshuffle', x, 3, '[*, C, H·r, W·r] (rank ≥ 3)');
    const lead = x.shape.slice(0, -3);
    const [c, h, w] = x.shape.slice(-3) as [number, number, number];
    if (h % r !== 0 || w % r !== 0)
      throw new RangeError(
        `PixelUnshuffle: height ${h} and width ${w} of input ${fmtShape(x.shape)} must be divisible by downscaleFactor ${r}`,
      );
    const k = lead.length;
    return scope(() =>
      x
        .reshape([...lead, c, h / r, r, w / r, r])
        .permute([...lead.map((_, i) => i), k, k + 2, k + 4, k + 1, k + 3])
        .reshape([...lead, c * r * r, h / r, w / r]),
    );
  }
}

/**
 * Interleave the channels of x [N, C, *] across `groups` (torch.nn.ChannelShuffle; ShuffleNet,
 * Zhang et al. 2018): view C as [groups, C/groups], transpose, flatten.
 */
export class ChannelShuffle extends Module {
  constructor(readonly groups: number) {
    super();
    positiveInt('ChannelShuffle', groups, 'groups');
  }

  forward(x: Tensor): Tensor {
    checkRank('ChannelShuffle', x, 3, '[N, C, *] (rank ≥ 3)');
    const [n, c] = x.shape as [number, number];
    const g = this.groups;
    if (c % g !== 0)
      throw new RangeError(
        `ChannelShuffle: channels ${c} of input ${fmtShape(x.shape)} must be divisible by groups ${g}`,
      );
    const rest = x.shape.slice(2);
    return scope(() =>
      x
        .reshape([n, g, c / g, ...rest])
        .transpose(1, 2)
        .reshape(x.shape),
    );
  }
}
