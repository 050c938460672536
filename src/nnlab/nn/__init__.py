"""The network core: parameters, forward/backward pairs, initialisers, optimisers, gradient check,
and the processor's subnormal-number modes (denormals)."""
