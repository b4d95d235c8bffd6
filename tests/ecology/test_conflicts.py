"""Ecological–economic conflict mapping (regionkit.ecology.conflicts).

Small hand-built grids whose codes and areas are known exactly; corridor
crossing lengths against analytic lengths and against a shapely intersection
with class polygons built here from cell boxes (independent of the module's
rasterio polygonisation); zonal sums against totals when units tile the area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import LineString, Point, box

from regionkit.ecology.conflicts import (
    ActivityClasses,
    ConflictRules,
    classify_activity,
    conflict_rules,
    conflict_zones,
    corridor_crossings,
    default_activity_labels,
    default_rules,
    ecological_elements,
    most_conflicted_corridors,
    most_conflicted_sources,
    zonal_conflicts,
)
from regionkit.ecology.overlay import grade
from regionkit.errors import InputError

CRS = "EPSG:32633"
X0, Y0, CELL = 500_000.0, 5_000_000.0, 100.0


def frame(nrow: int, ncol: int, cell: float = CELL) -> Affine:
    """North-up transform of an ``nrow × ncol`` grid with its lower-left corner at (X0, Y0)."""
    return Affine(cell, 0, X0, 0, -cell, Y0 + nrow * cell)


def centre(t: Affine, r: int, c: int) -> tuple[float, float]:
    return t * (c + 0.5, r + 0.5)


def hline(t: Affine, row: int, c0: int, c1: int) -> LineString:
    """A horizontal line through the centres of cells (row, c0) … (row, c1)."""
    return LineString([centre(t, row, c0), centre(t, row, c1)])


def lines(geoms, types, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({**cols, "type": types}, geometry=list(geoms), crs=CRS)


def cell_polygons(classes: np.ndarray, t: Affine, k: int) -> list:
    """Union of the cell boxes of each class (built with shapely only, not with rasterio)."""
    out = []
    for c in range(k):
        rr, cc = np.nonzero(classes == c)
        boxes = [box(*(t * (j, i + 1)), *(t * (j + 1, i))) for i, j in zip(rr, cc, strict=True)]
        out.append(shapely.union_all(boxes))
    return out


# ---------------------------------------------------------------- activity classes

def test_activity_classes_are_the_overlay_grades_minus_one():
    rng = np.random.default_rng(1)
    s = rng.gamma(1.0, 2.0, (12, 15))
    s[0, :3] = np.nan
    mask = np.ones(s.shape, dtype=bool)
    mask[-2:, :] = False
    before = s.copy()
    act = classify_activity(s, k=4, mask=mask)
    np.testing.assert_array_equal(s, before, err_msg="the surface was mutated")
    g = grade(np.where(mask, s, np.nan), k=4)
    valid = mask & np.isfinite(s)
    np.testing.assert_array_equal(act.classes[valid], g.grades[valid] - 1)
    assert (act.classes[~valid] == -1).all()
    np.testing.assert_allclose(act.breaks, g.breaks)
    assert act.labels == ("low", "medium-low", "medium-high", "high")
    assert act.counts.sum() == valid.sum()
    frame_ = act.to_frame()
    assert frame_["cells"].tolist() == [int((act.classes == c).sum()) for c in range(4)]
    # higher values never fall in a lower class
    v = s[valid]
    c = act.classes[valid]
    assert all(v[c == i].max() < v[c == i + 1].min() for i in range(3))


def test_activity_labels_method_and_mask_are_checked():
    s = np.arange(12.0).reshape(3, 4)
    with pytest.raises(InputError, match=r"labels: give 3 distinct"):
        classify_activity(s, k=3, labels=["low", "high"])
    with pytest.raises(InputError, match=r"labels: give 2 distinct"):
        classify_activity(s, k=2, labels=["x", "x"])
    with pytest.raises(InputError) as err:
        classify_activity(s, method="jenks")
    assert "method='jenks'" in str(err.value) and "'natural_breaks'" in str(err.value)
    with pytest.raises(InputError, match=r"mask has shape \(2, 2\) but the activity surface has shape \(3, 4\)"):
        classify_activity(s, mask=np.ones((2, 2), dtype=bool))
    with pytest.raises(InputError, match=r"activity surface: .*distinct values"):
        classify_activity(np.array([[1.0, 1.0, 2.0]]), k=3)
    with pytest.raises(InputError, match="quantiles gives only 2 distinct classes"), \
            pytest.warns(UserWarning, match="ties"):
        classify_activity(np.array([[0.0] * 8 + [1.0, 2.0]]), k=3, method="quantiles")
    assert classify_activity(s, k=2, labels=["quiet", "busy"]).labels == ("quiet", "busy")
    assert default_activity_labels(5)[0] == "very low"


def test_activity_polygons_cover_their_cells_exactly():
    t = frame(5, 6)
    s = np.arange(30.0).reshape(5, 6) ** 1.5
    s[2, 3] = np.nan
    act = classify_activity(s, k=3, transform=t, crs=CRS)
    polys = act.polygons()
    assert polys["label"].tolist() == ["low", "medium", "high"]
    np.testing.assert_allclose(polys.area.to_numpy(), act.counts * CELL * CELL)
    assert polys.crs.to_epsg() == 32633


# ---------------------------------------------------------------- ecological elements

def test_element_codes_precedence_and_areas_on_a_hand_grid():
    t = frame(6, 8)
    src = np.zeros((6, 8), dtype=int)
    src[0:2, 0:2] = 1       # grade 1
    src[4:6, 6:8] = 2       # grade 2
    corr = lines([hline(t, 1, 0, 7), hline(t, 1, 3, 5), LineString([centre(t, 0, 4), centre(t, 5, 4)])],
                 ["II", "I", "III"])
    el = ecological_elements((6, 8), transform=t, crs=CRS, sources=src, source_grades={1: 1, 2: 2},
                             grade_order=[1, 2, 3], corridors=corr, type_order=["I", "II", "III"])
    # codes: 0 none, 1..3 source grades 1..3, 4..6 corridor types I..III
    expected = np.array([
        [1, 1, 0, 0, 6, 0, 0, 0],
        [1, 1, 5, 4, 4, 4, 5, 5],   # sources win over II; I wins over II and III
        [0, 0, 0, 0, 6, 0, 0, 0],
        [0, 0, 0, 0, 6, 0, 0, 0],
        [0, 0, 0, 0, 6, 0, 2, 2],
        [0, 0, 0, 0, 6, 0, 2, 2],
    ])
    np.testing.assert_array_equal(el.codes, expected)
    tab = el.table.set_index("code")
    assert tab["element"].tolist() == ["no ecological element", "source grade 1", "source grade 2",
                                       "source grade 3", "corridor type I", "corridor type II",
                                       "corridor type III"]
    assert tab["cells"].tolist() == [int((expected == c).sum()) for c in range(7)]
    np.testing.assert_allclose(tab["area_km2"], tab["cells"] * 0.01)
    assert tab.loc[3, "cells"] == 0  # declared grade without a patch keeps its code
    assert el.code_of("corridor", "II") == 5 and el.code_of("source", 1) == 1
    np.testing.assert_array_equal(el.source_labels, src)


def test_corridor_buffer_covers_cell_centres_within_the_distance():
    t = frame(9, 12)
    line = LineString([centre(t, 4, 2), centre(t, 4, 8)])
    mask = np.ones((9, 12), dtype=bool)
    mask[0, :] = False
    el = ecological_elements((9, 12), transform=t, crs=CRS, corridors=lines([line], ["I"]),
                             corridor_buffer_m=150.0, mask=mask)
    rows, cols = np.indices((9, 12))
    dist = np.array([[line.distance(Point(centre(t, r, c))) for c in range(12)] for r in range(9)])
    expected = np.where(dist < 150.0, 1, 0)
    expected[~mask] = -1
    np.testing.assert_array_equal(el.codes, expected)
    assert el.table.loc[1, "cells"] == 7 * 3 + 2 * 3  # a 3-cell band and 3 more cells at each round end
    no_buffer = ecological_elements((9, 12), transform=t, corridors=lines([line], ["I"]))
    assert no_buffer.codes.sum() == 7 and (no_buffer.codes[4, 2:9] == 1).all()


def test_corridor_masks_and_default_orders():
    m1 = np.zeros((2, 3), dtype=bool)
    m1[0] = True
    m2 = np.zeros((2, 3), dtype=bool)
    m2[:, 0] = True
    el = ecological_elements((2, 3), transform=frame(2, 3), corridors={"II": m2, "I": m1},
                             sources=np.array([[0, 0, 0], [0, 0, 7.0]]), source_grades={7: "III"})
    assert el.type_order == ("I", "II") and el.grade_order == ("III",)
    np.testing.assert_array_equal(el.codes, [[2, 2, 2], [3, 0, 1]])
    assert el.source_grades == {7: "III"}


def test_element_input_errors_name_the_layer_at_fault():
    t = frame(3, 4)
    with pytest.raises(InputError, match=r"sources has shape \(2, 2\) but the grid has shape \(3, 4\)"):
        ecological_elements((3, 4), transform=t, sources=np.zeros((2, 2), dtype=int))
    with pytest.raises(InputError, match=r"source_grades: no grade for source id\(s\) \[5\]"):
        ecological_elements((3, 4), transform=t, sources=np.array([[1, 0, 0, 5]] * 3), source_grades={1: 1})
    with pytest.raises(InputError, match=r"bad cell\(s\) \(row 0, col 1\) = 1.5"):
        ecological_elements((1, 2), transform=t, sources=np.array([[0.0, 1.5]]))
    bad = gpd.GeoDataFrame({"kind": ["I"]}, geometry=[hline(t, 1, 0, 3)], crs=CRS)
    with pytest.raises(InputError, match=r"corridors: no type column 'type'; columns present: kind"):
        ecological_elements((3, 4), transform=t, crs=CRS, corridors=bad)
    pts = lines([Point(centre(t, 0, 0)), hline(t, 1, 0, 3)], ["I", "II"])
    with pytest.raises(InputError, match=r"corridors: row\(s\) \[0\] are not LineString"):
        ecological_elements((3, 4), transform=t, crs=CRS, corridors=pts)
    no_crs = gpd.GeoDataFrame({"type": ["I"]}, geometry=[hline(t, 1, 0, 3)])
    with pytest.raises(InputError, match="corridors: the layer has no CRS"):
        ecological_elements((3, 4), transform=t, crs=CRS, corridors=no_crs)
    with pytest.raises(InputError, match=r"type\(s\) \['IV'\] not in type_order \['I', 'II', 'III'\]"):
        ecological_elements((3, 4), transform=t, corridors=lines([hline(t, 1, 0, 3)], ["IV"]),
                            type_order=["I", "II", "III"])
    with pytest.raises(InputError, match="geographic"):
        ecological_elements((3, 4), transform=Affine(0.01, 0, 10, 0, -0.01, 50), crs="EPSG:4326")
    with pytest.raises(InputError, match="corridor_buffer_m=-1"):
        ecological_elements((3, 4), transform=t, corridor_buffer_m=-1)


def test_lines_in_another_crs_are_reprojected():
    t = frame(3, 6)
    line = hline(t, 1, 0, 5)
    geo = lines([line], ["I"]).to_crs("EPSG:4326")
    a = ecological_elements((3, 6), transform=t, crs=CRS, corridors=geo)
    np.testing.assert_array_equal(a.codes, [[0] * 6, [1] * 6, [0] * 6])


# ---------------------------------------------------------------- rules

def test_rules_list_every_problem_at_once():
    with pytest.raises(InputError) as err:
        conflict_rules([{"element": "forest", "activity": ["high"]},
                        {"element": "source", "activity": [], "severity": "extreme"},
                        {"element": "corridor:I", "activity": "high", "colour": "red"}])
    text = str(err.value)
    assert "rules[0].element" in text and "'forest'" in text and "'source' or 'corridor'" in text
    assert "rules[1].activity" in text
    assert "rules[1].severity: 'extreme' is not a severity; severities: 'minor', 'moderate', 'severe'" in text
    assert "rules[2]: unknown key(s) ['colour']" in text


def test_rules_are_checked_against_labels_and_elements():
    el = ecological_elements((1, 2), transform=frame(1, 2), sources=np.array([[1, 2]]), source_grades={1: 1, 2: 2})
    act = classify_activity(np.array([[1.0, 2.0]]), k=2)
    rules = conflict_rules([{"element": "source:9", "activity": ["hgh", "high"]}])
    with pytest.raises(InputError) as err:
        conflict_zones(el, act, rules=rules)
    text = str(err.value)
    assert "rules[0].activity: 'hgh' is not an activity class; classes: 'low', 'high'" in text
    assert "rules[0].element: 'source:9' matches no ecological element" in text and "'source:2'" in text


def test_default_rules_and_severity_resolution():
    el = ecological_elements((1, 2), transform=frame(1, 2), sources=np.array([[1, 2]]), source_grades={1: 1, 2: 2},
                             corridors={"I": np.zeros((1, 2), bool), "II": np.zeros((1, 2), bool)})
    r = default_rules(el, ("low", "medium", "high"))
    assert isinstance(r, ConflictRules) and r.severities == ("minor", "moderate", "severe")
    assert r.severity_of("source", 1, "high") == "severe"
    assert r.severity_of("source", 2, "high") == "moderate"
    assert r.severity_of("corridor", "I", "high") == "severe"
    assert r.severity_of("corridor", "II", "medium") == "minor"
    assert r.severity_of("corridor", "II", "low") is None
    two = default_rules(el, ("low", "high"))
    assert {x.severity for x in two.rules} == {"moderate", "severe"}


# ---------------------------------------------------------------- conflict zones

def hand_zones():
    """A 4 × 4 grid (1 km cells): a grade-1 source, a grade-2 source and a type I corridor over known classes."""
    t = frame(4, 4, cell=1000.0)
    src = np.array([[1, 1, 0, 0],
                    [1, 1, 0, 0],
                    [0, 0, 0, 2],
                    [0, 0, 0, 2]])
    corr = {"I": np.array([[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0], [0, 0, 0, 0]], dtype=bool)}
    surface = np.array([[9.0, 1.0, 1.0, 5.0],
                        [9.0, 5.0, 9.0, 9.0],
                        [1.0, 1.0, 5.0, 9.0],
                        [1.0, np.nan, 1.0, 5.0]])
    el = ecological_elements((4, 4), transform=t, crs=CRS, sources=src, source_grades={1: 1, 2: 2},
                             corridors=corr)
    act = classify_activity(surface, k=3, transform=t, crs=CRS)
    return el, act


def test_zone_codes_areas_and_severities_on_a_hand_grid():
    el, act = hand_zones()
    np.testing.assert_array_equal(act.classes, [[2, 0, 0, 1], [2, 1, 2, 2], [0, 0, 1, 2], [0, -1, 0, 1]])
    z = conflict_zones(el, act)
    # element codes: 0 none, 1 source grade 1, 2 source grade 2, 3 corridor I; zone = element · 3 + class
    np.testing.assert_array_equal(z.zones, [[5, 3, 0, 1], [5, 4, 11, 11], [0, 0, 10, 8], [0, -1, 0, 7]])
    t = z.types.set_index("type")
    assert t.loc["source grade 1 × high", "cells"] == 2 and t.loc["source grade 1 × high", "severity"] == "severe"
    assert t.loc["source grade 1 × medium", "severity"] == "minor"
    assert t.loc["source grade 2 × high", ["cells", "severity"]].tolist() == [1, "moderate"]
    assert t.loc["corridor type I × high", ["cells", "severity"]].tolist() == [2, "severe"]
    assert t.loc["corridor type I × medium", ["cells", "severity"]].tolist() == [1, "minor"]
    assert t.loc["no ecological element × high", "severity"] == "none"
    assert t["area_km2"].sum() == pytest.approx(15.0)  # 1 km² cells, one missing
    assert t["share"].sum() == pytest.approx(1.0)
    assert t.loc["source grade 1 × high", "share_of_element"] == pytest.approx(0.5)
    sev = z.severity_raster()
    np.testing.assert_array_equal(sev, [[3, 0, 0, 0], [3, 1, 3, 3], [0, 0, 1, 2], [0, -1, 0, 1]])
    bs = z.by_severity().set_index("severity")
    assert bs["area_km2"].to_dict() == pytest.approx({"none": 7.0, "minor": 3.0, "moderate": 1.0, "severe": 4.0})
    polys = z.polygons(conflict_only=True).set_index("type")
    np.testing.assert_allclose(polys.area / 1e6, polys["area_km2"])
    assert set(polys.index) == {"source grade 1 × high", "source grade 1 × medium", "source grade 2 × high",
                                "source grade 2 × medium", "corridor type I × high", "corridor type I × medium"}


def test_zone_shape_mismatch_names_both_layers():
    el, _ = hand_zones()
    act = classify_activity(np.arange(6.0).reshape(2, 3), k=2)
    with pytest.raises(InputError, match=r"activity classes have shape \(2, 3\) but the ecological elements \(4, 4\)"):
        conflict_zones(el, act)


def test_rankings_of_sources_and_corridors():
    el, act = hand_zones()
    z = conflict_zones(el, act)
    top = most_conflicted_sources(z, top=5)
    assert top["id"].tolist() == [1, 2]
    assert top.loc[0, ["area_km2", "conflict_km2", "severe_km2", "minor_km2"]].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert top.loc[0, "worst_severity"] == "severe" and top.loc[0, "conflict_share"] == pytest.approx(0.75)
    assert top.loc[1, ["area_km2", "conflict_km2", "moderate_km2", "minor_km2"]].tolist() == [2.0, 2.0, 1.0, 1.0]
    assert len(most_conflicted_sources(z, top=1)) == 1
    with pytest.raises(InputError, match="top=0"):
        most_conflicted_sources(z, top=0)
    t = act.transform
    corr = lines([hline(t, 1, 0, 3), hline(t, 3, 0, 2), hline(t, 2, 0, 3)], ["I", "II", "I"], a=[1, 2, 3], b=[4, 5, 6])
    cr = corridor_crossings(corr, act)
    ranked = most_conflicted_corridors(cr, z.rules, top=10)
    # row 1 classes 2 1 2 2: 3 km line (centre to centre) → high 0.5 + 1 + 0.5 = 2 km, medium 1 km
    # row 2 classes 0 0 1 2 → medium 1 km, high 0.5 km; row 3 (type II): low/nodata only → no conflict
    assert ranked["a"].tolist() == [1, 3]
    assert ranked["conflict_km"].tolist() == pytest.approx([3.0, 1.5])
    assert ranked.loc[0, ["severe_km", "minor_km"]].tolist() == pytest.approx([2.0, 1.0])
    assert ranked["rank"].tolist() == [1, 2]


# ---------------------------------------------------------------- property: areas add up

@settings(max_examples=40, deadline=None)
@given(
    codes=arrays(np.int16, (7, 9), elements=st.integers(-1, 4)),
    values=arrays(np.float64, (7, 9), elements=st.floats(0, 100, allow_nan=False)),
    k=st.integers(2, 4),
)
def test_zone_areas_sum_to_the_mapped_area(codes, values, k):
    assume(np.unique(values).size >= k)
    t = frame(7, 9)
    masks = {ty: codes == c for ty, c in (("I", 3), ("II", 4))}
    src = np.where(np.isin(codes, (1, 2)), codes, 0)
    el = ecological_elements((7, 9), transform=t, crs=CRS, sources=src, corridors=masks,
                             source_grades={1: "a", 2: "b"} if (src > 0).any() else None,
                             mask=codes >= 0)
    act = classify_activity(values, k=k, transform=t)
    z = conflict_zones(el, act)
    mapped = (codes >= 0).sum()
    assert z.types["cells"].sum() == mapped
    assert z.types["area_km2"].sum() == pytest.approx(mapped * 0.01)
    ok = z.zones >= 0
    np.testing.assert_array_equal(z.zones[ok] // k, el.codes[ok])
    np.testing.assert_array_equal(z.zones[ok] % k, act.classes[ok])
    conflict = z.types.loc[z.types["conflict"], "cells"].sum()
    assert conflict == (z.severity_raster() > 0).sum()
    assert z.by_severity()["cells"].sum() == mapped


# ---------------------------------------------------------------- zonal table per unit

def units_frame(xcuts, ycut, nrow, ncol, cell=CELL):
    """Units tiling the grid: vertical strips at ``xcuts`` (cell units), the first strip cut at ``ycut``."""
    xs = [0.0, *xcuts, float(ncol)]
    geoms = []
    for i, (a, b) in enumerate(zip(xs[:-1], xs[1:], strict=True)):
        if i == 0:
            geoms.append(box(X0 + a * cell, Y0, X0 + b * cell, Y0 + ycut * cell))
            geoms.append(box(X0 + a * cell, Y0 + ycut * cell, X0 + b * cell, Y0 + nrow * cell))
        else:
            geoms.append(box(X0 + a * cell, Y0, X0 + b * cell, Y0 + nrow * cell))
    return gpd.GeoDataFrame({"county": [f"c{i}" for i in range(len(geoms))]}, geometry=geoms, crs=CRS)


def test_zonal_table_on_a_hand_grid():
    el, act = hand_zones()
    z = conflict_zones(el, act)
    units = gpd.GeoDataFrame({"county": ["west", "east"], "pop": [1, 2]},
                             geometry=[box(X0, Y0, X0 + 2000, Y0 + 4000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 4000)],
                             crs=CRS)
    zc = zonal_conflicts(z, units, id_col="county")
    t = zc.table.set_index("county")
    assert t.loc["west", "grid_area_km2"] == 7.0 and t.loc["east", "grid_area_km2"] == 8.0
    assert t.loc["west", "conflict_area_km2"] == 3.0 and t.loc["east", "conflict_area_km2"] == 5.0
    assert t.loc["west", "severe_km2"] == 2.0 and t.loc["east", "severe_km2"] == 2.0
    assert t.loc["east", "corridor type I × high (km²)"] == 2.0
    assert t.loc["west", "unit_area_km2"] == pytest.approx(8.0)
    assert t.loc["east", "conflict_share"] == pytest.approx(5 / 8)
    assert zc.outside_km2 == 0.0
    long = zc.long
    assert long.groupby("county")["share_of_unit"].sum().tolist() == pytest.approx([1.0, 1.0])
    half = zonal_conflicts(z, units.iloc[[0]], id_col="county")
    assert half.outside_km2 == pytest.approx(8.0)


@settings(max_examples=30, deadline=None)
@given(xcuts=st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True), ycut=st.integers(1, 5),
       frac=st.sampled_from([0.2, 0.3, 0.7]))
def test_zonal_areas_add_up_when_units_tile_the_area(xcuts, ycut, frac):
    rng = np.random.default_rng(len(xcuts) * 10 + ycut)
    t = frame(6, 9)
    src = np.zeros((6, 9), dtype=int)
    src[1:3, 1:4] = 1
    src[4:6, 5:9] = 2
    el = ecological_elements((6, 9), transform=t, crs=CRS, sources=src, source_grades={1: 1, 2: 2},
                             corridors={"I": np.eye(6, 9, dtype=bool)}, mask=rng.random((6, 9)) > 0.1)
    act = classify_activity(rng.gamma(1, 1, (6, 9)), k=3, transform=t)
    z = conflict_zones(el, act)
    units = units_frame(sorted(c + frac for c in xcuts if c + frac < 9), ycut + frac, 6, 9)  # never on a centre
    zc = zonal_conflicts(z, units, id_col="county")
    assert zc.outside_km2 == 0.0
    assert zc.table["grid_area_km2"].sum() == pytest.approx(z.types["area_km2"].sum())
    assert zc.table["conflict_area_km2"].sum() == pytest.approx(z.types.loc[z.types["conflict"], "area_km2"].sum())
    per_type = zc.long.groupby("code")["area_km2"].sum()
    expected = z.types.set_index("code")["area_km2"]
    np.testing.assert_allclose(per_type.to_numpy(), expected.loc[per_type.index].to_numpy())
    assert set(per_type.index) == set(expected.index[expected > 0])
    assert zc.table["unit_area_km2"].sum() == pytest.approx(6 * 9 * 0.01)


def test_units_in_another_crs_give_the_same_table():
    el, act = hand_zones()
    z = conflict_zones(el, act)
    units = units_frame([1.3], 2.2, 4, 4, cell=1000.0)  # no border through a cell centre
    a = zonal_conflicts(z, units, id_col="county").table
    b = zonal_conflicts(z, units.to_crs("EPSG:4326"), id_col="county").table
    pd.testing.assert_frame_equal(a.drop(columns="unit_area_km2"), b.drop(columns="unit_area_km2"))


def test_unit_errors_name_what_is_wrong():
    el, act = hand_zones()
    z = conflict_zones(el, act)
    units = units_frame([2], 2, 4, 4, cell=1000.0)
    with pytest.raises(InputError, match="units: the layer has no CRS"):
        zonal_conflicts(z, units.set_crs(None, allow_override=True), id_col="county")
    with pytest.raises(InputError, match=r"units: no id column 'name'; columns present: county"):
        zonal_conflicts(z, units, id_col="name")
    dup = units.assign(county=["a", "a", "b"])
    with pytest.raises(InputError, match=r"repeats id\(s\) \['a'\]"):
        zonal_conflicts(z, dup, id_col="county")
    pts = units.copy()
    pts.loc[1, "geometry"] = Point(X0, Y0)
    with pytest.raises(InputError, match=r"unit\(s\) \['c1'\] have no polygon geometry"):
        zonal_conflicts(z, pts, id_col="county")
    with pytest.raises(InputError, match="GeoDataFrame"):
        zonal_conflicts(z, pd.DataFrame(units.drop(columns="geometry")), id_col="county")
    el2 = ecological_elements((4, 4), transform=frame(4, 4, 1000.0), sources=np.ones((4, 4), dtype=int))
    with pytest.raises(InputError, match="zones have no CRS"):
        zonal_conflicts(conflict_zones(el2, act), units, id_col="county")


# ---------------------------------------------------------------- corridor crossings

def stripes():
    """Activity classes in vertical stripes of 1 km cells: columns 0-1 low, 2 medium, 3-5 high, 6 nodata."""
    t = frame(3, 7, cell=1000.0)
    s = np.tile([1.0, 1.0, 5.0, 9.0, 9.0, 9.0, np.nan], (3, 1))
    return classify_activity(s, k=3, transform=t, crs=CRS), t


def test_crossing_lengths_of_straight_lines_are_analytic():
    act, t = stripes()
    geoms = [LineString([(X0 + 500, Y0 + 1500), (X0 + 6800, Y0 + 1500)]),   # across every stripe, into nodata
             LineString([(X0 + 2200, Y0 + 100), (X0 + 2200, Y0 + 2900)]),   # inside the medium stripe
             LineString([(X0 + 1000, Y0 + 500), (X0 + 4000, Y0 + 2500)])]    # diagonal: x from 1 to 4 km
    cr = corridor_crossings(lines(geoms, ["I", "II", "I"]), act)
    tab = cr.table
    np.testing.assert_allclose(tab.loc[0, ["low_km", "medium_km", "high_km", "outside_km"]].to_numpy(float),
                               [1.5, 1.0, 3.0, 0.8])
    np.testing.assert_allclose(tab.loc[1, ["low_km", "medium_km", "high_km"]].to_numpy(float), [0.0, 2.8, 0.0])
    slope = np.hypot(3.0, 2.0) / 3.0  # km of line per km of x
    np.testing.assert_allclose(tab.loc[2, ["low_km", "medium_km", "high_km"]].to_numpy(float),
                               [1.0 * slope, 1.0 * slope, 1.0 * slope])
    parts = tab[["low_km", "medium_km", "high_km", "outside_km"]].sum(axis=1)
    np.testing.assert_allclose(parts, tab["length_km"])
    bt = cr.by_type().set_index("type")
    assert bt.index.tolist() == ["I", "II"] and bt.loc["I", "corridors"] == 2
    assert bt.loc["I", "high_km"] == pytest.approx(3.0 + slope)
    assert bt.loc["II", "medium_share"] == pytest.approx(1.0)
    typed = corridor_crossings(lines(geoms, ["I", "II", "I"]), act, type_order=["I", "II", "III"]).by_type()
    assert typed["type"].tolist() == ["I", "II", "III"] and typed.loc[2, "length_km"] == 0


def test_a_line_on_a_class_border_is_counted_once_in_the_more_intense_class():
    act, _ = stripes()
    on_edge = LineString([(X0 + 3000, Y0), (X0 + 3000, Y0 + 3000)])  # border of medium (col 2) and high (col 3)
    tab = corridor_crossings(lines([on_edge], ["I"]), act).table
    assert tab.loc[0, "high_km"] == pytest.approx(3.0) and tab.loc[0, "medium_km"] == 0.0
    assert tab.loc[0, "length_km"] == pytest.approx(3.0)


def test_crossings_equal_a_shapely_intersection_with_cell_boxes():
    rng = np.random.default_rng(7)
    t = frame(10, 12)
    act = classify_activity(rng.gamma(2.0, 1.0, (10, 12)), k=3, transform=t, crs=CRS)
    ends = rng.uniform([X0, Y0], [X0 + 1200, Y0 + 1000], (12, 2))
    geoms = [LineString([ends[i], ends[i + 1], ends[(i + 5) % 12]]) for i in range(8)]
    cr = corridor_crossings(lines(geoms, ["I"] * 8), act)
    polys = cell_polygons(act.classes, t, 3)
    for i, g in enumerate(geoms):
        expected = [g.intersection(p).length / 1000 for p in polys]
        got = cr.table.loc[i, ["low_km", "medium_km", "high_km"]].to_numpy(float)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # the class polygons of ActivityClasses.polygons() give the same numbers when passed directly
    again = corridor_crossings(lines(geoms, ["I"] * 8), act.polygons())
    pd.testing.assert_frame_equal(again.table, cr.table)


def test_crossing_input_errors():
    act, t = stripes()
    with pytest.raises(InputError, match="no type column 'type'"):
        corridor_crossings(gpd.GeoDataFrame({"k": [1]}, geometry=[LineString([(X0, Y0), (X0 + 1, Y0)])], crs=CRS),
                           act)
    with pytest.raises(InputError, match=r"id column\(s\) \['pair'\] not found"):
        corridor_crossings(lines([LineString([(X0, Y0), (X0 + 1, Y0)])], ["I"]), act, id_cols=["pair"])
    with pytest.raises(InputError, match=r"column\(s\) \['class'\] not found"):
        corridor_crossings(lines([LineString([(X0, Y0), (X0 + 1, Y0)])], ["I"]),
                           act.polygons().drop(columns="class"))
    with pytest.raises(InputError, match="ActivityClasses or a GeoDataFrame"):
        corridor_crossings(lines([LineString([(X0, Y0), (X0 + 1, Y0)])], ["I"]), act.classes)
    assert isinstance(act, ActivityClasses)
