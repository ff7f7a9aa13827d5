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


def untied(state, tied, table):
    """A tied checkpoint's state with head.weight put back as the shared `table`."""
    if tied and "head.weight" not in state:
        return dict(state, **{"head.weight": state[table]})
    return state


class LockedDropout(nn.Module):
    """Variational dropout of a time-major [T, B, F] tensor: one [B, F] mask, the same at every step."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty(1, x.shape[1], x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


def embedding_dropout(embedding, ids, p, training):
    """Whole-word dropout (AWD-LSTM's embedded_dropout): rows of the table dropped for the batch."""
    if not training or p == 0:
        return embedding(ids)
    mask = embedding.weight.new_empty(embedding.weight.shape[0], 1).bernoulli_(1 - p) / (1 - p)
    return nn.functional.embedding(ids, embedding.weight * mask)


class LanguageModel(nn.Module):
    """embedding -> dropout -> rnn -> dropout -> output layer, time-major [T, B].

    The output layer is `head` (nn.Linear), tied to `embedding.weight` when
    config["tied"] (after `projection`, H -> E without bias, when the sizes
    differ), or `adaptive` (nn.AdaptiveLogSoftmaxWithLoss) with
    config["adaptiveCutoffs"]; then forward returns log-probabilities.
    Dropout: config["dropout"] between layers, inputDropout / outputDropout
    (default: dropout) locked over time when config["lockedDropout"],
    embeddingDropout on whole words. Recurrent's weightDrop (DropConnect on W_hh)
    acts in training only; evaluation uses the raw weights, as here."""

    def __init__(self, config):
        super().__init__()
        self.config = c = config
        V, E, H = c["vocabularySize"], c["embeddingSize"], c["hiddenSize"]
        self.embedding = nn.Embedding(V, E)
        self.rnn = recurrent(c["cell"], E, H, c["layers"], c["dropout"])
        drop = LockedDropout if c.get("lockedDropout") else nn.Dropout
        self.drop_in = drop(c.get("inputDropout", c["dropout"]))
        self.drop_out = drop(c.get("outputDropout", c["dropout"]))
        if c.get("adaptiveCutoffs"):
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(H, V, c["adaptiveCutoffs"], div_value=c.get("adaptiveDivValue", 4.0))
        else:
            if c.get("tied") and E != H:
                self.projection = nn.Linear(H, E, bias=False)
            self.head = nn.Linear(E if c.get("tied") else H, V)
            if c.get("tied"):
                self.head.weight = self.embedding.weight

    def load_state_dict(self, state, strict=True):
        """A tied checkpoint stores the shared table once, as embedding.weight (no head.weight)."""
        return super().load_state_dict(untied(state, self.config.get("tied"), "embedding.weight"), strict=strict)

    def tied_state_dict(self):
        """state_dict without head.weight when tied: the form Recurrent writes and reads."""
        state = {k: v.contiguous() for k, v in self.state_dict().items()}
        if self.config.get("tied"):
            del state["head.weight"]
        return state

    def features(self, ids, state=None):
        x = embedding_dropout(self.embedding, ids, self.config.get("embeddingDropout", 0), self.training)
        out, state = self.rnn(self.drop_in(x), state)
        return self.drop_out(out), state

    def output(self, out):
        """[..., H] -> logits [..., V] (log-probabilities with the adaptive softmax)."""
        if hasattr(self, "adaptive"):
            return self.adaptive.log_prob(out.reshape(-1, out.shape[-1])).reshape(*out.shape[:-1], -1)
        return self.head(self.projection(out) if hasattr(self, "projection") else out)

    def forward(self, ids, state=None):
        out, state = self.features(ids, state)
        return self.output(out), state

    def loss(self, ids, targets, state=None):
        """Mean negative log-likelihood of targets [T, B]."""
        out, state = self.features(ids, state)
        if hasattr(self, "adaptive"):
            return self.adaptive(out.reshape(-1, out.shape[-1]), targets.reshape(-1)).loss, state
        logits = self.output(out)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)), state


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


def packed_run(rnn, x, lengths, state=None):
    """`rnn` over each sequence's first lengths[b] steps of x [T, B, I], as Recurrent's sequence layer:
    padded steps give zero output; returns out [T, B, D*H] and the final state."""
    packed = nn.utils.rnn.pack_padded_sequence(x, torch.as_tensor(lengths), enforce_sorted=False)
    out, final = rnn(packed, state)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
    return out, final


