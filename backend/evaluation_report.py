"""`incubench evaluate`: score a metrics CSV, print the ranking table and write a self-contained HTML
report (Plotly figures, plotly.js embedded inline: nothing is loaded from a CDN)."""

from __future__ import annotations

import argparse
import csv
import html
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from plotly.offline import get_plotlyjs
from tqdm import tqdm

from backend.charts import radar, rank_intervals, ranking_bar
from evaluation import (
    EvaluationError,
    EvaluationResult,
    MethodSpec,
    QuarterData,
    RobustnessResult,
    Scheme,
    default_scheme,
    evaluate,
    load_scheme,
    robustness,
)

__all__ = ["add_evaluate_parser", "evaluate_command", "read_metrics_csv"]

METHODS = ("arithmetic", "geometric", "topsis")
NORMALIZATIONS = ("target", "minmax", "zscore", "vector")


def read_metrics_csv(path: Path, scheme: Scheme) -> tuple[QuarterData, dict[str, str]]:
    """Read ``incubator_id, name, quarter, <raw fields…>``; an empty cell is *not reported* (None).

    Raises :class:`EvaluationError` (``UNKNOWN_FIELD``, ``INVALID_TYPE``, ``BAD_SHAPE``) naming the row.
    """
    from evaluation import InputError

    values: dict[str, dict[str, dict[str, float | None]]] = {}
    names: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in ("incubator_id", "quarter"):
            if col not in header:
                raise InputError("BAD_SHAPE", f"CSV needs an {col!r} column", field=col)
        known = set(scheme.field_ids)
        for col in header:
            if col not in ("incubator_id", "name", "quarter") and col not in known:
                raise InputError("UNKNOWN_FIELD", f"unknown CSV column {col!r}", field=col)
        for line, row in enumerate(reader, start=2):
            inc = (row.get("incubator_id") or "").strip()
            quarter = (row.get("quarter") or "").strip()
            if not inc or not quarter:
                raise InputError("BAD_SHAPE", f"line {line}: incubator_id and quarter are required", field="row")
            names.setdefault(inc, (row.get("name") or inc).strip())
            rec: dict[str, float | None] = {}
            for f in scheme.field_ids:
                cell = (row.get(f) or "").strip()
                if cell == "":
                    rec[f] = None
                    continue
                try:
                    rec[f] = float(cell)
                except ValueError:
                    raise InputError("INVALID_TYPE", f"line {line}: {f} is not a number: {cell!r}",
                                     incubator_id=inc, field=f) from None
            if quarter in values.setdefault(inc, {}):
                raise InputError("BAD_SHAPE", f"line {line}: duplicate row for {inc} {quarter}", incubator_id=inc,
                                 field="quarter")
            values[inc][quarter] = rec
    return QuarterData(values), names


def _fmt(v: float | None, width: int = 6) -> str:
    return f"{v:{width}.1f}" if v is not None and not math.isnan(v) else " " * (width - 1) + "–"


def format_table(result: EvaluationResult, names: dict[str, str], rob: RobustnessResult | None,
                 lang: str = "zh") -> str:
    """The ranking table as text."""
    scheme = result.scheme
    dims = [d.id for d in scheme.dimensions]
    short = {"tech_conversion": "TECH", "investment": "INVEST", "mentoring": "MENTOR", "supply_chain": "SUPPLY",
             "global_services": "GLOBAL"}
    head = ["RANK", "NAME".ljust(24), "COMPOSITE", *[short.get(d, d[:6].upper()).rjust(6) for d in dims],
            "TIER".ljust(24), "RANK 5–95%"]
    lines = [f"{result.quarter} · scheme {scheme.version} · method {result.method.key()}"
             f"{'' if result.method.is_fixed_goalpost else ' (cohort-relative view)'}",
             "  ".join(head)]
    for i in result.order():
        inc = result.incubator_ids[i]
        tier = scheme.tier(result.tiers[i])
        tier_label = f"{tier.name_zh}/{tier.id}" if lang == "zh" else tier.name_en
        interval = ""
        if rob is not None:
            k = rob.incubator_ids.index(inc)
            interval = f"{rob.p05[k]}–{rob.p95[k]}"
        name = names.get(inc, inc)
        lines.append("  ".join([
            f"{result.ranks[i]:>4}", name[:24].ljust(24 - sum(1 for ch in name[:24] if ord(ch) > 0x2E80)),
            _fmt(float(result.composite[i]), 9), *[_fmt(float(v)) for v in result.dimension_scores[i]],
            tier_label[:24].ljust(24), interval]))
    flagged = result.imputed()
    if flagged:
        lines.append("")
        lines.append("not reported / treated values:")
        for inc, items in sorted(flagged.items()):
            lines.append(f"  {names.get(inc, inc)}: " + ", ".join(f"{k} ({v})" for k, v in sorted(items.items())))
    return "\n".join(lines)


