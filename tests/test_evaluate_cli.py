"""`incubench evaluate` on the shipped example CSV."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from backend.evaluation_report import add_evaluate_parser, evaluate_command

EXAMPLE = Path(__file__).resolve().parents[1] / "evaluation" / "examples" / "metrics_example.csv"


def test_evaluate_prints_table_and_writes_self_contained_report(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    code = evaluate_command(EXAMPLE, "2025Q3", None, "arithmetic", out, draws=200)
    assert code == 0
    text = capsys.readouterr().out
    assert "RANK" in text and "COMPOSITE" in text and "RANK 5–95%" in text
    assert "target/scheme/arithmetic" in text
    rows = [ln for ln in text.splitlines() if re.match(r"^\s+\d+\s{2}", ln)]
    assert len(rows) == 8
    assert re.search(r"\d+–\d+\s*$", rows[0])
    page = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page
    figures = json.loads(re.search(r'<script type="application/json" id="figures">(.*?)</script>', page,
                                   re.S).group(1).replace("<\\/", "</"))
    assert {"ranking", "intervals"} <= set(figures) and sum(k.startswith("radar") for k in figures) == 8
    assert figures["ranking"]["data"][0]["type"] == "bar"
    assert figures["radar-0"]["data"][0]["type"] == "scatterpolar"
    # plotly.js is embedded inline: no <script src=...> at all, so nothing from a CDN or https://
    # (the bundle's own source mentions cdn.plot.ly for geo topojson, which these charts never load)
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and not any("src=" in s for s in scripts)
    assert not any("cdn" in s or "https://" in s for s in scripts)
    assert len(page) > 1_000_000  # the inline bundle


def test_topsis_and_parser_wiring(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="incubench")
    add_evaluate_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["evaluate", str(EXAMPLE), "--quarter", "2025Q3", "--method", "topsis", "--draws", "50",
                              "--lang", "en", "--out", str(tmp_path / "t.html")])
    assert args.func(args) == 0
    assert "vector/scheme/topsis" in capsys.readouterr().out
    assert (tmp_path / "t.html").exists()


def test_bad_input_exits_2_with_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("incubator_id,name,quarter,tenants,financed_tenants\nA,a,2025Q3,10,-1\n", encoding="utf-8")
    assert evaluate_command(bad, "2025Q3", None, "arithmetic", None, draws=0) == 2
    assert "NEGATIVE_VALUE" in capsys.readouterr().err


def test_chart_builders_return_plain_figures_in_both_languages() -> None:
    from backend.charts import dimension_heatmap, rank_trends, ranking_bar
    from backend.evaluation_report import read_metrics_csv
    from evaluation import default_scheme, evaluate

    scheme = default_scheme()
    data, names = read_metrics_csv(EXAMPLE, scheme)
    result = evaluate(data, scheme, "2025Q3")
    assert "Composite" in json.dumps(ranking_bar(result, names, lang="en"))
    assert "综合得分" in json.dumps(ranking_bar(result, names), ensure_ascii=False)
    heat = dimension_heatmap(result, names, lang="en")
    assert heat["data"][0]["type"] == "heatmap" and len(heat["data"][0]["y"]) == 8
    trend = rank_trends({"inc-0001": {"2025Q2": 2, "2025Q3": 1}}, names)
    assert trend["data"][0]["y"] == [2, 1]


def test_cohort_views_print_no_tier_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """TOPSIS scores are cohort-relative: the table says so and grants no tier (标杆 etc. only on the headline);
    the report's ranking chart still shows every incubator."""
    out = tmp_path / "topsis.html"
    assert evaluate_command(EXAMPLE, "2025Q3", None, "topsis", out, draws=0) == 0
    page = out.read_text(encoding="utf-8")
    figures = json.loads(re.search(r'<script type="application/json" id="figures">(.*?)</script>', page,
                                   re.S).group(1).replace("<\\/", "</"))
    assert sum(len(trace["x"]) for trace in figures["ranking"]["data"]) == 8
    text = capsys.readouterr().out
    rows = [ln for ln in text.splitlines() if re.match(r"^\s+\d+\s{2}", ln)]
    assert rows and all("不定级" in ln for ln in rows)
    assert not any(name in text for name in ("标杆", "准标杆", "发展中", "待提升"))
    assert "cohort-relative view" in text
