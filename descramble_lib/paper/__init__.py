"""Reproducing the paper's Figures 1-4 and Table 1: Fourier-band measures (bands), singular subspaces
(subspaces), the shape of components (components), and the descrambling strategies (strategies).
"""

from .bands import (FourierView, fourier_view, band_mask, band_relative_norm, band_norm_lower_bound, low_frequency_angle,
                    top_direction_alignment, zero_frequency_contrast, magnitude_correlation,
                    centred_fourier_magnitude, BAND_ROWS)
from .components import (SMOOTH_BASES, smooth_basis, zero_crossings, even_share,
                         column_cosines, align_signs, bandedness, random_bandedness,
                         empirical_percentile)
from .strategies import (STRATEGIES, STRATEGY_LABELS, descramble_deernet_layer,
                         DEERNetExplanation, explain_deernet)
from .subspaces import (scaled_singular_vectors, singular_subspace, subspace_overlap,
                        nested_subspace_overlaps, kernel_resemblance)

__all__ = ["FourierView", "fourier_view", "band_mask", "band_relative_norm", "band_norm_lower_bound", "low_frequency_angle",
           "top_direction_alignment", "zero_frequency_contrast", "magnitude_correlation",
           "centred_fourier_magnitude", "BAND_ROWS", "SMOOTH_BASES", "smooth_basis",
           "zero_crossings", "even_share", "column_cosines", "align_signs", "bandedness",
           "random_bandedness", "empirical_percentile", "STRATEGIES", "STRATEGY_LABELS",
           "descramble_deernet_layer", "DEERNetExplanation", "explain_deernet",
           "scaled_singular_vectors", "singular_subspace", "subspace_overlap",
           "nested_subspace_overlaps", "kernel_resemblance"]
