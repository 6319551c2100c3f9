"""Record Keras 3's ConvLSTM outputs (and one weights file) for tests/test_recurrent.py.

    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_convlstm_reference.py
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for the case table

import keras  # noqa: E402

from convlstm_cases import CASES, arrays  # noqa: E402


def main():
    out = {'__keras_version__': np.array(keras.__version__)}
    for case_id, class_name, kwargs, input_shape, masked in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        layer.build(input_shape)
        x, mask, weights = arrays(case_id, input_shape, [w.shape for w in layer.get_weights()])
        layer.set_weights(weights)
        result = layer(x, mask=mask) if masked else layer(x)
        out[case_id] = keras.ops.convert_to_numpy(result)
        out[case_id + '/params'] = np.array(layer.count_params())
        if case_id == 'conv2d_last':
            inputs = keras.Input(input_shape[1:])
            model = keras.Model(inputs, layer(inputs))
            model.save_weights(os.path.join(HERE, 'convlstm.weights.h5'))
    np.savez_compressed(os.path.join(HERE, 'convlstm_reference.npz'), **out)
    print('wrote %d cases (Keras %s)' % (len(CASES), keras.__version__))


if __name__ == '__main__':
    main()
