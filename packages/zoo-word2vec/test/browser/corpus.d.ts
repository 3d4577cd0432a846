/** The browser test's corpus: tokenised sentences, aliased at bundle time to a JSON file. */
declare module 'w2v-corpus' {
  const sentences: string[][];
  export default sentences;
}
