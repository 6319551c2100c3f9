"""Seed 001: the Keras 1 "Getting started with the Sequential model" guide (Chinese translation,
CSDN 2016), run on torchkeras with only its imports changed.

Every program of the article, in its Keras 1 spelling: ``Sequential([...])``, the two-branch
``Merge`` model trained on a list of inputs, ``nb_epoch``, ``init='uniform'``,
``SGD(lr=0.1, decay=1e-6, ...)``, the VGG-like ``Convolution2D(32, 3, 3, border_mode='valid')``
on Theano-ordered ``(3, H, W)`` images, ``LSTM(output_dim=128, inner_activation=...)``, the
image-captioning ``Merge`` of a convnet and a GRU, stacked and stateful LSTMs and two merged
LSTM encoders.  Data are made here (the article's dummy data); where the article's labels are
random, they are made learnable so the training loss visibly falls.  Images are 32x32 instead
of 100x100, the captioning vocabulary is 1000 instead of 10000 and the sample counts are a few
hundred, so the whole file runs in about a minute on a CPU.

Run: python examples/seed_001_sequential_guide.py
"""
import os
import tempfile

import numpy as np

from torchkeras import backend as K
from torchkeras.layers import (GRU, LSTM, Activation, Convolution2D, Dense, Dropout, Embedding,
                               Flatten, MaxPooling2D, Merge, RepeatVector, TimeDistributed)
from torchkeras.models import Sequential
from torchkeras.optimizers import SGD
from torchkeras.utils.np_utils import to_categorical

np.random.seed(1337)


def report(name, model, history):
    losses = history.history['loss']
    print('%s: params %d, loss %.4f -> %.4f' % (name, model.count_params(), losses[0], losses[-1]))


def blobs(n, dim, nb_classes):
    """Gaussian blobs: a learnable stand-in for the article's random data."""
    centers = np.random.normal(0, 3.0, size=(nb_classes, dim))
    labels = np.random.randint(nb_classes, size=(n, 1))
    data = centers[labels[:, 0]] + np.random.normal(0, 1.0, size=(n, dim))
    return data.astype('float32'), labels


# ------------------------------------------------------------------ the Sequential model
model = Sequential([
    Dense(32, input_dim=784),
    Activation('relu'),
    Dense(10),
    Activation('softmax'),
])
model.summary()

model = Sequential()
model.add(Dense(32, input_dim=784))
model.add(Activation('relu'))

# the three equivalent ways of declaring the input shape
for first in (Dense(32, input_shape=(784,)), Dense(32, batch_input_shape=(None, 784)),
              Dense(32, input_dim=784)):
    model = Sequential()
    model.add(first)
    print('input shape', model.input_shape)
for first in (LSTM(32, input_shape=(10, 64)), LSTM(32, batch_input_shape=(None, 10, 64)),
              LSTM(32, input_length=10, input_dim=64)):
    model = Sequential()
    model.add(first)
    print('input shape', model.input_shape, 'params', model.count_params())

# ------------------------------------------------------------------------- the Merge layer
left_branch = Sequential()
left_branch.add(Dense(32, input_dim=784))

right_branch = Sequential()
right_branch.add(Dense(32, input_dim=784))

merged = Merge([left_branch, right_branch], mode='concat')

final_model = Sequential()
final_model.add(merged)
final_model.add(Dense(10, activation='softmax'))
final_model.summary()

# ------------------------------------------------------------------------- compilation
# for a multi-class classification problem
model = Sequential([Dense(10, input_dim=784, activation='softmax')])
model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])
# for a mean squared error regression problem
model.compile(optimizer='rmsprop',
              loss='mse')


# for custom metrics
def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


# (the article's `false_rates` metric returns a dict, which only Keras 1 accepted)

# ---------------------------------------------------------------------------- training
# for a single-input model with 2 classes (binary):
model = Sequential()
model.add(Dense(1, input_dim=784, activation='sigmoid'))
model.compile(optimizer='rmsprop',
              loss='binary_crossentropy',
              metrics=['accuracy', mean_pred])

# generate dummy data
data = np.random.random((1000, 784))
labels = (data[:, :392].sum(axis=1) > data[:, 392:].sum(axis=1)).astype('int').reshape(-1, 1)

# train the model, iterating on the data in batches
# of 32 samples
history = model.fit(data, labels, nb_epoch=10, batch_size=32, verbose=0)
report('binary classifier', model, history)

# for a multi-input model with 10 classes:
left_branch = Sequential()
left_branch.add(Dense(32, input_dim=784))

right_branch = Sequential()
right_branch.add(Dense(32, input_dim=784))

merged = Merge([left_branch, right_branch], mode='concat')

model = Sequential()
model.add(merged)
model.add(Dense(10, activation='softmax'))

model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# generate dummy data
data_1, labels = blobs(320, 784, 10)
data_2 = np.random.random((320, 784))
# we convert the labels to a binary matrix of size (320, 10)
# for use with categorical_crossentropy
labels = to_categorical(labels, 10)

