"""The parity harness: graphs defined once, replayed in micrograd_ref and torch.autograd, every node compared."""
