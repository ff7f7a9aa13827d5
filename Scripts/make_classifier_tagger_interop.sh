#!/usr/bin/env bash
# Writes the classifier and tagger interop fixtures (Tests/RecurrentTests/Fixtures/interop_*classifier*, *tagger*):
# PyTorch models exported for `rnn` with their logits on fixed inputs, and checkpoints written by
# `rnn train classify|tag` loaded into the PyTorch mirrors (Scripts/torch_models.py) with strict=True,
# with torch's logits. Run by hand from the repository root after `swift build --product rnn` (needs torch).
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/RecurrentTests/Fixtures
rnn=.build/debug/rnn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for pooling in last mean max; do
    python3 Scripts/torch_interop.py export-classifier "$out/interop_torch_classifier_$pooling.safetensors" \
        --pooling "$pooling" --cell lstm --outputs "$out/interop_torch_classifier_${pooling}_outputs.safetensors"
done
python3 Scripts/torch_interop.py export-tagger "$out/interop_torch_tagger.safetensors" \
    --outputs "$out/interop_torch_tagger_outputs.safetensors"

# The other way: Swift-trained checkpoints (GRU, bidirectional, 2 layers, mean pooling; a tagger with characters).
{
    printf 'text\tlabel\n'
    for i in $(seq 1 12); do printf 'w%d w%d good\tpos\nw%d bad w%d\tneg\nw%d w%d so so\tneu\n' $((i % 10)) $(((i + 3) % 10)) $((i % 10)) $(((i + 5) % 10)) $((i % 10)) $(((i + 7) % 10)); done
} > "$work/c.tsv"
"$rnn" train classify --data "$work/c.tsv" --tokenizer whitespace --cell gru --layers 2 --bidirectional --pooling mean \
    --hidden 5 --embedding 6 --dropout 0.1 --steps 5 --force --out "$out/interop_swift_classifier.safetensors"
python3 Scripts/torch_interop.py load-swift-classifier "$out/interop_swift_classifier.safetensors" \
    --outputs "$out/interop_swift_classifier_torch_outputs.safetensors"
for s in 1 2 3 4 5 6; do
    printf '1\tthe\tthe\tDET\t_\t_\t2\tdet\t_\t_\n2\tdog\tdog\tNOUN\t_\t_\t3\tnsubj\t_\t_\n3\tbarks\tbark\tVERB\t_\t_\t0\troot\t_\t_\n4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n\n'
    printf '1\ta\ta\tDET\t_\t_\t2\tdet\t_\t_\n2\tcat\tcat\tNOUN\t_\t_\t3\tnsubj\t_\t_\n3\tsleeps\tsleep\tVERB\t_\t_\t0\troot\t_\t_\n\n'
done > "$work/t.conllu"
"$rnn" train tag --data "$work/t.conllu" --valid-split 0 --hidden 5 --embedding 6 --char-hidden 3 --char-embedding 4 \
    --layers 2 --dropout 0.1 --steps 5 --force --out "$out/interop_swift_tagger.safetensors"
python3 Scripts/torch_interop.py load-swift-tagger "$out/interop_swift_tagger.safetensors" \
    --outputs "$out/interop_swift_tagger_torch_outputs.safetensors"
rm -f "$out"/interop_swift_classifier.resume.safetensors "$out"/interop_swift_tagger.resume.safetensors
