"""Measured DEER traces: the loader on the shipped files and on broken ones, the scale-invariant
map onto DEERNet's grid (kernel, simulator, round trip), DeerLab's fit, and the metrics."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from descramble_lib.deer import (DEERLAB_EXAMPLES, N_POINTS, TIME_MAX_US, background,
                                 background_corrected_form_factor, dipolar_kernel,
                                 distance_grid, distance_scale, distance_spread_nm,
                                 distribution_overlap, fit_deerlab, fit_depth_and_decay,
                                 from_network_distances_nm, load_deer_trace,
                                 map_to_network_grid, mean_distance_nm, modal_distance_nm,
                                 nonnegative_tikhonov, process_trace, second_difference_operator,
                                 simulate, subspace_energy_share, time_grid,
                                 to_network_decay_rate_per_us, to_network_distances_nm,
                                 to_network_times_us, trapezoid_weights)

DATA = Path(__file__).resolve().parents[1] / "data" / "deer"

#: Points and last time (us) of each shipped trace, from data/deer/README.md.
SHIPPED = {"example_4pdeer_1": (263, 4.192), "example_4pdeer_2": (488, 3.896),
           "example_4pdeer_3": (276, 2.200), "example_4pdeer_4": (651, 5.200),
           "experimental_mbp_protein_4pdeer": (418, 3.336)}

time_windows_us = st.floats(0.2, 20.0)


# ------------------------------------------------------------------------- the files

def test_data_folder_has_the_traces_the_licence_and_a_readme():
    for name in SHIPPED:
        assert (DATA / f"{name}.DTA").is_file() and (DATA / f"{name}.DSC").is_file()
    assert "MIT License" in (DATA / "LICENSE").read_text()
    assert "DeerLab" in (DATA / "README.md").read_text()
    assert set(DEERLAB_EXAMPLES) == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_loader_reads_the_shipped_traces(name):
    points, last_us = SHIPPED[name]
    trace = load_deer_trace(DATA / f"{name}.DTA")
    assert trace.name == name
    assert trace.time_us.shape == trace.signal.shape == (points,)
    assert np.iscomplexobj(trace.signal)
    np.testing.assert_allclose([trace.time_us[0], trace.time_us[-1]], [0.0, last_us], atol=1e-12)
    assert np.all(np.diff(trace.time_us) > 0)
    # the .DSC path and the stem name the same trace
    for other in (DATA / f"{name}.DSC", DATA / name):
        np.testing.assert_array_equal(load_deer_trace(other).signal, trace.signal)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_processing_as_in_deerlab_examples(name):
    settings = DEERLAB_EXAMPLES[name]
    processed = process_trace(load_deer_trace(DATA / f"{name}.DTA"),
                              start_time_us=settings.start_time_us)
    assert processed.signal.dtype == float and processed.signal.max() == 1.0
    np.testing.assert_allclose(processed.time_us[0], settings.start_time_us, atol=1e-15)
    assert processed.imaginary_rms < 0.05


# ------------------------------------------------------------------ broken files

def _write_bes3t(stem: Path, values, *, points=None, start_ns=0.0, width_ns=4000.0, unit=None,
                 dsc=True, byte_order=True):
    """A 1-D complex BES3T pair: big-endian float64, real and imaginary interleaved."""
    values = np.asarray(values, dtype=complex)
    points = values.size if points is None else points
    lines = ["#DESC\t1.2", "DSRC\tMAN"] + (["BSEQ\tBIG"] if byte_order else []) + ["IKKF\tCPLX", "IRFMT\tD", "IIFMT\tD",
             "XTYP\tIDX", "YTYP\tNODATA", "ZTYP\tNODATA", f"XPTS\t{points}", f"XMIN\t{start_ns}",
             f"XWID\t{width_ns}"] + ([f"XUNI\t'{unit}'"] if unit else []) + ["#SPL\t1.2"]
    if dsc:
        stem.with_suffix(".DSC").write_text("\n".join(lines) + "\n")
    interleaved = np.column_stack([values.real, values.imag]).ravel().astype(">f8")
    stem.with_suffix(".DTA").write_bytes(interleaved.tobytes())
    return stem.with_suffix(".DTA")


def _trace(n=300):
    t = np.linspace(0, 4, n)
    return (1 - 0.3 + 0.3 * np.cos(2 * t)) * np.exp(-0.1 * t) + 0.01j


def test_a_well_formed_file_loads(tmp_path):
    trace = load_deer_trace(_write_bes3t(tmp_path / "good", _trace()))
    np.testing.assert_allclose(trace.signal, _trace())
    np.testing.assert_allclose(trace.time_us[-1], 4.0)


def test_shipped_traces_load_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in SHIPPED:
            load_deer_trace(DATA / f"{name}.DTA")


def test_deerload_assumptions_are_passed_on_as_warnings(tmp_path):
    with pytest.warns(UserWarning, match="deerload, quiet.DTA: Keyword BSEQ not found"):
        trace = load_deer_trace(_write_bes3t(tmp_path / "quiet", _trace(), byte_order=False))
    np.testing.assert_allclose(trace.signal, _trace())


def test_negative_start_time_keeps_its_sign(tmp_path):
    """deerload reads XMIN -80 as 80; the loader restores the sign."""
    trace = load_deer_trace(_write_bes3t(tmp_path / "early", _trace(), start_ns=-80.0))
    np.testing.assert_allclose([trace.time_us[0], trace.time_us[-1]], [-0.08, 3.92], atol=1e-12)


def test_missing_dsc_is_named(tmp_path):
    path = _write_bes3t(tmp_path / "lonely", _trace(), dsc=False)
    with pytest.raises(ValueError, match=r"missing \.DSC"):
        load_deer_trace(path)


def test_missing_dta_is_named(tmp_path):
    with pytest.raises(ValueError, match="no BES3T data file"):
        load_deer_trace(tmp_path / "nothing.DTA")


def test_short_trace_is_named(tmp_path):
    path = _write_bes3t(tmp_path / "short", _trace(N_POINTS - 1))
    with pytest.raises(ValueError, match="too short.*255 samples.*256"):
        load_deer_trace(path)
    assert load_deer_trace(path, min_points=100).signal.size == N_POINTS - 1


@pytest.mark.parametrize("width_ns", [-4000.0, 0.0])
def test_time_axis_that_is_not_increasing_is_named(tmp_path, width_ns):
    path = _write_bes3t(tmp_path / "backwards", _trace(), width_ns=width_ns)
    with pytest.raises(ValueError, match="time axis not increasing"):
        load_deer_trace(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, complex(0, np.nan)])
def test_non_finite_sample_is_named(tmp_path, bad):
    values = _trace()
    values[17] = bad
    with pytest.raises(ValueError, match="non-finite sample.*index 17"):
        load_deer_trace(_write_bes3t(tmp_path / "holey", values))


def test_data_shorter_than_declared_and_foreign_units_are_named(tmp_path):
    with pytest.raises(ValueError, match="holds 300 samples but its .DSC declares 310"):
        load_deer_trace(_write_bes3t(tmp_path / "cut", _trace(), points=310))
    with pytest.raises(ValueError, match="time unit"):
        load_deer_trace(_write_bes3t(tmp_path / "micro", _trace(), unit="us"))


def test_process_trace_needs_a_trace():
    with pytest.raises(ValueError, match="MeasuredTrace"):
        process_trace(np.ones(300), start_time_us=0.1)


# ------------------------------------------------------------------ scale invariance

@given(c=st.floats(0.2, 5.0), t=st.floats(-10.0, 10.0), r=st.floats(1.0, 10.0))
def test_kernel_depends_on_t_over_r_cubed(c, t, r):
    """K(c^3 t, c r) = K(t, r): the phase omega_dd(r) t = 2 pi D t / r^3 is unchanged."""
    np.testing.assert_allclose(dipolar_kernel([c**3 * t], [c * r]), dipolar_kernel([t], [r]),
                               rtol=0, atol=1e-11)


@given(seed=st.integers(0, 2**31), time_max=time_windows_us, zero_time=st.floats(0.0, 0.5),
       n_before=st.integers(0, 20))
def test_simulated_trace_of_any_length_maps_onto_the_network_trace(seed, time_max, zero_time,
                                                                    n_before):
    """A trace of distances c r on [t0, t0 + t_max] with decay rate k / c^3 maps onto the
    network-grid trace of distances r and rate k, to rounding (the samples sit where the
    map reads them, so the interpolation is exact)."""
    sim = simulate(2, rng=seed)
    c = distance_scale(time_max)
    lam = sim.modulation_depth[:, None]
    on_grid = (1 - lam + lam * sim.form_factors()) * sim.backgrounds()
    t_dip = c**3 * time_grid()
    r = c * distance_grid()
    K = dipolar_kernel(t_dip, r, delta_r_weights=True)
    B = background(t_dip, sim.decay_rate_per_us / c**3, sim.dimension)
    measured = (1 - lam + lam * (sim.densities() / c) @ K.T) * B
    before = -np.arange(n_before, 0, -1) * (t_dip[1] - t_dip[0])      # samples before t0
    for i in range(2):
        axis = zero_time + np.concatenate([before, t_dip])
        trace = np.concatenate([np.full(n_before, 0.5), measured[i]])
        mapped = map_to_network_grid(axis, trace, zero_time_us=zero_time)
        np.testing.assert_allclose(mapped.signal, on_grid[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(mapped.time_max_us, time_max, rtol=1e-12)
        np.testing.assert_allclose(mapped.distances_nm(), r, rtol=1e-12)
        assert mapped.n_measured == N_POINTS


def test_finely_sampled_trace_maps_to_interpolation_accuracy():
    """With 4x the samples in another window, linear interpolation costs < 1e-3."""
    sim = simulate(4, rng=7)
    time_max = 5.0
    c = distance_scale(time_max)
    lam = sim.modulation_depth[:, None]
    on_grid = (1 - lam + lam * sim.form_factors()) * sim.backgrounds()
    t_dip = np.linspace(0, time_max, 4 * N_POINTS)
    K = dipolar_kernel(t_dip, c * distance_grid(), delta_r_weights=True)
    measured = ((1 - lam + lam * (sim.densities() / c) @ K.T)
                * background(t_dip, sim.decay_rate_per_us / c**3, sim.dimension))
    for i in range(4):
        mapped = map_to_network_grid(t_dip, measured[i], zero_time_us=0.0)
        assert np.max(np.abs(mapped.signal - on_grid[i])) < 1e-3


@given(time_max=time_windows_us,
       r=st.lists(st.floats(0.5, 20.0), min_size=1, max_size=10),
       t=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=10), k=st.floats(0.0, 5.0))
def test_round_trips(time_max, r, t, k):
    """Distances there and back are unchanged; times and rates keep the product k t and the
    ratio t / r^3."""
    r, t = np.array(r), np.array(t)
    np.testing.assert_allclose(
        from_network_distances_nm(to_network_distances_nm(r, time_max), time_max), r, rtol=1e-14)
    t_net, r_net = to_network_times_us(t, time_max), to_network_distances_nm(r, time_max)
    np.testing.assert_allclose(t_net[:, None] / r_net[None, :] ** 3,
                               t[:, None] / r[None, :] ** 3, rtol=1e-13)
    np.testing.assert_allclose(to_network_decay_rate_per_us(k, time_max) * t_net, k * t,
                               rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(to_network_times_us(time_max, time_max), TIME_MAX_US, rtol=1e-14)


def test_the_network_window_maps_to_itself():
    assert distance_scale(TIME_MAX_US) == 1.0
    assert distance_scale(16.0) == pytest.approx(2.0, rel=1e-15)


@pytest.mark.parametrize("kwargs, message", [
    (dict(time_us=np.linspace(0, 2, 50)[::-1], signal=np.ones(50), zero_time_us=0.5),
     "strictly increasing"),
    (dict(time_us=np.linspace(0, 2, 50), signal=np.ones(49), zero_time_us=0.5), "differ in shape"),
    (dict(time_us=np.linspace(0, 2, 50), signal=np.full(50, np.nan), zero_time_us=0.5),
     "non-finite"),
    (dict(time_us=np.linspace(0, 2, 50), signal=np.ones(50), zero_time_us=2.0), "must lie in"),
    (dict(time_us=np.linspace(0, 2, 50), signal=np.ones(50), zero_time_us=-0.1), "must lie in"),
])
def test_map_refuses_bad_input(kwargs, message):
    time_us, signal = kwargs.pop("time_us"), kwargs.pop("signal")
    with pytest.raises(ValueError, match=message):
        map_to_network_grid(time_us, signal, **kwargs)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_distance_scale_refuses_bad_windows(bad):
    with pytest.raises(ValueError, match="time_max_us"):
        distance_scale(bad)


# ---------------------------------------------------------------- DeerLab's fit

def test_deerlab_fit_is_reproduced_by_the_book_nnls():
    """DeerLab solves NNLS on V with plain second differences (index axis): with its background,
    depth, zero time and alpha / (V0 lambda), weighted by B, the book's NNLS gives its P."""
    name = "example_4pdeer_1"
    settings = DEERLAB_EXAMPLES[name]
    trace = process_trace(load_deer_trace(DATA / f"{name}.DTA"),
                          start_time_us=settings.start_time_us)
    r = np.arange(*settings.distance_range_nm, 0.05)
    fit = fit_deerlab(trace.time_us, trace.signal, tau1_us=settings.tau1_us,
                      tau2_us=settings.tau2_us, distances_nm=r)
    assert abs(fit.zero_time_us - settings.tau1_us) < 0.02
    assert 0 < fit.modulation_depth < 1 and fit.decay_rate_per_us > 0
    assert np.all(fit.lower_95 <= fit.distribution + 1e-12)
    assert np.all(fit.distribution <= fit.upper_95 + 1e-12)
    np.testing.assert_allclose(trapezoid_weights(r) @ fit.distribution, 1.0, rtol=1e-6)
    K = dipolar_kernel(trace.time_us - fit.zero_time_us, r, delta_r_weights=True)
    model = fit.scale * (1 - fit.modulation_depth + fit.modulation_depth * K @ fit.distribution)
    np.testing.assert_allclose(model * fit.background, fit.model, atol=1e-6)
    F = background_corrected_form_factor(trace.signal, fit.background,
                                         modulation_depth=fit.modulation_depth, scale=fit.scale)
    alpha = fit.regularisation_parameter / (fit.scale * fit.modulation_depth)
    p = nonnegative_tikhonov(K, F[:, None], np.array([alpha]), L=second_difference_operator(r.size),
                             weights=fit.background[:, None])[:, 0]
    assert distribution_overlap(r, p, r, fit.distribution) > 0.98


