"""The theory part of the book: the large-data limit, isotropic data (whitening), two-layer linear networks
trained by gradient descent, signal recovery, and convolution layers (circulant matrices).
"""

from .circulant import (circulant_matrix, conv1d_matrix, is_circulant, real_fourier_gains,
                        gain_order, fourier_permutation_descrambler)
from .linear_nets import (smg_mode_strength, input_output_correlation, aligned_initialisation,
                          random_initialisation, LinearNetTraining, train_linear_net,
                          mode_strengths)
from .perturbation import block_gaps, davis_kahan_bound
from .signal_recovery import (gaussian_blur_matrix, squared_exponential_covariance,
                              smooth_random_signals, blurred_observations,
                              regularised_pseudo_inverse)
from .whitening import isotropic_inputs, whiten

__all__ = ["circulant_matrix", "conv1d_matrix", "is_circulant", "real_fourier_gains",
           "gain_order", "fourier_permutation_descrambler", "smg_mode_strength",
           "input_output_correlation", "aligned_initialisation", "random_initialisation",
           "LinearNetTraining", "train_linear_net", "mode_strengths", "block_gaps",
           "davis_kahan_bound", "gaussian_blur_matrix", "squared_exponential_covariance",
           "smooth_random_signals", "blurred_observations", "regularised_pseudo_inverse",
           "isotropic_inputs", "whiten"]
