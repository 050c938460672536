"""The network core: parameters, forward/backward pairs, initialisers, optimisers, gradient check."""
