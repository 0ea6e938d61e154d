"""Quickstart: train a small LSTM on a noisy sine wave with tsrnn's kernels.

tsrnn's estimators (with their own optimizers and early stopping) come later; this shows the
building block under them: ``RecurrentNetwork.loss_and_grad`` gives the loss and every gradient
(backpropagation through time in Numba), and a few lines of Adam train it.

    python examples/quickstart.py
"""

import time

import numpy as np

import tsrnn

WINDOW, HIDDEN, STEPS, LEARNING_RATE = 24, 16, 300, 1e-2


def sine_windows(n_points=600, seed=0):
    """Input windows (n, WINDOW, 1) of a noisy sine wave and the value after each."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_points)
    series = np.sin(2 * np.pi * t / 25) + 0.1 * rng.normal(size=n_points)
    windows = np.lib.stride_tricks.sliding_window_view(series, WINDOW + 1)
    return windows[:, :WINDOW, None], windows[:, WINDOW:]


def adam(net, x, y, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Plain full-batch Adam on the flat parameter vector; returns the loss curve."""
    m = np.zeros_like(net.theta)
    v = np.zeros_like(net.theta)
    losses = []
    for step in range(1, steps + 1):
        loss, grads = net.loss_and_grad(x, y)
        g = np.concatenate([grads[name].ravel() for name in net.params])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
        net.theta -= (lr * m_hat / (np.sqrt(v_hat) + eps)).astype(net.theta.dtype)
        losses.append(loss)
    return losses


def main():
    x, y = sine_windows()
    split = int(0.8 * len(x))
    net = tsrnn.RecurrentNetwork("lstm", input_size=1, hidden_size=HIDDEN, random_state=0)
    print(net)
    start = time.perf_counter()
    losses = adam(net, x[:split], y[:split], STEPS, LEARNING_RATE)
    seconds = time.perf_counter() - start
    print(f"trained {STEPS} full-batch Adam steps on {split} windows in {seconds:.1f} s "
          f"(first call includes Numba compilation unless cached)")
    print(f"training MSE: first step {losses[0]:.4f}, last step {losses[-1]:.4f}")
    test_mse = float(np.mean((net.forward(x[split:]) - y[split:]) ** 2))
    print(f"held-out MSE: {test_mse:.4f} (noise variance 0.0100)")
    print("next value of the last 5 held-out windows (prediction vs truth):")
    for pred, true in zip(net.forward(x[-5:])[:, 0], y[-5:, 0], strict=True):
        print(f"  {pred:+.3f}  {true:+.3f}")


if __name__ == "__main__":
    main()
