"""Record keras.ops outputs from real Keras 3 for tests/test_ops.py (run once, vendored).

    python -m venv --system-site-packages /tmp/k3 && /tmp/k3/bin/pip install keras==3.15.1
    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_ops_reference.py

It runs every case of tests/ops_cases.py and writes ops_reference.npz beside this file: one
array per output (``<id>`` or ``<id>/<i>`` for ops returning several), plus
``__keras_version__``.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for ops_cases

import keras  # noqa: E402
from keras import ops  # noqa: E402

from ops_cases import CASES, inputs, resolve  # noqa: E402


def lookup(path):
    target = ops
    for part in path.split('.'):
        target = getattr(target, part)
    return target


def main():
    arrays = inputs()
    out = {'__keras_version__': np.array(keras.__version__)}
    for case_id, path, args, kwargs in CASES:
        result = lookup(path)(*resolve(args, arrays, ops.convert_to_tensor), **kwargs)
        if isinstance(result, (list, tuple)):
            for i, part in enumerate(result):
                out['%s/%d' % (case_id, i)] = ops.convert_to_numpy(part)
        else:
            out[case_id] = ops.convert_to_numpy(result)
    np.savez_compressed(os.path.join(HERE, 'ops_reference.npz'), **out)
    print('wrote %d arrays for %d cases (Keras %s)'
          % (len(out) - 1, len(CASES), keras.__version__))


if __name__ == '__main__':
    main()
