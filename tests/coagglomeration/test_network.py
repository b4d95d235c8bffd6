"""Tests of the per-group summary and the core-industry ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionkit.coagglomeration.counterfactual import CoaggResult
from regionkit.coagglomeration.network import coagg_network
from regionkit.errors import InputError


def make_result(coagg: np.ndarray, inds: list[int], draws: int = 100) -> CoaggResult:
    n = len(inds)
    c = coagg.astype(float).copy()
    np.fill_diagonal(c, np.nan)
    idx = pd.Index(inds, name="j")
    cols = pd.Index(inds, name="k")
    nd = np.full((n, n), draws)
    np.fill_diagonal(nd, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(c * (1 - c) / nd)
    return CoaggResult(
        coagg=pd.DataFrame(c, idx, cols), distance=pd.DataFrame(np.ones((n, n)), idx, cols),
        quantiles=pd.DataFrame(), n_draws=pd.DataFrame(nd, idx, cols), mc_se=pd.DataFrame(se, idx, cols),
        sizes=pd.Series(10, index=pd.Index(inds, name="industry")), alpha=0.95, draws=draws,
        sequential=False, distance_name="exact", representation="points", eps=None, seed_entropy=0,
    )


# industries 111, 112 (group 11), 121, 122, 123 (group 12); significant ordered pairs:
# 111->112, 112->111 (within 11), 121->122 (within 12), 111->121 (across), 123->111 (across)
INDS = [111, 112, 121, 122, 123]
SIG = {(111, 112), (112, 111), (121, 122), (111, 121), (123, 111)}


@pytest.fixture
def result() -> CoaggResult:
    c = np.full((5, 5), 0.5)
    for j, k in SIG:
        c[INDS.index(j), INDS.index(k)] = 0.99
    c[INDS.index(122), INDS.index(123)] = 0.95  # exactly at the threshold: significant
    c[INDS.index(123), INDS.index(122)] = 0.94
    return make_result(c, INDS)


def test_by_group_counts(result):
    net = coagg_network(result, lambda c: c // 10)
    g = net.by_group
    assert g.loc[11, "industries"] == 2 and g.loc[12, "industries"] == 3
    assert g.loc[11, "pairs"] == 8 and g.loc[11, "pairs_within"] == 2 and g.loc[11, "pairs_across"] == 6
    assert g.loc[12, "pairs"] == 12 and g.loc[12, "pairs_within"] == 6 and g.loc[12, "pairs_across"] == 6
    assert g.loc[11, "significant_within"] == 2 and g.loc[11, "significant_across"] == 1
    assert g.loc[12, "significant_within"] == 2 and g.loc[12, "significant_across"] == 1
    assert g.loc[11, "significant"] == 3
    c = result.coagg
    assert g.loc[11, "mean_coagg_within"] == pytest.approx(0.99)
    assert g.loc[12, "mean_coagg"] == pytest.approx(np.nanmean(c.loc[[121, 122, 123]].to_numpy()))
    assert len(net.edges) == 6 and net.edges["within"].sum() == 4
    assert "6 significant" in net.summary()


def test_frequency_ranking_and_core(result):
    net = coagg_network(result, {111: 11, 112: 11, 121: 12, 122: 12, 123: 12})
    f = net.frequency.set_index("industry")
    # 111: as j -> 112, 121; as k <- 112, 123  => 4
    assert f.loc[111, "frequency"] == 4 and f.loc[111, "as_j"] == 2 and f.loc[111, "as_k"] == 2
    assert f.loc[112, "frequency"] == 2 and f.loc[121, "frequency"] == 2
    assert f.loc[122, "frequency"] == 2 and f.loc[123, "frequency"] == 2
    assert net.frequency["industry"].iloc[0] == 111 and f.loc[111, "rank"] == 1 and f.loc[112, "rank"] == 2
    assert net.core_industries(n=1) == (111,)
    assert net.core_industries(n=2) == (111, 112, 121, 122, 123)  # ties at the cut kept
    assert net.core_industries(share=0.2) == (111,)
    with pytest.raises(InputError):
        net.core_industries()
    with pytest.raises(InputError):
        net.core_industries(n=2, share=0.5)


def test_other_alpha_and_missing_mapping(result):
    strict = coagg_network(result, lambda c: c // 10, alpha=0.99)
    assert len(strict.edges) == 5
    loose = coagg_network(result, lambda c: c // 10, alpha=0.9)
    assert len(loose.edges) == 7
    with pytest.raises(InputError, match="no group"):
        coagg_network(result, {111: 11})
    none = make_result(np.full((5, 5), 0.1), INDS)
    assert coagg_network(none, lambda c: c // 10).core_industries(n=3) == ()
