"""Seed 003: a zoo of Keras functional-API models (Chinese article after machinelearningmastery),
run on torchkeras with only the imports changed.

Multilayer perceptron, convolutional network, recurrent network, bidirectional LSTM, shared
input layer, shared feature extraction layer, multiple inputs and multiple outputs: each is
built exactly as the article builds it and summarized; a few are also trained briefly on
synthetic data (the article only summarizes them).

Run: python examples/seed_003_functional_zoo.py
"""
import numpy as np

from torchkeras import backend as K
from torchkeras.layers import (LSTM, Bidirectional, Concatenate, Conv2D, Dense, Embedding,
                               Flatten, Input, MaxPooling2D, TimeDistributed)
from torchkeras.models import Model

np.random.seed(3)


def report(name, model, history):
    losses = history.history['loss']
    print('%s: params %d, loss %.4f -> %.4f' % (name, model.count_params(), losses[0], losses[-1]))


# ------ Multilayer Perceptron ------
K.clear_session()
# MLP model
x = Input(shape=(32,))
hidden1 = Dense(10, activation='relu')(x)
hidden2 = Dense(20, activation='relu')(hidden1)
hidden3 = Dense(10, activation='relu')(hidden2)
output = Dense(1, activation='sigmoid')(hidden3)
model = Model(inputs=x, outputs=output)
# summarize layers
model.summary()
data = np.random.random((512, 32))
labels = (data[:, :16].sum(axis=1) > 8).astype('float32')
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(data, labels, epochs=15, batch_size=32, verbose=0)
report('multilayer perceptron', model, history)

# ------ Convolutional Neural Network ------
K.clear_session()
# CNN model
x = Input(shape=(64, 64, 3))
conv1 = Conv2D(16, (5, 5), activation='relu')(x)
pool1 = MaxPooling2D((2, 2))(conv1)
conv2 = Conv2D(32, (3, 3), activation='relu')(pool1)
pool2 = MaxPooling2D((2, 2))(conv2)
conv3 = Conv2D(32, (3, 3), activation='relu')(pool2)
pool3 = MaxPooling2D((2, 2))(conv3)
flat = Flatten()(pool3)
hidden1 = Dense(512, activation='relu')(flat)
output = Dense(10, activation='softmax')(hidden1)
model = Model(inputs=x, outputs=output)
# summarize layers
model.summary()

# ------ Recurrent Neural Network ------
K.clear_session()
VOCAB_SIZE = 10000
EMBED_DIM = 128
x = Input(shape=(100,), dtype='int32')
embedding = Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True)(x)
hidden1 = LSTM(64)(embedding)
hidden2 = Dense(32, activation='relu')(hidden1)
output = Dense(1, activation='sigmoid')(hidden2)
model = Model(inputs=x, outputs=output)
# summarize layers
model.summary()

# ------ Bidirectional recurrent neural network ------
K.clear_session()
VOCAB_SIZE = 10000
EMBED_DIM = 128
HIDDEN_SIZE = 64
# input layer
x = Input(shape=(100,), dtype='int32')
# embedding layer
embedding = Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True)(x)
# BiLSTM layer
hidden = Bidirectional(LSTM(HIDDEN_SIZE, return_sequences=True))(embedding)
# prediction layer
output = Dense(10, activation='softmax')(hidden)
model = Model(inputs=x, outputs=output)
model.summary()

# ------ Shared Input Layer Model ------
K.clear_session()
# input layer
x = Input(shape=(64, 64, 3))
# first feature extractor
conv1 = Conv2D(32, (3, 3), activation='relu')(x)
pool1 = MaxPooling2D((2, 2))(conv1)
flat1 = Flatten()(pool1)
# second feature extractor
conv2 = Conv2D(16, (5, 5), activation='relu')(x)
pool2 = MaxPooling2D((2, 2))(conv2)
flat2 = Flatten()(pool2)
# merge feature
merge = Concatenate()([flat1, flat2])
# interpretation layer
hidden1 = Dense(128, activation='relu')(merge)
# prediction layer
output = Dense(10, activation='softmax')(merge)
model = Model(inputs=x, outputs=output)
model.summary()

# ------ Shared Feature Extraction Layer ------
K.clear_session()
# input layer
x = Input(shape=(100, 32))
# feature extraction
extract1 = LSTM(64)(x)
# first interpretation model
interp1 = Dense(32, activation='relu')(extract1)
# second interpretation model
interp11 = Dense(64, activation='relu')(extract1)
interp12 = Dense(32, activation='relu')(interp11)
# merge interpretation
merge = Concatenate()([interp1, interp12])
# output layer
output = Dense(10, activation='softmax')(merge)
model = Model(inputs=x, outputs=output)
model.summary()

# ------ Multiple Input Model ------
K.clear_session()
# first input model
input1 = Input(shape=(64, 64, 1))
conv11 = Conv2D(32, (5, 5), activation='relu')(input1)
pool11 = MaxPooling2D(pool_size=(2, 2))(conv11)
conv12 = Conv2D(16, (3, 3), activation='relu')(pool11)
pool12 = MaxPooling2D(pool_size=(2, 2))(conv12)
flat1 = Flatten()(pool12)
# second input model
input2 = Input(shape=(32, 32, 3))
conv21 = Conv2D(32, (5, 5), activation='relu')(input2)
pool21 = MaxPooling2D(pool_size=(2, 2))(conv21)
conv22 = Conv2D(16, (3, 3), activation='relu')(pool21)
pool22 = MaxPooling2D(pool_size=(2, 2))(conv22)
flat2 = Flatten()(pool22)
# merge input models
merge = Concatenate()([flat1, flat2])
# interpretation model
hidden1 = Dense(20, activation='relu')(merge)
output = Dense(1, activation='sigmoid')(hidden1)
model = Model(inputs=[input1, input2], outputs=output)
model.summary()
images_1 = np.random.random((64, 64, 64, 1)).astype('float32')
images_2 = np.random.random((64, 32, 32, 3)).astype('float32')
labels = (images_2[:, :16].mean(axis=(1, 2, 3)) > images_2[:, 16:].mean(axis=(1, 2, 3)))
model.compile(optimizer='adam', loss='binary_crossentropy')
history = model.fit([images_1, images_2], labels.astype('float32'), epochs=3, batch_size=16,
                    verbose=0)
report('multiple inputs', model, history)

# ------ Multiple Output Model ------
K.clear_session()
x = Input(shape=(100, 1))
extract = LSTM(10, return_sequences=True)(x)
class11 = LSTM(10)(extract)
class12 = Dense(10, activation='relu')(class11)
output1 = Dense(1, activation='sigmoid')(class12)
output2 = TimeDistributed(Dense(1, activation='linear'))(extract)
model = Model(inputs=x, outputs=[output1, output2])
model.summary()
sequences = np.random.random((128, 100, 1)).astype('float32')
classes = (sequences[:, -10:, 0].mean(axis=1) > 0.5).astype('float32')
tags = np.cumsum(sequences, axis=1) / 50.0
model.compile(optimizer='adam', loss=['binary_crossentropy', 'mse'], loss_weights=[1.0, 0.5])
history = model.fit(sequences, [classes, tags], epochs=8, batch_size=32, verbose=0)
print('history keys:', list(history.history))
report('multiple outputs', model, history)
