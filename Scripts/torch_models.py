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


def metadata(config, vocabulary):
    """The __metadata__ a Recurrent checkpoint carries."""
    return {"format": "recurrent-checkpoint/1", "kind": "language_model",
            "config": json.dumps(config, sort_keys=True, separators=(",", ":")),
            "vocabulary": json.dumps(vocabulary, separators=(",", ":"))}
