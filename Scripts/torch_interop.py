#!/usr/bin/env python3
"""PyTorch <-> Recurrent checkpoints, both ways.

  load-swift MODEL [--outputs F]   Load a checkpoint written by `rnn train lm` or
                                   `rnn train generate` into the equivalent torch.nn module with
                                   safetensors.torch.load_file + load_state_dict(strict=True),
                                   run a fixed input, and (with --outputs) save the logits
                                   (a generator: also the teacher-forced loss and the batch).
  export OUT [--outputs F]         Build a PyTorch language model, save its state_dict as a
                                   safetensors checkpoint that `rnn` loads, and (with
                                   --outputs) save its logits on the fixed input.

  load-swift-seq2seq MODEL [--outputs F]   The same for a checkpoint of `rnn train translate`:
                                   the mean loss and attention weights on the fixed sentence pairs.
  export-seq2seq OUT [--outputs F] Build a PyTorch Seq2Seq and save it as a checkpoint `rnn` loads.

  load-swift-classifier MODEL [--outputs F] / export-classifier OUT [--outputs F]
  load-swift-tagger MODEL [--outputs F] / export-tagger OUT [--outputs F]
                                   The same for `rnn train classify` and `rnn train tag`: the
                                   logits on fixed texts (ids of lengths 5, 2, 7; for the tagger,
                                   sentences of the vocabulary's words and one unknown word).

The fixed input is the token ids 0, 1, 2, ... (mod vocabulary) as [T=7, B=2]; for a
conditional generator, sequences of lengths 5, 2, 4 (ids 1 + (7t + 3b) mod (V - 1)) with
conditions: labels 0, 1, 2 (mod K), or features sin(0.7 i) as [3, Z].
The Swift tests compare Recurrent's logits with the saved ones (Tests/.../Fixtures/interop_*).
Run by hand (needs torch and safetensors).
"""
import argparse
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(__file__))
from torch_models import (ConditionalGenerator, LanguageModel, Seq2Seq, SequenceClassifier, SequenceTagger,  # noqa: E402
                          metadata, teacher_forcing)


def fixed_input(vocabulary_size, T=7, B=2):
    return (torch.arange(T * B) % vocabulary_size).reshape(T, B)


def run(model, path):
    model.eval()
    ids = fixed_input(model.config["vocabularySize"])
    with torch.no_grad():
        logits, state = model(ids)
    h = state[0] if isinstance(state, tuple) else state
    tensors = {"ids": ids.float(), "logits": logits.contiguous(), "h_n": h.contiguous()}
    if path:
        save_file(tensors, path, metadata={"generator": "Scripts/torch_interop.py"})
        print("wrote", path)
    return tensors


def run_generator(model, path):
    model.eval()
    c = model.config
    V, B = c["vocabularySize"], 3
    sequences = [[1 + (7 * t + 3 * b) % (V - 1) for t in range(n)] for b, n in enumerate([5, 2, 4])]
    if c["source"] == "label":
        condition = torch.arange(B) % len(c["labels"])
    elif c["source"] == "features":
        condition = torch.sin(0.7 * torch.arange(B * c["conditionSize"], dtype=torch.float32)).reshape(B, -1)
    else:
        condition = torch.zeros(B)
    inputs, targets, lengths = teacher_forcing(sequences)
    with torch.no_grad():
        logits = model(condition if c["source"] != "none" else None, inputs, lengths)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100)
    tensors = {"condition": condition.float().reshape(B, -1).contiguous(), "inputs": inputs.float(), "targets": targets.float(),
               "lengths": torch.tensor(lengths, dtype=torch.float32), "logits": logits.contiguous(), "loss": loss.reshape(1)}
    if path:
        save_file(tensors, path, metadata={"generator": "Scripts/torch_interop.py"})
        print("wrote", path)
    print(f"teacher-forced loss on the fixed batch: {loss.item():.6f}")
    return tensors


def load_checkpoint(path, kind, module):
    """The torch module of a Recurrent checkpoint of `kind`, loaded with strict=True."""
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    if meta.get("kind") != kind:
        sys.exit(f"{path}: kind is {meta.get('kind')!r}, expected {kind!r}")
    model = module(json.loads(meta["config"]))
    model.load_state_dict(load_file(path), strict=True)
    print(f"loaded {path} into torch with strict=True: {sum(p.numel() for p in model.parameters())} parameters")
    return model


