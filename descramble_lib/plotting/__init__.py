"""Figures of the book. These functions only draw: every number they show is computed by the caller
(with the library) and passed in.
"""

from .curves import (plot_relative_gap, plot_rate, plot_curves, plot_mode_strengths,
                     plot_neuron_axis_spectrum)
from .components import (plot_component_fit, plot_original_inner_products,
                         plot_original_figure_4)
from .deer import (plot_dipolar_kernel, plot_singular_values, plot_deer_examples,
                   plot_training_history, plot_distribution_estimates,
                   plot_error_distributions)
from .invertible import (plot_two_classes, plot_boundary_curve, plot_projections,
                         plot_boundary_panel)
from .matrices import (plot_matrix, plot_fourier_magnitude, plot_rows, plot_matrices,
                       weight_tiles, plot_weight_tiles)
from .summary import plot_band_tails
from .pseudo_inverse import plot_filter_factors, plot_map_distances, plot_rank_errors
from .paper import (plot_fourier_panel, plot_descrambled_weights, plot_inner_product_map,
                    plot_null_distribution, plot_original_image)

__all__ = ["plot_relative_gap", "plot_rate", "plot_curves", "plot_mode_strengths",
           "plot_neuron_axis_spectrum", "plot_dipolar_kernel", "plot_singular_values",
           "plot_deer_examples", "plot_training_history", "plot_distribution_estimates",
           "plot_error_distributions", "plot_two_classes", "plot_boundary_curve",
           "plot_projections", "plot_boundary_panel", "plot_matrix", "plot_fourier_magnitude",
           "plot_rows", "plot_matrices", "weight_tiles", "plot_weight_tiles",
           "plot_fourier_panel", "plot_descrambled_weights", "plot_inner_product_map",
           "plot_null_distribution", "plot_original_image", "plot_component_fit",
           "plot_original_inner_products", "plot_original_figure_4", "plot_band_tails",
           "plot_filter_factors", "plot_map_distances", "plot_rank_errors"]
