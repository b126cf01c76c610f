"""Meta-learning by differentiating through training (MNIST-1D, Greydanus & Kobak, ICML 2024)."""