def test_depth_and_decay_are_recovered():
    t = np.linspace(0, 3, 300)
    F = dipolar_kernel(t, [3.5])[:, 0]
    V = 0.97 * (1 - 0.25 + 0.25 * F) * np.exp(-0.08 * t)
    fit = fit_depth_and_decay(t, V, F)
    np.testing.assert_allclose([fit.scale, fit.modulation_depth, fit.decay_rate_per_us],
                               [0.97, 0.25, 0.08], rtol=1e-6)
    assert fit.rms_residual < 1e-8
    B = np.exp(-0.08 * t)
    np.testing.assert_allclose(
        background_corrected_form_factor(V, B, modulation_depth=0.25, scale=0.97), F, atol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        background_corrected_form_factor(V, -B, modulation_depth=0.25)


# ------------------------------------------------------------------------ metrics

def test_metrics_of_a_gaussian():
    r = np.linspace(1, 7, 601)
    p = np.exp(-0.5 * ((r - 3.7) / 0.3) ** 2)
    assert modal_distance_nm(r, p) == pytest.approx(3.7, abs=1e-9)
    assert mean_distance_nm(r, p) == pytest.approx(3.7, abs=1e-9)
    assert distance_spread_nm(r, 5 * p) == pytest.approx(0.3, rel=1e-4)


def test_overlap_is_one_minus_total_variation():
    r = np.linspace(1, 7, 301)
    p = np.exp(-0.5 * ((r - 3.0) / 0.3) ** 2)
    q = np.exp(-0.5 * ((r - 3.4) / 0.5) ** 2)
    assert distribution_overlap(r, p, r, 2 * p) == pytest.approx(1.0, abs=1e-12)
    w = trapezoid_weights(r)
    p_hat, q_hat = p / (w @ p), q / (w @ q)
    assert distribution_overlap(r, p, r, q) == pytest.approx(1 - 0.5 * w @ np.abs(p_hat - q_hat),
                                                             abs=1e-12)
    far = np.exp(-0.5 * ((r - 6.5) / 0.05) ** 2)
    near = np.exp(-0.5 * ((r - 1.5) / 0.05) ** 2)
    assert distribution_overlap(r, near, r, far) < 1e-12
    # another grid: the same distribution, sampled elsewhere
    s = np.linspace(2, 5, 97)
    assert distribution_overlap(r, p, s, np.exp(-0.5 * ((s - 3.0) / 0.3) ** 2)) > 0.99


def test_metrics_refuse_bad_distributions():
    r = np.linspace(1, 7, 50)
    with pytest.raises(ValueError, match="no positive area"):
        modal_distance_nm(r, -np.ones(50))
    with pytest.raises(ValueError, match="differ in shape"):
        mean_distance_nm(r, np.ones(49))
    with pytest.raises(ValueError, match="non-finite"):
        distribution_overlap(r, np.full(50, np.nan), r, np.ones(50))


def test_subspace_energy_share(rng):
    basis = np.linalg.qr(rng.standard_normal((30, 4)))[0]
    inside = basis @ rng.standard_normal((4, 6))
    outside = np.linalg.qr(np.column_stack([basis, rng.standard_normal((30, 3))]))[0][:, 4:]
    np.testing.assert_allclose(subspace_energy_share(inside, basis), 1.0, atol=1e-12)
    np.testing.assert_allclose(subspace_energy_share(outside, basis), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="zero column"):
        subspace_energy_share(np.zeros((30, 1)), basis)
