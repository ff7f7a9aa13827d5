"""PyTorch modules equivalent to Recurrent's task models, with the same
state_dict names, so checkpoints move both ways with load_state_dict(strict=True)."""
import json

import torch
from torch import nn


def recurrent(cell, input_size, hidden, layers, dropout, bidirectional=False):
    kw = dict(input_size=input_size, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
              dropout=dropout if layers > 1 else 0.0)
    if cell == "lstm":
        return nn.LSTM(**kw)
    if cell == "gru":
        return nn.GRU(**kw)
    return nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)


class LanguageModel(nn.Module):
    """embedding -> dropout -> rnn -> dropout -> head, time-major [T, B]."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config["vocabularySize"], config["embeddingSize"])
        self.rnn = recurrent(config["cell"], config["embeddingSize"], config["hiddenSize"], config["layers"], config["dropout"])
        self.drop = nn.Dropout(config["dropout"])
        self.head = nn.Linear(config["hiddenSize"], config["vocabularySize"])

    def forward(self, ids, state=None):
        out, state = self.rnn(self.drop(self.embedding(ids)), state)
        return self.head(self.drop(out)), state


class ConditionalGenerator(nn.Module):
    """One-to-many: condition -> tanh(bridge(z)) as the initial state (h then c, per layer),
    z optionally appended to every step's input; embedding -> dropout -> rnn -> dropout -> head.
    Token 0 is <eos>, which starts every input and ends every target."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        c = config
        Z, L, H = c["conditionSize"], c["layers"], c["hiddenSize"]
        self.S = 2 if c["cell"] == "lstm" else 1
        if c["source"] == "label":
            self.condition = nn.Embedding(len(c["labels"]), Z)
        if c["source"] != "none":
            self.bridge = nn.Linear(Z, self.S * L * H)
        self.embedding = nn.Embedding(c["vocabularySize"], c["embeddingSize"])
        self.rnn = recurrent(c["cell"], c["embeddingSize"] + (Z if c["feedEveryStep"] else 0), H, L, c["dropout"])
        self.drop = nn.Dropout(c["dropout"])
        self.head = nn.Linear(H, c["vocabularySize"])

    def condition_vectors(self, condition):
        """Label ids [B] (long) or feature rows [B, Z]; None for an unconditioned model."""
        source = self.config["source"]
        if source == "label":
            return self.condition(condition)
        return condition if source == "features" else None

    def forward(self, condition, inputs, lengths):
        """inputs: [T, B] ids (<eos> then the tokens); lengths: [B]. Returns logits [T, B, V]."""
        c = self.config
        T, B = inputs.shape
        z = self.condition_vectors(condition)
        state = None
        if z is not None:
            s = torch.tanh(self.bridge(z)).view(B, self.S, c["layers"], c["hiddenSize"]).permute(1, 2, 0, 3).contiguous()
            state = (s[0], s[1]) if self.S == 2 else s[0]
        x = self.drop(self.embedding(inputs))
        if c["feedEveryStep"]:
            x = torch.cat([x, z.unsqueeze(0).expand(T, B, z.shape[1])], 2)
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.as_tensor(lengths), enforce_sorted=False)
        out, _ = self.rnn(packed, state)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=T)
        return self.head(self.drop(out))


def teacher_forcing(sequences):
    """Inputs [T, B] (<eos>=0 then the tokens), targets [T, B] (the tokens then <eos>, -100 on padding), lengths."""
    T, B = max(len(s) for s in sequences) + 1, len(sequences)
    inputs = torch.zeros(T, B, dtype=torch.long)
    targets = torch.full((T, B), -100, dtype=torch.long)
    for b, s in enumerate(sequences):
        for t, i in enumerate(s):
            inputs[t + 1, b] = i
            targets[t, b] = i
        targets[len(s), b] = 0
    return inputs, targets, [len(s) + 1 for s in sequences]


def metadata(config, vocabulary):
    """The __metadata__ a Recurrent checkpoint carries."""
    return {"format": "recurrent-checkpoint/1", "kind": "language_model",
            "config": json.dumps(config, sort_keys=True, separators=(",", ":")),
            "vocabulary": json.dumps(vocabulary, separators=(",", ":"))}
