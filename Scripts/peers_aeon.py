#!/usr/bin/env python3
"""The peers a time-series user would try instead of an RNN, on the same .ts files
`rnn train classify` reads: aeon's MiniRocket and 1-nearest-neighbour DTW.
Prints one JSON line per (set, method): test accuracy and fit+predict seconds.

  pip install aeon        # 1.6.0 measured in docs/results.md
  python3 Scripts/peers_aeon.py [--data ../shared/data/timeseries] [--set JapaneseVowels ...]
"""
import argparse
import json
import os
import time

import numpy as np
from aeon.classification.convolution_based import MiniRocketClassifier
from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
from aeon.datasets import load_from_ts_file

SETS = ["JapaneseVowels", "BasicMotions", "GunPoint"]


def methods():
    return {
        "minirocket": lambda: MiniRocketClassifier(random_state=0),
        "1nn-dtw": lambda: KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "timeseries"))
    p.add_argument("--set", action="append", default=[])
    args = p.parse_args()
    import aeon
    for name in args.set or SETS:
        X_train, y_train = load_from_ts_file(os.path.join(args.data, name, f"{name}_TRAIN.ts"))
        X_test, y_test = load_from_ts_file(os.path.join(args.data, name, f"{name}_TEST.ts"))
        for method, make in methods().items():
            start = time.perf_counter()
            try:
                clf = make()
                clf.fit(X_train, y_train)
                accuracy = float(np.mean(clf.predict(X_test) == y_test))
                result = {"accuracy": round(accuracy, 4)}
            except Exception as e:  # a method that does not apply (e.g. unequal lengths)
                result = {"accuracy": None, "error": f"{type(e).__name__}: {str(e)[:160]}"}
            result.update({"set": name, "method": method, "seconds": round(time.perf_counter() - start, 2), "aeon": aeon.__version__})
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
