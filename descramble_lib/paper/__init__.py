"""Reproducing the paper's Figures 1-4 and Table 1: Fourier-band measures (bands), singular subspaces
(subspaces), the shape of components (components), the descrambling strategies (strategies), and
the paper's own descrambler, trust-region Newton–CG in Cayley coordinates (original),
the Fourier images and "Rel norm" as the paper's scripts compute them (original_images), and
Figure 4 as its script computes it (original_components), and whether a network trained on the
kernel learns a regularised pseudo-inverse (chapter 15: pseudo_inverse, references and measures;
kernel_learning, data and learners; pseudo_inverse_verdict, the experiment and its verdict).
"""

from .bands import (FourierView, fourier_view, band_mask, band_relative_norm, band_norm_lower_bound, low_frequency_angle,
                    top_direction_alignment, zero_frequency_contrast, magnitude_correlation,
                    centred_fourier_magnitude, BAND_ROWS)
from .components import (SMOOTH_BASES, smooth_basis, zero_crossings, even_share,
                         column_cosines, align_signs, bandedness, random_bandedness,
                         empirical_percentile)
from .strategies import (STRATEGIES, STRATEGY_LABELS, descramble_deernet_layer,
                         DEERNetExplanation, explain_deernet, ORIGINAL_STRATEGIES)
from .findings import (ACTIVATIONS, principal_tail_energy, singular_tail_energy,
                       same_moment_preactivations, activation_mismatch)
from .original import (ORIGINAL_OPERATORS, original_cost_matrix, original_problem,
                       EigenbasisStart, eigenbasis_start, original_descramble,
                       skew_from_coordinates, coordinates_from_skew, cayley_from_coordinates,
                       cayley_preimage, coordinate_cost_and_gradient, spectral_normalise,
                       trust_region_descent)
from .original_components import (original_chebyshev, original_normalisation, PolynomialBand,
                                  polynomial_prediction_band, original_inner_products,
                                  OriginalFigure4, original_figure_4,
                                  original_random_bandedness)
from .original_images import (ORIGINAL_BAND_BLOCKS, FIGURE2_CROP, FIGURE3_KERNEL_ROWS,
                              FIGURE3_LAYER_COLUMNS, OriginalImage, original_dft,
                              original_frequencies, original_fourier_image,
                              original_relative_norm, original_weights_panel,
                              original_kernel_image, original_layer_image)
from .pseudo_inverse import (tikhonov_map, gcv_alpha, operator_distance, same_spectrum_map,
                             filter_factors, resolved_modes, picard_cutoff,
                             principal_readers, best_match_overlaps, band_shares,
                             random_basis_matches)
from .kernel_learning import (KERNEL_NOISE, KernelData, kernel_data, LinearNetFit,
                              best_low_rank_map, train_kernel_linear_net, KernelDEERNet,
                              train_kernel_deernet, affine_linearisation, network_jacobian,
                              first_layer_rank_errors)
from .pseudo_inverse_verdict import (PseudoInverseExperiment, pseudo_inverse_experiment,
                                     effective_rank, PseudoInverseVerdict,
                                     pseudo_inverse_verdict, verdict_cache_path)
from .subspaces import (scaled_singular_vectors, singular_subspace, subspace_overlap,
                        nested_subspace_overlaps, kernel_resemblance)

__all__ = ["FourierView", "fourier_view", "band_mask", "band_relative_norm", "band_norm_lower_bound", "low_frequency_angle",
           "top_direction_alignment", "zero_frequency_contrast", "magnitude_correlation",
           "centred_fourier_magnitude", "BAND_ROWS", "SMOOTH_BASES", "smooth_basis",
           "zero_crossings", "even_share", "column_cosines", "align_signs", "bandedness",
           "random_bandedness", "empirical_percentile", "STRATEGIES", "STRATEGY_LABELS",
           "descramble_deernet_layer", "DEERNetExplanation", "explain_deernet",
           "scaled_singular_vectors", "singular_subspace", "subspace_overlap",
           "nested_subspace_overlaps", "kernel_resemblance",
           # the paper's own descrambler (original)
           "ORIGINAL_STRATEGIES", "ORIGINAL_OPERATORS", "original_cost_matrix",
           "original_problem", "EigenbasisStart", "eigenbasis_start", "original_descramble",
           "skew_from_coordinates", "coordinates_from_skew", "cayley_from_coordinates",
           "cayley_preimage", "coordinate_cost_and_gradient", "spectral_normalise",
           "trust_region_descent",
           # Figures 2 and 3 as the original scripts compute them (original_images)
           "ORIGINAL_BAND_BLOCKS", "FIGURE2_CROP", "FIGURE3_KERNEL_ROWS",
           "FIGURE3_LAYER_COLUMNS", "OriginalImage", "original_dft", "original_frequencies",
           "original_fourier_image", "original_relative_norm", "original_weights_panel",
           "original_kernel_image", "original_layer_image",
           # Figure 4 as the original script computes it (original_components)
           "original_chebyshev", "original_normalisation", "PolynomialBand",
           "polynomial_prediction_band", "original_inner_products", "OriginalFigure4",
           "original_figure_4", "original_random_bandedness",
           # the closing chapter (findings)
           "ACTIVATIONS", "principal_tail_energy", "singular_tail_energy",
           "same_moment_preactivations", "activation_mismatch",
           # does a network trained on the kernel learn a pseudo-inverse?
           "tikhonov_map", "gcv_alpha", "operator_distance", "same_spectrum_map",
           "filter_factors", "resolved_modes", "picard_cutoff",
           "principal_readers", "best_match_overlaps", "band_shares", "random_basis_matches",
           "KERNEL_NOISE", "KernelData", "kernel_data", "LinearNetFit", "best_low_rank_map",
           "train_kernel_linear_net", "KernelDEERNet", "train_kernel_deernet",
           "affine_linearisation", "network_jacobian", "first_layer_rank_errors",
           "PseudoInverseExperiment", "pseudo_inverse_experiment", "effective_rank",
           "PseudoInverseVerdict", "pseudo_inverse_verdict", "verdict_cache_path"]
