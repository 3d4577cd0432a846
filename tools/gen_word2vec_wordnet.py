#!/usr/bin/python3
"""Golden WordNet path similarities for packages/zoo-word2vec/test/wordnet.test.ts, from NLTK.

NLTK's WordNetCorpusReader reads the same WordNet 3.0 files that Debian's wordnet-base ships
(apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb x), and its `path_similarity`
(shortest path over hypernym and instance-hypernym links) scores word pairs, maximised over
every pair of the two words' noun synsets. Needs Debian's python3-nltk.

    /usr/bin/python3 tools/gen_word2vec_wordnet.py x/usr/share/wordnet \
        > packages/zoo-word2vec/fixtures/wordnet-nltk.json
"""
import json
import os
import shutil
import sys
import tempfile

from nltk.corpus.reader.wordnet import WordNetCorpusReader

PAIRS = [
    ("dog", "cat"), ("dog", "wolf"), ("car", "automobile"), ("car", "bicycle"), ("king", "queen"),
    ("man", "woman"), ("coast", "shore"), ("money", "cash"), ("king", "cabbage"), ("noon", "string"),
    ("tiger", "jaguar"), ("computer", "keyboard"), ("movie", "film"), ("actor", "actress"),
    ("music", "song"), ("horror", "fear"), ("story", "plot"), ("love", "hate"), ("city", "paris"),
    ("france", "paris"), ("water", "fire"), ("doctor", "nurse"), ("book", "library"),
    ("president", "minister"), ("wine", "beer"), ("ship", "boat"), ("whale", "dolphin"),
    ("entity", "dog"), ("dog", "dog"), ("tree", "forest"), ("hand", "finger"), ("war", "peace"),
    ("hospital", "school"), ("game", "sport"), ("cup", "mug"), ("river", "mountain"),
    ("planet", "star"), ("teacher", "student"), ("bread", "butter"), ("child", "kid"),
    ("zzzz", "dog"), ("quickly", "dog"),
]


def main():
    src = sys.argv[1]
    with tempfile.TemporaryDirectory() as root:
        for f in os.listdir(src):
            shutil.copy(os.path.join(src, f), root)
        # NLTK's reader wants a lexnames file, which wordnet-base does not ship; names are unused here.
        with open(os.path.join(root, "lexnames"), "w") as out:
            for i in range(45):
                out.write(f"{i:02d}\tlex.{i}\t1\n")
        wn = WordNetCorpusReader(root, None)
        rows = []
        for a, b in PAIRS:
            best = 0.0
            for s in wn.synsets(a, pos="n"):
                for t in wn.synsets(b, pos="n"):
                    p = s.path_similarity(t)
                    if p is not None:
                        best = max(best, p)
            rows.append([a, b, best])
        first = {w: wn.synsets(w, pos="n")[0].offset() for w in ["dog", "bank", "film", "paris", "king"]}
        print(json.dumps({"source": "NLTK %s WordNetCorpusReader on Debian wordnet-base 1:3.0-37"
                          % __import__("nltk").__version__, "pairs": rows, "first_sense": first}, indent=1))


if __name__ == "__main__":
    main()
