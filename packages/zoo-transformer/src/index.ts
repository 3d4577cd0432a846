/**
 * @myelin/zoo-transformer: decoder-only GPT, BERT-style encoders, encoder–decoders and ViT, built on
 * core's fused scaled dot-product attention.
 */

export * from './attention-maps.js';
export * from './bert.js';
export * from './blocks.js';
export * from './encdec.js';
export * from './gpt.js';
export * from './recipes/index.js';
export * from './sampling.js';
export * from './training.js';
export * from './vit.js';
