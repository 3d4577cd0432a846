/**
 * @myelin/zoo-transformer: decoder-only GPT, BERT-style encoders, encoder–decoders and ViT, built on
 * core's fused scaled dot-product attention.
 */
export * from './recipes/index.js';
