"""Invertible networks: additive coupling blocks (blocks), the two-moons classifier (training), and
explanations by the exact decision boundary and feature importance (explanations).
"""

from .blocks import AdditiveCoupling, InvertibleNet
from .explanations import (DecisionBoundary, boundary_hyperplane, logit_difference,
                           decision_boundary, project_to_boundary, IMPORTANCE_METHODS,
                           feature_importance, inactive_subnets, importance_table)
from .training import MoonsTraining, train_moons_classifier

__all__ = ["AdditiveCoupling", "InvertibleNet", "DecisionBoundary", "boundary_hyperplane",
           "logit_difference", "decision_boundary", "project_to_boundary",
           "IMPORTANCE_METHODS", "feature_importance", "inactive_subnets", "importance_table",
           "MoonsTraining", "train_moons_classifier"]