class SequenceClassifier(nn.Module):
    """Recurrent's SequenceClassifier: embedding -> dropout -> (bidirectional) rnn over the real
    tokens -> pooling (last: the top layer's final h of each direction; mean or max over the
    real steps) -> dropout -> head. Ids are padded with <pad> = 0, time-major [T, B]."""

    def __init__(self, config):
        super().__init__()
        c = self.config = config
        self.D = 2 if c["bidirectional"] else 1
        self.embedding = nn.Embedding(c["vocabularySize"], c["embeddingSize"])
        self.rnn = recurrent(c["cell"], c["embeddingSize"], c["hiddenSize"], c["layers"], c["dropout"], c["bidirectional"])
        self.drop = nn.Dropout(c["dropout"])
        self.head = nn.Linear(self.D * c["hiddenSize"], len(c["labels"]))

    def forward(self, ids, lengths):
        """ids [T, B], lengths [B] -> logits [B, labels]."""
        out, final = packed_run(self.rnn, self.drop(self.embedding(ids)), lengths)
        lengths = torch.as_tensor(lengths)
        pooling = self.config["pooling"]
        if pooling == "last":
            h = final[0] if isinstance(final, tuple) else final           # [L*D, B, H]
            features = torch.cat([h[h.shape[0] - self.D + d] for d in range(self.D)], dim=-1)
        elif pooling == "mean":
            features = out.sum(0) / lengths[:, None].to(out.dtype)
        else:
            padded = torch.arange(out.shape[0])[:, None] >= lengths[None, :]
            features = out.masked_fill(padded[:, :, None], float("-inf")).max(0).values
        return self.head(self.drop(features))


class SequenceTagger(nn.Module):
    """Recurrent's SequenceTagger: per word [word embedding ; the character BiLSTM's final h of both
    directions] -> dropout -> bidirectional rnn -> dropout -> head, for every word."""

    def __init__(self, config):
        super().__init__()
        c = self.config = config
        self.word_embedding = nn.Embedding(c["wordVocabularySize"], c["wordEmbeddingSize"])
        C = 0
        if c["charHiddenSize"] > 0:
            self.char_embedding = nn.Embedding(c["charVocabularySize"], c["charEmbeddingSize"])
            self.char_rnn = nn.LSTM(c["charEmbeddingSize"], c["charHiddenSize"], bidirectional=True)
            C = 2 * c["charHiddenSize"]
        self.rnn = recurrent(c["cell"], c["wordEmbeddingSize"] + C, c["hiddenSize"], c["layers"], c["dropout"], True)
        self.drop = nn.Dropout(c["dropout"])
        self.head = nn.Linear(2 * c["hiddenSize"], len(c["tags"]))

    def characters(self, words):
        """Character ids of each word (lists) -> features [N, 2 * charHiddenSize]."""
        T = max(len(w) for w in words)
        ids = torch.zeros(T, len(words), dtype=torch.long)
        for n, w in enumerate(words):
            ids[:len(w), n] = torch.tensor(w)
        _, (h, _) = packed_run(self.char_rnn, self.char_embedding(ids), [len(w) for w in words])
        return torch.cat([h[0], h[1]], dim=-1)

    def forward(self, word_ids, char_ids):
        """word_ids: per sentence, its word ids; char_ids: per sentence, per word, its character ids.
        Returns logits [T, B, tags] (padded positions hold head(0) = the bias)."""
        B, T = len(word_ids), max(map(len, word_ids))
        ids = torch.zeros(T, B, dtype=torch.long)
        for b, s in enumerate(word_ids):
            ids[:len(s), b] = torch.tensor(s)
        x = self.word_embedding(ids)
        if self.config["charHiddenSize"] > 0:
            chars = torch.zeros(T, B, 2 * self.config["charHiddenSize"])
            for b, s in enumerate(char_ids):
                chars[:len(s), b] = self.characters(s)
            x = torch.cat([x, chars], dim=-1)
        out, _ = packed_run(self.rnn, self.drop(x), [len(s) for s in word_ids])
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


def metadata(config, vocabulary, kind="language_model"):
    """The __metadata__ a Recurrent checkpoint carries."""
    return {"format": "recurrent-checkpoint/1", "kind": kind,
            "config": json.dumps(config, sort_keys=True, separators=(",", ":")),
            "vocabulary": json.dumps(vocabulary, separators=(",", ":"))}


class Attention(nn.Module):
    """Recurrent's Attention: dot, general (key: K -> Q, no bias) or additive
    (query: Q -> A no bias, key: K -> A, v: A -> 1 no bias), masked by memory length."""

    def __init__(self, score, query_size, key_size, attention_size):
        super().__init__()
        self.score = score
        if score == "general":
            self.key = nn.Linear(key_size, query_size, bias=False)
        if score == "additive":
            self.query = nn.Linear(query_size, attention_size, bias=False)
            self.key = nn.Linear(key_size, attention_size)
            self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, q, memory, lengths):
        """q [N, B, Q], memory [S, B, K], lengths [B] -> context [N, B, K], weights [N, B, S]."""
        keys = memory if self.score == "dot" else self.key(memory)
        if self.score == "additive":
            e = self.v(torch.tanh(self.query(q)[:, :, None, :] + keys.permute(1, 0, 2)[None])).squeeze(-1)
        else:
            e = torch.einsum("nbq,sbq->nbs", q, keys)
        S = memory.shape[0]
        mask = torch.arange(S)[None, :] >= torch.as_tensor(lengths)[:, None]
        a = torch.softmax(e.masked_fill(mask[None], float("-inf")), dim=-1)
        return torch.einsum("nbs,sbk->nbk", a, memory), a


