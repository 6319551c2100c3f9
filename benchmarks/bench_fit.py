"""fit() against a hand-written PyTorch loop on the same architecture and data.

    python benchmarks/bench_fit.py [--device cpu|cuda] [--epochs 3] [--batch-size 32]
                                   [--samples 10000] [--models mlp,convnet,lstm,transformer]
                                   [--verbose 0] [--jit] [--stat min|median] [--threads N]

For each model, the seconds per epoch of ``model.fit(x, y, batch_size, verbose)`` (torchkeras)
and of the loop a PyTorch user writes by hand for the same layers (``nn.Linear`` / ``nn.Conv2d``
/ ``nn.LSTM`` / ``nn.MultiheadAttention``)::

    for each epoch: perm = randperm(N)
        for each batch: out = net(x[idx]); loss = F.cross_entropy(out, y[idx])
                        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
                        total += loss.detach() * len(idx)      # no host sync per step
        total.item()

Both use the same ``torch.optim.Adam`` (passed to ``compile`` as a torch optimizer), the same
data already on the device, shuffling, and the minimum (``--stat median``: the median) of
``--epochs`` timed epochs, interleaved with the raw loop's, after one warm-up epoch.  The
ratio column is fit / raw (1.00 = as fast as the raw loop).  Models whose layers torchkeras
does not have yet are reported as skipped.
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import torchkeras
from torchkeras import layers

N_CLASSES = 10


# ------------------------------------------------------------------------- models

def mlp(n):
    """MLP 784-512-512-10 on random vectors."""
    model = torchkeras.Sequential([
        layers.Dense(512, activation='relu', input_shape=(784,)),
        layers.Dense(512, activation='relu'),
        layers.Dense(N_CLASSES, activation='softmax')])
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, N_CLASSES))
    x = np.random.rand(n, 784).astype('float32')
    return model, net, x, lambda t: t


def convnet(n):
    """Conv(32,3)-pool-Conv(64,3)-pool-Dense(10) on random 28x28x1 images."""
    model = torchkeras.Sequential([
        layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation='relu'),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(N_CLASSES, activation='softmax')])
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, N_CLASSES))
    x = np.random.rand(n, 28, 28, 1).astype('float32')
    # The hand-written loop takes the NCHW layout PyTorch users feed their nets.
    return model, net, x, lambda t: t.permute(0, 3, 1, 2).contiguous()


class _LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.out = nn.Linear(64, N_CLASSES)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.out(h[-1])


def lstm(n):
    """LSTM(64) over 50 steps of 32 features -> Dense(10)."""
    model = torchkeras.Sequential([
        layers.LSTM(64, input_shape=(50, 32)),
        layers.Dense(N_CLASSES, activation='softmax')])
    x = np.random.rand(n, 50, 32).astype('float32')
    return model, _LSTMNet(), x, lambda t: t


SEQ, WIDTH, HEADS, FFN = 128, 256, 4, 512


class _EncoderBlock(nn.Module):
    """The transformer encoder block a PyTorch user writes: nn.MultiheadAttention (SDPA
    inside), residual + LayerNorm, a ReLU feed-forward, residual + LayerNorm."""

    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        self.norm1 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.ffn = nn.Sequential(nn.Linear(WIDTH, FFN), nn.ReLU(), nn.Linear(FFN, WIDTH))
        self.norm2 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.out = nn.Linear(WIDTH, N_CLASSES)

    def forward(self, x):
        x = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
        x = self.norm2(x + self.ffn(x))
        return self.out(x.mean(dim=1))


class _SDPAttention(nn.Module):
    """Self-attention written out: one packed q/k/v Linear, scaled_dot_product_attention."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)

    def forward(self, x, *_, **__):
        batch, steps, _ = x.shape
        q, k, v = self.qkv(x).view(batch, steps, 3, HEADS, WIDTH // HEADS).permute(
            2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return (self.proj(out.transpose(1, 2).reshape(batch, steps, WIDTH)),)


def transformer(n, raw_attention=None):
    """One encoder block (MultiHeadAttention 4 x 64 + FFN 512) over 128 steps of 256 features,
    mean-pooled -> Dense(10); run it with --batch-size 64."""
    inputs = torchkeras.Input((SEQ, WIDTH))
    attended = layers.MultiHeadAttention(num_heads=HEADS, key_dim=WIDTH // HEADS)(inputs, inputs)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([inputs, attended]))
    ffn = layers.Dense(WIDTH)(layers.Dense(FFN, activation='relu')(x))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ffn]))
    outputs = layers.Dense(N_CLASSES, activation='softmax')(layers.GlobalAveragePooling1D()(x))
    x_data = np.random.rand(n, SEQ, WIDTH).astype('float32')
    block = _EncoderBlock()
    if raw_attention is not None:
        block.attention = raw_attention
    return torchkeras.Model(inputs, outputs), block, x_data, lambda t: t