# train the model
# note that we are passing a list of Numpy arrays as training data
# since the model has 2 inputs
history = model.fit([data_1, data_2], labels, nb_epoch=10, batch_size=32, verbose=0)
model.summary()
report('two-branch Merge model', model, history)

# ----------------------------- Multilayer Perceptron (MLP) for multi-class softmax classification
X_train, y_train = blobs(320, 20, 10)
y_train = to_categorical(y_train, 10)
X_test, y_test = X_train[:100], y_train[:100]

model = Sequential()
# Dense(64) is a fully-connected layer with 64 hidden units.
# in the first layer, you must specify the expected input data shape:
# here, 20-dimensional vectors.
model.add(Dense(64, input_dim=20, init='uniform'))
model.add(Activation('tanh'))
model.add(Dropout(0.5))
model.add(Dense(64, init='uniform'))
model.add(Activation('tanh'))
model.add(Dropout(0.5))
model.add(Dense(10, init='uniform'))
model.add(Activation('softmax'))

sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy',
              optimizer=sgd,
              metrics=['accuracy'])

history = model.fit(X_train, y_train,
                    nb_epoch=20,
                    batch_size=16, verbose=0)
score = model.evaluate(X_test, y_test, batch_size=16, verbose=0)
model.summary()
report('MLP (SGD, init=uniform)', model, history)

