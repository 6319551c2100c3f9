"""Record Keras 3's SpectralNormalization step for tests/test_wrappers.py.

    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_spectral_reference.py
"""
import os

import numpy as np

import keras

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.RandomState(3)
    x = rng.randn(4, 5).astype('float32')
    kernel = rng.randn(5, 3).astype('float32')
    bias = rng.randn(3).astype('float32')
    vector_u = rng.randn(1, 3).astype('float32')
    layer = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    layer.build((None, 5))
    order = [w.path for w in layer.weights]
    by_name = {'kernel': kernel, 'bias': bias, 'vector_u': vector_u}
    layer.set_weights([by_name[p.split('/')[-1]] for p in order])
    inference = keras.ops.convert_to_numpy(layer(x, training=False))
    training = keras.ops.convert_to_numpy(layer(x, training=True))
    after = {p.split('/')[-1]: keras.ops.convert_to_numpy(w) for p, w in
             zip(order, layer.weights)}
    np.savez_compressed(os.path.join(HERE, 'spectral_reference.npz'), x=x, kernel=kernel,
                        bias=bias, vector_u=vector_u, inference=inference, training=training,
                        kernel_after=after['kernel'], vector_u_after=after['vector_u'],
                        order=np.array([p.split('/')[-1] for p in order]),
                        keras_version=np.array(keras.__version__))
    print('order', order)


if __name__ == '__main__':
    main()
