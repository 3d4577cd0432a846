/**
 * @myelin/zoo-rnn: recurrent networks on real sequences — sequence classification and tagging,
 * character language models, seq2seq with attention, time-series forecasting and echo-state networks.
 */
export * from './data.js';
export * from './ntm.js';
export * from './ram.js';
export * from './recipes/index.js';
export * from './seq2seq.js';
export * from './sequence.js';
export * from './series.js';