# the similar MLP, other implementation:
model = Sequential()
model.add(Dense(64, input_dim=20, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(64, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(10, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='adadelta',
              metrics=['accuracy'])

# MLP for binary classification:
model = Sequential()
model.add(Dense(64, input_dim=20, init='uniform', activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(64, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

# ------------------------------------------------------------------------ VGG-like convnet
# The article's images are Theano-ordered: (3, 100, 100) tensors.  Keras 1 read that
# ordering from keras.json ("image_dim_ordering": "th"); here it is set in the script.
K.set_image_dim_ordering('th')

model = Sequential()
# input: 32x32 images with 3 channels -> (3, 32, 32) tensors.
# this applies 32 convolution filters of size 3x3 each.
model.add(Convolution2D(32, 3, 3, border_mode='valid', input_shape=(3, 32, 32)))
model.add(Activation('relu'))
model.add(Convolution2D(32, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Convolution2D(64, 3, 3, border_mode='valid'))
model.add(Activation('relu'))
model.add(Convolution2D(64, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Flatten())
# Note: Keras does automatic shape inference.
model.add(Dense(256))
model.add(Activation('relu'))
model.add(Dropout(0.5))

model.add(Dense(10))
model.add(Activation('softmax'))

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd)

classes = np.random.randint(10, size=(128,))
X_train = np.random.random((128, 3, 32, 32)).astype('float32') * 0.1
X_train[np.arange(128), classes % 3, :, :] += (classes // 3)[:, None, None] * 0.3
Y_train = to_categorical(classes, 10)
history = model.fit(X_train, Y_train, batch_size=32, nb_epoch=3, verbose=0)
model.summary()
report('VGG-like convnet', model, history)

# ------------------------------------------------------- Sequence classification with LSTM
max_features, maxlen = 1000, 20
X_train = np.random.randint(1, max_features, size=(128, maxlen))
Y_train = (X_train[:, -1] > max_features / 2).astype('int')

model = Sequential()
model.add(Embedding(max_features, 256, input_length=maxlen))
model.add(LSTM(output_dim=128, activation='sigmoid', inner_activation='hard_sigmoid'))
model.add(Dropout(0.5))
model.add(Dense(1))
model.add(Activation('sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

history = model.fit(X_train, Y_train, batch_size=16, nb_epoch=10, verbose=0)
score = model.evaluate(X_train[:64], Y_train[:64], batch_size=16, verbose=0)
model.summary()
report('Embedding + LSTM (hard_sigmoid)', model, history)

# ------------------------------------------- Architecture for learning image captions
max_caption_len = 16
vocab_size = 1000

# first, let's define an image model that
# will encode pictures into 128-dimensional vectors.
# it should be initialized with pre-trained weights.
image_model = Sequential()
image_model.add(Convolution2D(32, 3, 3, border_mode='valid', input_shape=(3, 32, 32)))
image_model.add(Activation('relu'))
image_model.add(Convolution2D(32, 3, 3))
image_model.add(Activation('relu'))
image_model.add(MaxPooling2D(pool_size=(2, 2)))

image_model.add(Convolution2D(64, 3, 3, border_mode='valid'))
image_model.add(Activation('relu'))
image_model.add(Convolution2D(64, 3, 3))
image_model.add(Activation('relu'))
image_model.add(MaxPooling2D(pool_size=(2, 2)))

image_model.add(Flatten())
image_model.add(Dense(128))

# let's load the weights from a save file (written here first: the article has its own).
weight_file = os.path.join(tempfile.mkdtemp(), 'weight_file.h5')
image_model.save_weights(weight_file)
image_model.load_weights(weight_file)

# next, let's define a RNN model that encodes sequences of words
# into sequences of 128-dimensional word vectors.
language_model = Sequential()
language_model.add(Embedding(vocab_size, 256, input_length=max_caption_len))
language_model.add(GRU(output_dim=128, return_sequences=True))
language_model.add(TimeDistributed(Dense(128)))

# let's repeat the image vector to turn it into a sequence.
image_model.add(RepeatVector(max_caption_len))

# the output of both models will be tensors of shape (samples, max_caption_len, 128).
# let's concatenate these 2 vector sequences.
model = Sequential()
model.add(Merge([image_model, language_model], mode='concat', concat_axis=-1))
# let's encode this vector sequence into a single vector
model.add(GRU(256, return_sequences=False))
# which will be used to compute a probability
# distribution over what the next word in the caption should be!
model.add(Dense(vocab_size))
model.add(Activation('softmax'))

model.compile(loss='categorical_crossentropy', optimizer='rmsprop')

# "images" is a numpy float array of shape (nb_samples, nb_channels=3, width, height).
# "captions" is a numpy integer array of shape (nb_samples, max_caption_len)
# containing word index sequences representing partial captions.
# "next_words" is a numpy float array of shape (nb_samples, vocab_size)
# containing a categorical encoding (0s and 1s) of the next word in the corresponding
# partial caption.
images = np.random.random((64, 3, 32, 32)).astype('float32')
partial_captions = np.random.randint(1, vocab_size, size=(64, max_caption_len))
next_words = to_categorical(partial_captions[:, -1], vocab_size)
history = model.fit([images, partial_captions], next_words, batch_size=16, nb_epoch=4, verbose=0)
model.summary()
report('image captioning (Merge of convnet and GRU)', model, history)

K.set_image_dim_ordering('tf')

# --------------------------------------------- Stacked LSTM for sequence classification
data_dim = 16
timesteps = 8
nb_classes = 10

# expected input data shape: (batch_size, timesteps, data_dim)
model = Sequential()
model.add(LSTM(32, return_sequences=True,
               input_shape=(timesteps, data_dim)))  # returns a sequence of vectors of dimension 32
model.add(LSTM(32, return_sequences=True))  # returns a sequence of vectors of dimension 32
model.add(LSTM(32))  # return a single vector of dimension 32
model.add(Dense(10, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

# generate dummy training data
x_train = np.random.random((320, timesteps, data_dim))
y_train = np.random.random((320, nb_classes))

# generate dummy validation data
x_val = np.random.random((64, timesteps, data_dim))
y_val = np.random.random((64, nb_classes))

history = model.fit(x_train, y_train,
                    batch_size=64, nb_epoch=5,
                    validation_data=(x_val, y_val), verbose=0)
model.summary()
report('stacked LSTM', model, history)

# ----------------------------------------------------- Same stacked LSTM model, rendered "stateful"
batch_size = 32

# expected input batch shape: (batch_size, timesteps, data_dim)
# note that we have to provide the full batch_input_shape since the network is stateful.
# the sample of index i in batch k is the follow-up for the sample i in batch k-1.
model = Sequential()
model.add(LSTM(32, return_sequences=True, stateful=True,
               batch_input_shape=(batch_size, timesteps, data_dim)))
model.add(LSTM(32, return_sequences=True, stateful=True))
model.add(LSTM(32, stateful=True))
model.add(Dense(10, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

# generate dummy training data
x_train = np.random.random((batch_size * 10, timesteps, data_dim))
y_train = np.random.random((batch_size * 10, nb_classes))

# generate dummy validation data
x_val = np.random.random((batch_size * 3, timesteps, data_dim))
y_val = np.random.random((batch_size * 3, nb_classes))

history = model.fit(x_train, y_train,
                    batch_size=batch_size, nb_epoch=5, shuffle=False,
                    validation_data=(x_val, y_val), verbose=0)
model.summary()
report('stateful stacked LSTM', model, history)

# ---------------------- Two merged LSTM encoders for classification over two parallel sequences
encoder_a = Sequential()
encoder_a.add(LSTM(32, input_shape=(timesteps, data_dim)))

encoder_b = Sequential()
encoder_b.add(LSTM(32, input_shape=(timesteps, data_dim)))

decoder = Sequential()
decoder.add(Merge([encoder_a, encoder_b], mode='concat'))
decoder.add(Dense(32, activation='relu'))
decoder.add(Dense(nb_classes, activation='softmax'))

decoder.compile(loss='categorical_crossentropy',
                optimizer='rmsprop',
                metrics=['accuracy'])

# generate dummy training data
x_train_a = np.random.random((320, timesteps, data_dim))
x_train_b = np.random.random((320, timesteps, data_dim))
y_train = np.random.random((320, nb_classes))

# generate dummy validation data
x_val_a = np.random.random((64, timesteps, data_dim))
x_val_b = np.random.random((64, timesteps, data_dim))
y_val = np.random.random((64, nb_classes))

history = decoder.fit([x_train_a, x_train_b], y_train,
                      batch_size=64, nb_epoch=5,
                      validation_data=([x_val_a, x_val_b], y_val), verbose=0)
decoder.summary()
report('two merged LSTM encoders', decoder, history)
