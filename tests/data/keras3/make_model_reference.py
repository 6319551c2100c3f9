"""Record Keras 3's numbers for the models of tests/keras3_models.py (run once, vendored).

    KERAS_BACKEND=torch /tmp/k3/bin/python tests/data/keras3/make_model_reference.py

For each model: its weights as Keras 3 writes them (<name>.weights.h5), the inputs and
Keras 3's predictions (<name>.npz), and the parameter count and fit History keys
(models.json).  tests/test_attention.py loads the weights into the same model built by
torchkeras and compares.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/, for keras3_models

import keras  # noqa: E402

import keras3_models  # noqa: E402

CASES = {
    'transformer_classifier': dict(loss='sparse_categorical_crossentropy', classes=2),
    'vit_patches': dict(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        classes=3),
}


def case_inputs(name):
    rng = np.random.RandomState(7)
    if name == 'transformer_classifier':
        x = rng.randint(0, 40, size=(16, 12)).astype('int32')
    else:
        x = rng.rand(16, 12, 12, 3).astype('float32')
    y = rng.randint(0, CASES[name]['classes'], size=(16,)).astype('int32')
    return x, y


def main():
    meta = {'keras_version': keras.__version__}
    for name, settings in CASES.items():
        keras.utils.set_random_seed(0)
        model = getattr(keras3_models, name)(keras)
        x, y = case_inputs(name)
        model.save_weights(os.path.join(HERE, name + '.weights.h5'))
        prediction = model.predict(x, verbose=0)
        model.compile(optimizer='adam', loss=settings['loss'], metrics=['accuracy'])
        history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
        np.savez_compressed(os.path.join(HERE, name + '.npz'), x=x, y=y, prediction=prediction)
        meta[name] = {'params': int(model.count_params()),
                      'history_keys': list(history.history)}
    with open(os.path.join(HERE, 'models.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == '__main__':
    main()
