"""descramble_lib: explain a trained layer by the orthogonal change of basis that makes it readable.

Modules, one concept each:

* :mod:`~descramble_lib.operators` — differentiation matrices and the Fourier basis;
* :mod:`~descramble_lib.orthogonal` — the orthogonal group, Cayley transform;
* :mod:`~descramble_lib.brockett` — the Brockett cost and its exact bound (Lemma 1);
* :mod:`~descramble_lib.solvers` — ``descramble`` and its ``Descrambling`` result.
"""

from .brockett import brockett_bound, brockett_cost, singular_values_padded
from .operators import (first_derivative_matrix, fourier_basis, fourier_pair_rotation,
                        fourier_wavenumbers, second_derivative_matrix, smoothness_eigenvalues,
                        smoothness_operator)
from .orthogonal import (cayley, cayley_curve, fix_determinant, orthogonality_error,
                         random_orthogonal, reorthonormalise)
from .plotting import (centred_fourier_magnitude, plot_fourier_magnitude, plot_matrix,
                       plot_relative_gap)
from .solvers import (FIGURE1_STRATEGIES, METHODS, Descrambling, cayley_descent, descramble,
                      eigenbasis_preconditioner)
from .invertible import (AdditiveCoupling, DecisionBoundary, InvertibleNet, MoonsTraining,
                         boundary_hyperplane, decision_boundary, feature_importance,
                         importance_table, inactive_subnets, logit_difference,
                         project_to_boundary, train_moons_classifier, IMPORTANCE_METHODS)
from .plotting import (plot_boundary_curve, plot_boundary_panel, plot_projections,
                       plot_two_classes)

__version__ = "0.1.0"

__all__ = [
    "brockett_bound", "brockett_cost", "singular_values_padded",
    "fourier_basis", "fourier_wavenumbers", "second_derivative_matrix", "smoothness_operator",
    "first_derivative_matrix", "fourier_pair_rotation", "smoothness_eigenvalues",
    "cayley", "cayley_curve", "fix_determinant", "orthogonality_error", "random_orthogonal",
    "reorthonormalise",
    "FIGURE1_STRATEGIES", "METHODS", "Descrambling", "cayley_descent", "descramble",
    "eigenbasis_preconditioner",
    "centred_fourier_magnitude", "plot_fourier_magnitude", "plot_matrix", "plot_relative_gap",
]

# Invertible networks (chapter 7).
__all__ += [
    "AdditiveCoupling", "DecisionBoundary", "InvertibleNet", "MoonsTraining",
    "importance_table", "IMPORTANCE_METHODS",
    "boundary_hyperplane", "decision_boundary", "feature_importance", "inactive_subnets",
    "logit_difference", "project_to_boundary", "train_moons_classifier",
    "plot_boundary_curve", "plot_boundary_panel", "plot_projections", "plot_two_classes",
]

# Theory chapters: large-data limit, isotropic data, linear networks, convolutions (3-6).
from .circulant import (circulant_matrix, conv1d_matrix, fourier_permutation_descrambler,
                        gain_order, is_circulant, real_fourier_gains)
from .comparison import (align_in_blocks, block_subspace_angles, davis_kahan_bound,
                         descrambler_distance, fourier_blocks, tie_blocks)
from .linear_nets import (LinearNetTraining, aligned_initialisation, input_output_correlation,
                          mode_strengths, random_initialisation, smg_mode_strength,
                          train_linear_net)
from .permutations import PermutationDescrambling, descramble_permutation, spectral_order
from .plotting import (plot_curves, plot_matrices, plot_mode_strengths, plot_rate,
                       plot_rows)
from .signal_recovery import (blurred_observations, gaussian_blur_matrix,
                              smooth_random_signals)
from .whitening import isotropic_inputs, whiten

__all__ += [
    "circulant_matrix", "conv1d_matrix", "fourier_permutation_descrambler", "gain_order",
    "is_circulant", "real_fourier_gains",
    "align_in_blocks", "block_subspace_angles", "davis_kahan_bound", "descrambler_distance",
    "fourier_blocks", "tie_blocks",
    "LinearNetTraining", "aligned_initialisation", "input_output_correlation",
    "mode_strengths", "random_initialisation", "smg_mode_strength", "train_linear_net",
    "PermutationDescrambling", "descramble_permutation", "spectral_order",
    "plot_curves", "plot_matrices", "plot_mode_strengths", "plot_rate", "plot_rows",
    "blurred_observations", "gaussian_blur_matrix", "smooth_random_signals",
    "isotropic_inputs", "whiten",
]

# DEER and DEERNet: physics, the two-layer network, the Tikhonov baseline.
from .constants import DIPOLAR_ANGULAR_RAD_PER_US_NM3, DIPOLAR_CONSTANT_MHZ_NM3
from .deer import (SIMULATION_RANGES, DEERSimulation, background, dipolar_kernel,
                   distance_grid, distribution_error, simulate, time_grid, trapezoid_weights,
                   unit_area)
