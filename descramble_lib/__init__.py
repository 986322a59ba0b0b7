"""descramble_lib: explain a trained layer by the orthogonal change of basis that makes it readable.

``import descramble_lib as dl`` gives the descrambling core:

* the problem: :class:`BrockettProblem` (``tr(A P M P^T)`` from preactivations ``S`` or
  their second moment ``M``), :func:`brockett_cost`, :func:`brockett_bound`;
* the solvers: :func:`descramble` (the front door), :func:`cayley_descent`,
  :func:`eigenbasis_preconditioner`, and their results :class:`Descrambling`,
  :class:`DescentResult`;
* the operators (differentiation matrices, the real Fourier basis) and the orthogonal
  group (Cayley transform, Haar samples);
* general losses, descrambling a layer of a torch model, descrambling by permutations,
  and comparing descramblers modulo the non-uniqueness of Lemma 1.

The rest lives in subpackages that follow the parts of the book, imported by name
(``from descramble_lib import deer`` or ``dl.deer`` after ``import descramble_lib as dl``):

* :mod:`~descramble_lib.theory` — large-data limit, isotropic data, linear networks,
  convolution layers;
* :mod:`~descramble_lib.deer` — DEER physics, DEERNet, Tikhonov baselines;
* :mod:`~descramble_lib.paper` — the measures and strategies of the paper's figures;
* :mod:`~descramble_lib.invertible` — invertible networks and their explanations;
* :mod:`~descramble_lib.applied` — the digits example and weight statistics;
* :mod:`~descramble_lib.plotting` — figures (drawing only);
* :mod:`~descramble_lib.utils` — timing and Markdown tables.
"""

import importlib

from ._threads import limit_threads
from ._version import __version__ as __version__
from .brockett import brockett_bound, brockett_cost
from .comparison import align_in_blocks, block_subspace_angles, descrambler_distance, fourier_blocks
from .descrambling import METHODS, descramble
from .general_losses import autograd_cost, brockett_loss, smoothness_loss, sparsity_loss
from .layers import LayerDescrambling, descramble_layer, layer_preactivations, linear_layer_names
from .moments import SecondMoment
from .operators import (first_derivative_matrix, fourier_basis, fourier_pair_rotation,
                        fourier_wavenumbers, second_derivative_matrix, smoothness_eigenvalues,
                        smoothness_operator)
from .orthogonal import (cayley, fix_determinant, orthogonality_error, random_orthogonal,
                         reorthonormalise)
from .permutations import PermutationDescrambling, descramble_permutation
from .problem import BrockettProblem
from .result import DescentResult, Descrambling
from .solvers import cayley_descent, eigenbasis_preconditioner

__all__ = [
    # the problem and its exact bound; the data's second moment, streamed
    "BrockettProblem", "brockett_cost", "brockett_bound", "SecondMoment",
    # solvers and results
    "descramble", "METHODS", "cayley_descent", "eigenbasis_preconditioner",
    "Descrambling", "DescentResult",
    # operators
    "first_derivative_matrix", "second_derivative_matrix", "smoothness_operator",
    "smoothness_eigenvalues", "fourier_basis", "fourier_wavenumbers", "fourier_pair_rotation",
    # the orthogonal group
    "cayley", "fix_determinant", "orthogonality_error", "random_orthogonal",
    "reorthonormalise",
    # general losses
    "autograd_cost", "brockett_loss", "smoothness_loss", "sparsity_loss",
    # layers of torch models
    "descramble_layer", "LayerDescrambling", "layer_preactivations", "linear_layer_names",
    # permutations
    "descramble_permutation", "PermutationDescrambling",
    # comparison modulo non-uniqueness
    "descrambler_distance", "align_in_blocks", "block_subspace_angles", "fourier_blocks",
    # threads
    "limit_threads",
]

# "distributed" is a module (Dask), not a subpackage, loaded the same lazy way so that
# ``import descramble_lib`` never imports dask.
_SUBPACKAGES = ("theory", "deer", "paper", "invertible", "applied", "plotting", "utils",
                "distributed")


def __getattr__(name: str):
    """Import a subpackage on first use, so that ``dl.deer.simulate`` works after
    ``import descramble_lib as dl`` without loading every part at start-up."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBPACKAGES))