class Seq2Seq(nn.Module):
    """Recurrent's Seq2Seq (docs/checkpoints.md): embedding -> bidirectional encoder ->
    bridge tanh(W [h_fwd; h_bwd] + b) -> decoder (input feeding optional) ->
    attention -> tanh(combine([c; h])) -> head. Ids 0..3 are <pad> <unk> <bos> <eos>."""

    PAD, BOS, EOS = 0, 2, 3

    def __init__(self, config):
        super().__init__()
        c = self.config = config
        E, He, Hd, Ld = c["embeddingSize"], c["encoderHiddenSize"], c["decoderHiddenSize"], c["decoderLayers"]
        self.source_embedding = nn.Embedding(c["sourceVocabularySize"], E)
        self.encoder = recurrent(c["cell"], E, He, c["encoderLayers"], c["dropout"], bidirectional=True)
        self.bridge = nn.Linear(2 * He, (2 if c["cell"] == "lstm" else 1) * Ld * Hd)
        self.target_embedding = nn.Embedding(c["targetVocabularySize"], E)
        self.decoder = recurrent(c["cell"], E + (Hd if c["inputFeeding"] else 0), Hd, Ld, c["dropout"])
        self.attention = Attention(c["attention"], Hd, 2 * He, c["attentionSize"])
        self.combine = nn.Linear(2 * He + Hd, Hd)
        self.head = nn.Linear(Hd, c["targetVocabularySize"])
        if c.get("tiedEmbeddings"):
            self.head.weight = self.target_embedding.weight

    def load_state_dict(self, state, strict=True):
        """A tied checkpoint has no head.weight: it is target_embedding.weight."""
        return super().load_state_dict(untied(state, self.config.get("tiedEmbeddings"), "target_embedding.weight"), strict=strict)

    def initial_state(self, h_n, B):
        L, Hd, Le = self.config["decoderLayers"], self.config["decoderHiddenSize"], self.config["encoderLayers"]
        z = torch.cat([h_n[2 * (Le - 1)], h_n[2 * (Le - 1) + 1]], dim=-1)
        s = torch.tanh(self.bridge(z)).view(B, -1, L, Hd).permute(1, 2, 0, 3)  # [S, L, B, Hd]
        return (s[0].contiguous(), s[1].contiguous()) if self.config["cell"] == "lstm" else s[0].contiguous()

    def forward(self, sources, targets):
        """sources: id lists ending in <eos>; targets: id lists without <bos>/<eos>.
        Returns the mean cross-entropy over target tokens and <eos>, and the weights [T, B, S]."""
        B, S, T = len(sources), max(map(len, sources)), max(map(len, targets)) + 1
        src = torch.full((S, B), self.PAD, dtype=torch.long)
        inp = torch.full((T, B), self.PAD, dtype=torch.long)
        gold = torch.full((T, B), -100, dtype=torch.long)
        for b, (x, y) in enumerate(zip(sources, targets)):
            src[:len(x), b] = torch.tensor(x)
            inp[0, b] = self.BOS
            inp[1:len(y) + 1, b] = torch.tensor(y, dtype=torch.long)
            gold[:len(y), b] = torch.tensor(y, dtype=torch.long)
            gold[len(y), b] = self.EOS
        lengths = torch.tensor([len(x) for x in sources])
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(src), lengths, enforce_sorted=False)
        out, fin = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=S)
        state = self.initial_state(fin[0] if isinstance(fin, tuple) else fin, B)
        emb = self.target_embedding(inp)
        if not self.config["inputFeeding"]:
            h, _ = self.decoder(emb, state)
            c, weights = self.attention(h, memory, lengths)
            attentional = torch.tanh(self.combine(torch.cat([c, h], dim=-1)))
        else:
            feed = torch.zeros(1, B, self.config["decoderHiddenSize"], dtype=emb.dtype)
            steps, ws = [], []
            for t in range(T):
                h, state = self.decoder(torch.cat([emb[t:t + 1], feed], dim=-1), state)
                c, w = self.attention(h, memory, lengths)
                feed = torch.tanh(self.combine(torch.cat([c, h], dim=-1)))
                steps.append(feed)
                ws.append(w)
            attentional, weights = torch.cat(steps), torch.cat(ws)
        logits = self.head(attentional)
        loss = nn.functional.cross_entropy(logits.reshape(T * B, -1), gold.reshape(-1), ignore_index=-100)
        return loss, weights
