"""Record Keras 3's Attention / AdditiveAttention outputs for tests/test_attention.py.

    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_attention_reference.py
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for the case table

import keras  # noqa: E402

from attention_cases import CASES, inputs  # noqa: E402


def main():
    arrays = inputs()
    out = {'__keras_version__': np.array(keras.__version__)}
    for case_id, class_name, kwargs, call_kwargs, weights in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        call_kwargs = dict(call_kwargs)
        if call_kwargs.pop('masks', False):
            call_kwargs['mask'] = [arrays['query_mask'], arrays['value_mask']]
        layer.build([arrays['query'].shape, arrays['value'].shape, arrays['key'].shape])
        if weights is not None:
            layer.set_weights([np.asarray(w, dtype='float32') for w in weights])
        result, scores = layer([arrays['query'], arrays['value'], arrays['key']],
                               return_attention_scores=True, **call_kwargs)
        out[case_id] = keras.ops.convert_to_numpy(result)
        out[case_id + '/scores'] = keras.ops.convert_to_numpy(scores)
    np.savez_compressed(os.path.join(HERE, 'attention_reference.npz'), **out)
    print('wrote %d cases (Keras %s)' % (len(CASES), keras.__version__))


if __name__ == '__main__':
    main()
