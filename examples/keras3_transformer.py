"""A Keras 3 program, as keras.io writes it, run on torchkeras: the "Text classification with
Transformer" model (token + position embeddings, one MultiHeadAttention block) on synthetic
token sequences, then the same data through a model with its own ``train_step`` (keras.io's
"Customizing what happens in fit() with PyTorch").

Only the import differs from the Keras 3 script (``import torchkeras as keras``); under
``python -m torchkeras`` it would run with ``import keras`` unchanged.

Run: python examples/keras3_transformer.py
"""
import numpy as np
import torch

import torchkeras as keras
from torchkeras import layers, ops

MAXLEN, VOCAB, EMBED, HEADS, FF = 20, 200, 32, 2, 32


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        positions = ops.arange(start=0, stop=ops.shape(x)[-1], step=1)
        return self.token_emb(x) + self.pos_emb(positions)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation='relu'),
                                     layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.dropout1(self.att(inputs, inputs), training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1), training=training)
        return self.layernorm2(out1 + ffn_output)


def classifier():
    inputs = layers.Input(shape=(MAXLEN,))
    x = TokenAndPositionEmbedding(MAXLEN, VOCAB, EMBED)(inputs)
    x = TransformerBlock(EMBED, HEADS, FF)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation='relu')(x)
    outputs = layers.Dense(2, activation='softmax')(layers.Dropout(0.1)(x))
    return keras.Model(inputs=inputs, outputs=outputs)


class CustomModel(keras.Model):
    """keras.io's torch train_step, verbatim."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == 'loss':
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def report(name, model, history):
    losses = history.history['loss']
    print('%s: params %d, loss %.4f -> %.4f' % (name, model.count_params(), losses[0],
                                                losses[-1]))


# Synthetic reviews: label 1 when the sequence holds more "positive" tokens (< 100).
rng = np.random.RandomState(0)
x = rng.randint(1, VOCAB, size=(512, MAXLEN))
y = (np.sum(x < 100, axis=1) > MAXLEN // 2).astype('int64')

model = classifier()
model.summary()
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
history = model.fit(x, y, batch_size=32, epochs=4, validation_split=0.2, verbose=0)
print('history keys:', list(history.history))
report('transformer classifier', model, history)

inputs = keras.Input(shape=(MAXLEN,))
hidden = layers.GlobalAveragePooling1D()(TokenAndPositionEmbedding(MAXLEN, VOCAB, 8)(inputs))
custom = CustomModel(inputs, layers.Dense(1)(hidden))
custom.compile(optimizer='adam', loss='mse', metrics=['mae'])
history = custom.fit(x, y.astype('float32'), batch_size=32, epochs=4, verbose=0)
report('custom train_step', custom, history)
