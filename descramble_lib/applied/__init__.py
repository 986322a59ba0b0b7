"""Descrambling your own network: the digits example (digits) and statistics of descrambled weights,
row by row and along the neuron axis (weight_statistics).
"""

from .digits import (DIGIT_IMAGE_SHAPE, DigitsData, DigitsTraining, digits_data, digits_mlp,
                     train_digits_mlp)
from .weight_statistics import (participation_number, top_entry_share, column_share,
                                matched_row_cosines, neuron_axis_spectrum)

__all__ = ["DIGIT_IMAGE_SHAPE", "DigitsData", "DigitsTraining", "digits_data", "digits_mlp",
           "train_digits_mlp", "participation_number", "top_entry_share", "column_share",
           "matched_row_cosines", "neuron_axis_spectrum"]
