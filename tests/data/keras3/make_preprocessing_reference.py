"""Record Keras 3's preprocessing-layer outputs for tests/test_preprocessing_layers.py.

    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_preprocessing_reference.py
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for the case table

import keras  # noqa: E402

from preprocessing_cases import CASES, inputs  # noqa: E402


def main():
    arrays = inputs()
    out = {'__keras_version__': np.array(keras.__version__)}
    for case_id, class_name, kwargs, input_name, adapt_name in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        if adapt_name is not None:
            layer.adapt(arrays[adapt_name])
        result = keras.ops.convert_to_numpy(layer(arrays[input_name]))
        out[case_id] = result
        out[case_id + '/params'] = np.array(layer.count_params())
    np.savez_compressed(os.path.join(HERE, 'preprocessing_reference.npz'), **out)
    print('wrote %d cases (Keras %s)' % (len(CASES), keras.__version__))


if __name__ == '__main__':
    main()
