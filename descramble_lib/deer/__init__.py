"""DEER spectroscopy and DEERNet: constants, the dipolar kernel and simulator (physics), the two-layer
network (network), its training and weight cache (training), Tikhonov baselines (regularisation)
and measured traces (measured). Whether a network trained on the kernel learns a regularised
pseudo-inverse (chapter 15) is in :mod:`descramble_lib.paper`.
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
           "distance_spread_nm", "distribution_overlap", "subspace_energy_share"]
