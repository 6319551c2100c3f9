"""Record Keras 3's lookup-layer outputs and vocabularies for tests/test_lookup_layers.py.

Keras 3's string layers need TensorFlow, also on the torch backend:

    python -m venv --system-site-packages /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu
    KERAS_BACKEND=torch /tmp/tf/bin/python tests/data/keras3/make_lookup_reference.py
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for the case table

import keras  # noqa: E402

from lookup_cases import CASES  # noqa: E402


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, 'item') else value


def main():
    out = {'keras_version': keras.__version__, 'cases': {}}
    for case_id, class_name, kwargs, adapt_data, call_data in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        if adapt_data is not None:
            layer.adapt(np.array(adapt_data))
        result = keras.ops.convert_to_numpy(layer(np.array(call_data)))
        out['cases'][case_id] = {'vocabulary': _plain(layer.get_vocabulary()),
                                 'output': result.tolist(), 'dtype': str(result.dtype)}
    with open(os.path.join(HERE, 'lookup_reference.json'), 'w') as f:
        json.dump(out, f, indent=1)
    print('wrote %d cases (Keras %s)' % (len(CASES), keras.__version__))


if __name__ == '__main__':
    main()
