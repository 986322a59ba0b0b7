"""Physical constants of the DEER model, with units in their names.

The dipolar constant is the coupling between two free electron spins (g = g_e) at
unit distance, expressed as a frequency:

    D = (mu_0 / 4 pi) (g_e mu_B)^2 / h = 52.041016 MHz nm^3,

computed from the CODATA 2018 values of the magnetic constant mu_0, the electron
g factor g_e = 2.00231930436, the Bohr magneton mu_B and the Planck constant h
(``scipy.constants`` gives 52.0410158 MHz nm^3; the value below is rounded to
eight significant digits, the value used by DeerLab and by the DEERNet papers).
Two spins at distance r precess at the angular dipolar frequency

    omega_dd(r) = 2 pi D / r^3   (rad/us when r is in nm).
"""

from __future__ import annotations

import math

__all__ = ["DIPOLAR_CONSTANT_MHZ_NM3", "DIPOLAR_ANGULAR_RAD_PER_US_NM3"]


#: Dipolar coupling constant of two free electrons, in MHz nm^3 (CODATA 2018, rounded).
DIPOLAR_CONSTANT_MHZ_NM3: float = 52.041016

#: ``2 pi D``: angular dipolar frequency at r = 1 nm, in rad/us times nm^3 (1 MHz = 1/us).
DIPOLAR_ANGULAR_RAD_PER_US_NM3: float = 2.0 * math.pi * DIPOLAR_CONSTANT_MHZ_NM3