def transformer_sdpa(n):
    """The same block against a raw loop whose attention is the SDPA module above."""
    return transformer(n, _SDPAttention())


MODELS = {'mlp': mlp, 'convnet': convnet, 'lstm': lstm, 'transformer': transformer,
          'transformer_sdpa': transformer_sdpa}


# ------------------------------------------------------------------------ timing

def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def fit_epoch(model, x, y, args, device):
    """One epoch of torchkeras fit (returns a function running it)."""
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.compile(optimizer=optimizer, loss='sparse_categorical_crossentropy',
                  jit_compile=args.jit)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    def run():
        model.fit(xt, yt, batch_size=args.batch_size, epochs=1, verbose=args.verbose)
    return run


def raw_epoch(net, x, y, to_layout, args, device):
    """One epoch of the hand-written loop (returns a function running it)."""
    net.to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt = to_layout(torch.from_numpy(x).to(device))
    yt = torch.from_numpy(y).to(device)
    n, bs = len(xt), args.batch_size

    def run():
        net.train()
        total = torch.zeros((), device=device)
        perm = torch.randperm(n, device=device)
        for begin in range(0, n, bs):
            idx = perm[begin:begin + bs]
            loss = F.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.detach() * len(idx)
        (total / n).item()
    return run


def epoch_times(runs, epochs, device, stat):
    """Epochs of each run interleaved (so machine noise hits both alike); the first is a
    warm-up (allocator, lazy builds, compilation).  The min (or median) seconds per run."""
    times = [[] for _ in runs]
    for epoch in range(epochs + 1):
        for run, spent in zip(runs, times):
            _sync(device)
            start = time.perf_counter()
            run()
            _sync(device)
            if epoch:
                spent.append(time.perf_counter() - start)
    reduce = min if stat == 'min' else statistics.median
    return [reduce(spent) for spent in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default=None, help='cpu or cuda (default: CUDA if available)')
    parser.add_argument('--epochs', type=int, default=3, help='timed epochs (after 1 warm-up)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--samples', type=int, default=10000)
    parser.add_argument('--models', default='mlp,convnet,lstm')
    parser.add_argument('--verbose', type=int, default=0, help='fit(verbose=...)')
    parser.add_argument('--jit', action='store_true', help='compile(jit_compile=True)')
    parser.add_argument('--stat', choices=('min', 'median'), default='min',
                        help='per-epoch statistic (min resists noise from other processes)')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    torch.manual_seed(0)
    np.random.seed(0)
    print('device: %s  torch %s  threads %d  batch_size %d  timed epochs %d (%s)  verbose %d%s'
          % (device, torch.__version__, torch.get_num_threads(), args.batch_size, args.epochs,
             args.stat, args.verbose, '  jit_compile' if args.jit else ''))
    print('%-8s %14s %14s %8s' % ('model', 'fit s/epoch', 'raw s/epoch', 'ratio'))
    for name in args.models.split(','):
        try:
            model, net, x, to_layout = MODELS[name](args.samples)
        except AttributeError as error:  # a layer torchkeras does not have yet
            print('%-8s skipped: %s' % (name, error))
            continue
        y = np.random.randint(0, N_CLASSES, len(x)).astype('int64')
        fit, raw = epoch_times([fit_epoch(model, x, y, args, device),
                                raw_epoch(net, x, y, to_layout, args, device)],
                               args.epochs, device, args.stat)
        print('%-8s %14.4f %14.4f %8.3f' % (name, fit, raw, fit / raw), flush=True)


if __name__ == '__main__':
    main()