def build_html(result: EvaluationResult, names: dict[str, str], rob: RobustnessResult | None,
               table: str, lang: str = "zh") -> str:
    """A self-contained HTML page with the three kinds of figures and plotly.js inline."""
    figures: list[tuple[str, dict[str, Any]]] = [("ranking", ranking_bar(result, names, lang))]
    if rob is not None:
        figures.append(("intervals", rank_intervals(rob, names, lang)))
    for k, i in enumerate(result.order()):
        figures.append((f"radar-{k}", radar(result, result.incubator_ids[i], names, lang)))
    divs = "\n".join(f'<div id="fig-{key}" class="fig{" radar" if key.startswith("radar") else ""}"></div>'
                     for key, _ in figures)
    payload = json.dumps({key: fig for key, fig in figures}, ensure_ascii=False).replace("</", "<\\/")
    title = "孵化器评价报告" if lang == "zh" else "Incubator evaluation report"
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head><meta charset="utf-8"><title>{title} {html.escape(result.quarter)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} .fig{{width:100%;height:460px}}
.radar{{display:inline-block;width:32%;height:380px}} pre{{font-size:12px;background:#f5f5f5;padding:1em;overflow:auto}}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{title} · {html.escape(result.quarter)}</h1>
<p>scheme {html.escape(result.scheme.version)} · method {html.escape(result.method.key())}</p>
<pre>{html.escape(table)}</pre>
{divs}
<script type="application/json" id="figures">{payload}</script>
<script type="text/javascript">
const figures = JSON.parse(document.getElementById("figures").textContent);
for (const [key, fig] of Object.entries(figures)) {{
  Plotly.newPlot("fig-" + key, fig.data, fig.layout, {{responsive: true, displaylogo: false}});
}}
</script>
</body>
</html>
"""


def evaluate_command(metrics_csv: Path, quarter: str, scheme_path: Path | None, method: str, out: Path | None,
                     draws: int = 1000, *, normalization: str | None = None, seed: int = 0, lang: str = "zh",
                     stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the engine on a metrics CSV; print the table; write the HTML report. Returns an exit code
    (0 ok, 2 bad input or scheme)."""
    so = stdout or sys.stdout
    se = stderr or sys.stderr
    try:
        scheme = load_scheme(scheme_path) if scheme_path is not None else default_scheme()
        data, names = read_metrics_csv(Path(metrics_csv), scheme)
        spec = MethodSpec.from_name(method, normalization)
        result = evaluate(data, scheme, quarter, spec)
        rob = None
        if draws > 0:
            chunk = max(1, min(250, draws // 20 or 1))
            with tqdm(total=draws, desc="Monte Carlo", unit="draw", file=se, leave=False) as bar:
                last = [0]

                def tick(done: int, total: int) -> None:
                    bar.update(done - last[0])
                    last[0] = done

                rob = robustness(result, draws=draws, seed=seed, chunk=chunk, progress=tick)
    except EvaluationError as exc:
        print(f"error: {exc}", file=se)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=se)
        return 2
    table = format_table(result, names, rob, lang)
    print(table, file=so)
    if out is not None:
        Path(out).write_text(build_html(result, names, rob, table, lang), encoding="utf-8")
        print(f"report written to {out}", file=so)
    return 0


def add_evaluate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``evaluate`` on an argparse subparsers object; ``args.func(args)`` returns the exit code."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate", help="score incubators from a metrics CSV and write an HTML report",
        description="Score, rank and tier incubators from a metrics CSV (incubator_id, name, quarter, raw fields; "
                    "empty cell = not reported).")
    p.add_argument("metrics_csv", type=Path, help="metrics CSV")
    p.add_argument("--quarter", required=True, help="quarter to evaluate, e.g. 2025Q3")
    p.add_argument("--scheme", type=Path, default=None, help="scheme TOML file (default: the shipped scheme)")
    p.add_argument("--method", choices=METHODS, default="arithmetic",
                   help="aggregation (arithmetic = headline, fixed goalposts; topsis is cohort-relative)")
    p.add_argument("--normalization", choices=NORMALIZATIONS, default=None,
                   help="override the method's normalisation (default: target; vector for topsis)")
    p.add_argument("--out", type=Path, default=None, help="write the HTML report here")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for rank intervals (0 = skip)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the Monte Carlo")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="chart labels")

    def run(args: argparse.Namespace) -> int:
        return evaluate_command(args.metrics_csv, args.quarter, args.scheme, args.method, args.out, args.draws,
                                normalization=args.normalization, seed=args.seed, lang=args.lang)

    p.set_defaults(func=run)
    return p


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience for `python -m`
    parser = argparse.ArgumentParser(prog="incubench")
    sub = parser.add_subparsers(dest="command", required=True)
    add_evaluate_parser(sub)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