from .deernet import (DEERNet, DEERNetConfig, TrainedDEERNet, TrainingHistory,
                      deernet_cache_path, deernet_data, layer_weights, preactivations,
                      pretrained_deernet, train_deernet)
from .plotting import (plot_deer_examples, plot_dipolar_kernel, plot_distribution_estimates,
                       plot_error_distributions, plot_singular_values, plot_training_history)
from .regularisation import (TikhonovResult, gcv_tikhonov, nonnegative_tikhonov,
                             second_difference_operator, tikhonov, tikhonov_deer)

__all__ += [
    "DIPOLAR_ANGULAR_RAD_PER_US_NM3", "DIPOLAR_CONSTANT_MHZ_NM3",
    "SIMULATION_RANGES", "DEERSimulation", "background", "dipolar_kernel", "distance_grid",
    "distribution_error", "simulate", "time_grid", "trapezoid_weights", "unit_area",
    "DEERNet", "DEERNetConfig", "TrainedDEERNet", "TrainingHistory", "deernet_cache_path",
    "deernet_data", "layer_weights", "preactivations", "pretrained_deernet", "train_deernet",
    "plot_deer_examples", "plot_dipolar_kernel", "plot_distribution_estimates",
    "plot_error_distributions", "plot_singular_values", "plot_training_history",
    "TikhonovResult", "gcv_tikhonov", "second_difference_operator", "tikhonov",
    "tikhonov_deer", "nonnegative_tikhonov",
]

# Using descrambling: your own torch layer, general losses, the digits example (chapter 8).
from .digits import (DIGIT_IMAGE_SHAPE, DigitsData, DigitsTraining, digits_data, digits_mlp,
                     train_digits_mlp)
from .general_losses import autograd_cost, brockett_loss, smoothness_loss, sparsity_loss
from .layers import (LayerDescrambling, descramble_layer, find_linear_layer,
                     layer_preactivations, linear_layer_names, neuron_axis_spectrum)
from .plotting import plot_neuron_axis_spectrum, plot_weight_tiles, weight_tiles

__all__ += [
    "DIGIT_IMAGE_SHAPE", "DigitsData", "DigitsTraining", "digits_data", "digits_mlp",
    "train_digits_mlp",
    "autograd_cost", "brockett_loss", "smoothness_loss", "sparsity_loss",
    "LayerDescrambling", "descramble_layer", "find_linear_layer", "layer_preactivations",
    "linear_layer_names", "neuron_axis_spectrum",
    "plot_neuron_axis_spectrum", "plot_weight_tiles", "weight_tiles",
]

# Theory chapters (second pass): eigenvalue gaps of index blocks, the signal prior and
# the regularised pseudo-inverse of the signal-recovery task.
from .comparison import block_gaps
from .signal_recovery import regularised_pseudo_inverse, squared_exponential_covariance

__all__ += ["block_gaps", "regularised_pseudo_inverse", "squared_exponential_covariance"]

# Reproducing the paper: Figures 1-4 and Table 1 on the trained DEERNet (chapters 9-13).
from .deernet_analysis import (BAND_ROWS, SMOOTH_BASES, STRATEGIES, STRATEGY_LABELS,
                               DEERNetExplanation, align_signs, band_mask, band_relative_norm,
                               bandedness, descramble_deernet_layer, empirical_percentile,
                               explain_deernet, magnitude_correlation,
                               nested_subspace_overlaps, random_bandedness,
                               scaled_singular_vectors, singular_subspace, smooth_basis,
                               subspace_overlap, zero_frequency_contrast)
from .plotting import (plot_descrambled_weights, plot_fourier_panel, plot_inner_product_map,
                       plot_null_distribution)
from .tables import markdown_table

__all__ += [
    "BAND_ROWS", "SMOOTH_BASES", "STRATEGIES", "STRATEGY_LABELS", "DEERNetExplanation",
    "align_signs", "band_mask", "band_relative_norm", "bandedness", "descramble_deernet_layer",
    "empirical_percentile", "explain_deernet", "magnitude_correlation",
    "nested_subspace_overlaps", "random_bandedness",
    "scaled_singular_vectors", "singular_subspace", "smooth_basis", "subspace_overlap",
    "zero_frequency_contrast",
    "plot_descrambled_weights", "plot_fourier_panel", "plot_inner_product_map",
    "plot_null_distribution",
    "markdown_table",
]

from .weight_statistics import (column_share, matched_row_cosines, participation_number,
                                top_entry_share)

__all__ += ["column_share", "matched_row_cosines", "participation_number", "top_entry_share"]

# Reproducing the paper, second pass: timing on a shared machine, the band-pass bound,
# descrambler angles, the Figure 3 numbers against the kernel, and the shape of components.
from .deernet_analysis import (band_norm_lower_bound, column_cosines, even_share,
                               kernel_resemblance, low_frequency_angle,
                               top_direction_alignment, zero_crossings)
from .timing import Timing, best_time, blas_threads

__all__ += ["band_norm_lower_bound", "column_cosines", "even_share", "kernel_resemblance",
            "low_frequency_angle", "top_direction_alignment", "zero_crossings",
            "Timing", "best_time", "blas_threads"]
