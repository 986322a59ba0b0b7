"""DEER spectroscopy and DEERNet: constants, the dipolar kernel and simulator (physics), the two-layer
network (network), its training and weight cache (training), Tikhonov baselines (regularisation),
and whether a network trained on the kernel learns a regularised pseudo-inverse (pseudo_inverse:
references and measures; kernel_learning: data and learners; pseudo_inverse_verdict).
"""

from .constants import DIPOLAR_CONSTANT_MHZ_NM3, DIPOLAR_ANGULAR_RAD_PER_US_NM3
from .network import (HIDDEN_ACTIVATIONS, DATA_SPLITS, DEERNet, DEERNetConfig, TrainingHistory,
                      TrainedDEERNet, deernet_data, layer_weights, preactivations)
from .physics import (N_POINTS, TIME_MAX_US, DISTANCE_MIN_NM, DISTANCE_MAX_NM,
                      SIMULATION_RANGES, time_grid, distance_grid, trapezoid_weights,
                      dipolar_kernel, background, DEERSimulation, simulate, unit_area,
                      distribution_error)
from .regularisation import (second_difference_operator, tikhonov, TikhonovResult,
                             gcv_tikhonov, nonnegative_tikhonov, tikhonov_deer)
from .training import train_deernet, deernet_cache_path, pretrained_deernet
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
from .measured import (DeerLabSettings, DEERLAB_EXAMPLES, MeasuredTrace, ProcessedTrace,
                       load_deer_trace, process_trace, distance_scale, to_network_times_us,
                       to_network_distances_nm, from_network_distances_nm,
                       to_network_decay_rate_per_us, MappedTrace, map_to_network_grid,
                       DeerLabFit, fit_deerlab, background_corrected_form_factor,
                       DepthAndDecay, fit_depth_and_decay, modal_distance_nm, mean_distance_nm,
                       distance_spread_nm, distribution_overlap, subspace_energy_share)

__all__ = ["DIPOLAR_CONSTANT_MHZ_NM3", "DIPOLAR_ANGULAR_RAD_PER_US_NM3", "HIDDEN_ACTIVATIONS",
           "DATA_SPLITS", "DEERNet", "DEERNetConfig", "TrainingHistory", "TrainedDEERNet",
           "deernet_data", "layer_weights", "preactivations", "N_POINTS", "TIME_MAX_US",
           "DISTANCE_MIN_NM", "DISTANCE_MAX_NM", "SIMULATION_RANGES", "time_grid",
           "distance_grid", "trapezoid_weights", "dipolar_kernel", "background",
           "DEERSimulation", "simulate", "unit_area", "distribution_error",
           "second_difference_operator", "tikhonov", "TikhonovResult", "gcv_tikhonov",
           "nonnegative_tikhonov", "tikhonov_deer", "train_deernet", "deernet_cache_path",
           "pretrained_deernet",
           # measured traces (measured)
           "DeerLabSettings", "DEERLAB_EXAMPLES", "MeasuredTrace", "ProcessedTrace",
           "load_deer_trace", "process_trace", "distance_scale", "to_network_times_us",
           "to_network_distances_nm", "from_network_distances_nm",
           "to_network_decay_rate_per_us", "MappedTrace", "map_to_network_grid", "DeerLabFit",
           "fit_deerlab", "background_corrected_form_factor", "DepthAndDecay",
           "fit_depth_and_decay", "modal_distance_nm", "mean_distance_nm",
           "distance_spread_nm", "distribution_overlap", "subspace_energy_share",
           # does a network trained on the kernel learn a pseudo-inverse?
           "tikhonov_map", "gcv_alpha", "operator_distance", "same_spectrum_map",
           "filter_factors", "resolved_modes", "picard_cutoff",
           "principal_readers", "best_match_overlaps", "band_shares", "random_basis_matches",
           "KERNEL_NOISE", "KernelData", "kernel_data", "LinearNetFit", "best_low_rank_map",
           "train_kernel_linear_net", "KernelDEERNet", "train_kernel_deernet",
           "affine_linearisation", "network_jacobian", "first_layer_rank_errors",
           "PseudoInverseExperiment", "pseudo_inverse_experiment", "effective_rank",
           "PseudoInverseVerdict", "pseudo_inverse_verdict", "verdict_cache_path"]
