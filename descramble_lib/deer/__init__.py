"""DEER spectroscopy and DEERNet: constants, the dipolar kernel and simulator (physics), the two-layer
network (network), its training and weight cache (training), and Tikhonov baselines (regularisation).
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

__all__ = ["DIPOLAR_CONSTANT_MHZ_NM3", "DIPOLAR_ANGULAR_RAD_PER_US_NM3", "HIDDEN_ACTIVATIONS",
           "DATA_SPLITS", "DEERNet", "DEERNetConfig", "TrainingHistory", "TrainedDEERNet",
           "deernet_data", "layer_weights", "preactivations", "N_POINTS", "TIME_MAX_US",
           "DISTANCE_MIN_NM", "DISTANCE_MAX_NM", "SIMULATION_RANGES", "time_grid",
           "distance_grid", "trapezoid_weights", "dipolar_kernel", "background",
           "DEERSimulation", "simulate", "unit_area", "distribution_error",
           "second_difference_operator", "tikhonov", "TikhonovResult", "gcv_tikhonov",
           "nonnegative_tikhonov", "tikhonov_deer", "train_deernet", "deernet_cache_path",
           "pretrained_deernet"]