def load_swift(args):
    with safe_open(args.model, "pt") as f:
        kind = f.metadata().get("kind")
    if kind == "conditional_generator":
        run_generator(load_checkpoint(args.model, kind, ConditionalGenerator), args.outputs)
        return
    model = load_checkpoint(args.model, "language_model", LanguageModel)
    out = run(model, args.outputs)
    print("logits[0, 0, :5] =", out["logits"][0, 0, :5].tolist())


def export(args):
    torch.manual_seed(args.seed)
    vocabulary = list("\n !',.:;?abcdefghijklmnopqrstuvwxyz")
    config = {"cell": args.cell, "dropout": 0.1, "embeddingSize": 12, "hiddenSize": 16, "layers": 2,
              "level": "char", "vocabularySize": len(vocabulary)}
    model = LanguageModel(config)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, args.out, metadata=metadata(config, vocabulary))
    print("wrote", args.out, "for rnn:", ", ".join(state))
    run(model, args.outputs)


def fixed_pairs(config):
    """Sources of lengths 4, 2, 5 (ending in <eos> = 3) and targets of lengths 3, 1, 4, with ids from 4 up."""
    def ids(n, k, V):
        return [4 + (7 * (k + i) + 3) % (V - 4) for i in range(n)]
    Vs, Vt = config["sourceVocabularySize"], config["targetVocabularySize"]
    sources = [ids(n - 1, k, Vs) + [3] for k, n in enumerate([4, 2, 5])]
    targets = [ids(n, 10 + k, Vt) for k, n in enumerate([3, 1, 4])]
    return sources, targets


def run_seq2seq(model, path):
    model.eval()
    sources, targets = fixed_pairs(model.config)
    with torch.no_grad():
        loss, weights = model(sources, targets)
    tensors = {"loss": loss.reshape(1).float(), "weights": weights.contiguous().float()}
    if path:
        save_file(tensors, path, metadata={"generator": "Scripts/torch_interop.py"})
        print("wrote", path)
    print("loss =", loss.item())
    return tensors


def load_swift_seq2seq(args):
    run_seq2seq(load_checkpoint(args.model, "seq2seq", Seq2Seq), args.outputs)


def export_seq2seq(args):
    torch.manual_seed(args.seed)
    specials = ["<pad>", "<unk>", "<bos>", "<eos>"]
    source = specials + [f"s{i}" for i in range(9)]
    target = specials + [f"t{i}" for i in range(11)]
    config = {"attention": args.attention, "attentionSize": 5, "cell": args.cell, "decoderHiddenSize": 8, "decoderLayers": 2,
              "dropout": 0.1, "embeddingSize": 6, "encoderHiddenSize": 4, "encoderLayers": 2, "inputFeeding": args.input_feeding,
              "lowercase": False, "sourceVocabularySize": len(source), "targetVocabularySize": len(target)}
    model = Seq2Seq(config)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, args.out, metadata=metadata(config, source + target, kind="seq2seq"))
    print("wrote", args.out, "for rnn:", ", ".join(state))
    run_seq2seq(model, args.outputs)


def save_logits(path, logits, **inputs):
    """The logits, with the fixed inputs as JSON metadata (the Swift test runs the same inputs)."""
    if path:
        meta = {"generator": "Scripts/torch_interop.py", **{k: json.dumps(v) for k, v in inputs.items()}}
        save_file({"logits": logits.contiguous().float()}, path, metadata=meta)
        print("wrote", path)


def save_checkpoint(model, out, config, vocabulary, kind):
    """The model's state_dict as a checkpoint `rnn` loads."""
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, out, metadata=metadata(config, vocabulary, kind=kind))
    print("wrote", out, "for rnn:", ", ".join(state))


def classifier_input(config):
    """Id sequences of lengths 5, 2, 7 (ids 2 + (5t + 3b) mod (V - 2): never <pad> or <unk>), padded with 0."""
    V = config["vocabularySize"]
    return [[2 + (5 * t + 3 * b) % (V - 2) for t in range(n)] for b, n in enumerate([5, 2, 7])]


def run_classifier(model, path):
    model.eval()
    sequences = classifier_input(model.config)
    T = max(map(len, sequences))
    ids = torch.zeros(T, len(sequences), dtype=torch.long)
    for b, s in enumerate(sequences):
        ids[:len(s), b] = torch.tensor(s)
    with torch.no_grad():
        logits = model(ids, [len(s) for s in sequences])
    save_logits(path, logits, sequences=sequences)
    return logits


def tagger_input(words):
    """Sentences of 4, 1 and 3 words from the vocabulary (ids 2 and up), the last with a word it lacks."""
    known = words[2:]
    sentences = [[known[(3 * i + b) % len(known)] for i in range(n)] for b, n in enumerate([4, 1, 3])]
    sentences[2][1] = "zq9"
    return sentences


