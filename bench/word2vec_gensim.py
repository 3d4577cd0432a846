#!/usr/bin/python3
"""gensim's side of the word2vec benchmark (bench/src/word2vec.ts runs Myelin's and calls this).

Trains gensim 4's Word2Vec on a corpus file of one document per line, tokens separated by spaces
(written by the TypeScript side with Myelin's tokenizer, so both read the same tokens), with the
settings given, then scores the analogy questions file (gensim's `: section` / `a b c d` format)
with gensim's own `evaluate_word_analogies`, saves the vectors in word2vec binary format and
prints one JSON line of figures.

    /usr/bin/python3 bench/word2vec_gensim.py CORPUS QUESTIONS OUT.bin --threads 2 --epochs 5
"""
import argparse
import json
import logging
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("questions")
    p.add_argument("out")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sentences = list(LineSentence(a.corpus))
    model = Word2Vec(vector_size=a.dim, window=a.window, sg=1, hs=0, negative=a.negative,
                     min_count=a.min_count, sample=1e-3, alpha=0.025, min_alpha=0.0001,
                     workers=a.threads, seed=a.seed)
    model.build_vocab(sentences)
    words = sum(len(s) for s in sentences)
    t0 = time.perf_counter()
    trained, raw = model.train(sentences, total_examples=len(sentences), epochs=a.epochs)
    seconds = time.perf_counter() - t0
    kv = model.wv
    score, sections = kv.evaluate_word_analogies(a.questions, restrict_vocab=len(kv))
    total = [s for s in sections if s["section"] == "Total accuracy"][0]
    asked = len(total["correct"]) + len(total["incorrect"])
    kv.save_word2vec_format(a.out, binary=True)
    print(json.dumps({
        "gensim": __import__("gensim").__version__,
        "vocab": len(kv),
        "corpus_words": words,
        "raw_words": int(raw),
        "effective_words": int(trained),
        "seconds": seconds,
        "words_per_second": raw / seconds,
        "analogy_accuracy": score,
        "analogy_asked": asked,
        "threads": a.threads,
        "epochs": a.epochs,
    }))


if __name__ == "__main__":
    main()