def run_tagger(model, words, chars, path):
    model.eval()
    sentences = tagger_input(words)
    word_id = {w: i for i, w in enumerate(words)}
    char_id = {c: i for i, c in enumerate(chars)}
    word_ids = [[word_id.get(w.lower() if model.config["lowercase"] else w, 1) for w in s] for s in sentences]
    char_ids = [[[char_id.get(c, 1) for c in w] for w in s] for s in sentences]
    with torch.no_grad():
        logits = model(word_ids, char_ids)
    save_logits(path, logits, sentences=sentences)
    return logits


def load_swift_classifier(args):
    run_classifier(load_checkpoint(args.model, "sequence_classifier", SequenceClassifier), args.outputs)


def export_classifier(args):
    torch.manual_seed(args.seed)
    vocabulary = ["<pad>", "<unk>"] + [f"w{i}" for i in range(10)]
    config = {"bidirectional": True, "cell": args.cell, "dropout": 0.1, "embeddingSize": 6, "hiddenSize": 5,
              "labels": ["neg", "neu", "pos"], "layers": 2, "lowercase": False, "pooling": args.pooling,
              "tokenizer": "word", "vocabularySize": len(vocabulary)}
    model = SequenceClassifier(config)
    save_checkpoint(model, args.out, config, vocabulary, "sequence_classifier")
    run_classifier(model, args.outputs)


def load_swift_tagger(args):
    with safe_open(args.model, "pt") as f:
        meta = f.metadata()
    config, tokens = json.loads(meta["config"]), json.loads(meta["vocabulary"])
    words, chars = tokens[:config["wordVocabularySize"]], tokens[config["wordVocabularySize"]:]
    run_tagger(load_checkpoint(args.model, "sequence_tagger", SequenceTagger), words, chars, args.outputs)


def export_tagger(args):
    torch.manual_seed(args.seed)
    words = ["<pad>", "<unk>", "the", "dog", "barks", "a", "cat", "sleeps", "."]
    chars = ["<pad>", "<unk>"] + sorted(set("".join(words[2:])))
    config = {"cell": args.cell, "charEmbeddingSize": 4, "charHiddenSize": 3, "charVocabularySize": len(chars),
              "column": "upos", "dropout": 0.1, "hiddenSize": 5, "layers": 2, "lowercase": False,
              "tags": ["DET", "NOUN", "PUNCT", "VERB"], "wordEmbeddingSize": 6, "wordVocabularySize": len(words)}
    model = SequenceTagger(config)
    save_checkpoint(model, args.out, config, words + chars, "sequence_tagger")
    run_tagger(model, words, chars, args.outputs)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("load-swift")
    a.add_argument("model")
    a.add_argument("--outputs")
    b = sub.add_parser("export")
    b.add_argument("out")
    b.add_argument("--outputs")
    b.add_argument("--cell", default="gru", choices=["lstm", "gru", "rnn_tanh", "rnn_relu"])
    b.add_argument("--seed", type=int, default=5)
    c = sub.add_parser("load-swift-seq2seq")
    c.add_argument("model")
    c.add_argument("--outputs")
    d = sub.add_parser("export-seq2seq")
    d.add_argument("out")
    d.add_argument("--outputs")
    d.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
    d.add_argument("--attention", default="additive", choices=["dot", "general", "additive"])
    d.add_argument("--input-feeding", action="store_true")
    d.add_argument("--seed", type=int, default=5)
    for name in ["load-swift-classifier", "load-swift-tagger"]:
        e = sub.add_parser(name)
        e.add_argument("model")
        e.add_argument("--outputs")
    for name in ["export-classifier", "export-tagger"]:
        e = sub.add_parser(name)
        e.add_argument("out")
        e.add_argument("--outputs")
        e.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn_tanh", "rnn_relu"])
        e.add_argument("--seed", type=int, default=5)
        if name == "export-classifier":
            e.add_argument("--pooling", default="max", choices=["last", "mean", "max"])
    args = p.parse_args()
    {"load-swift": load_swift, "export": export, "load-swift-seq2seq": load_swift_seq2seq,
     "export-seq2seq": export_seq2seq, "load-swift-classifier": load_swift_classifier,
     "export-classifier": export_classifier, "load-swift-tagger": load_swift_tagger,
     "export-tagger": export_tagger}[args.command](args)


if __name__ == "__main__":
    main()
