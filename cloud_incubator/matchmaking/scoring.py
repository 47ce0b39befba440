"""Compatibility of every startup–counterpart pair, vectorised with numpy, with reasons.

Pure rules, no I/O. A pair's score is 0–100, the sum of weighted terms (``WEIGHTS``):

- industry: the startup's industry is one the counterpart serves (1.0), or the counterpart names no
  industry ("open to all", 0.5);
- stage: the startup's stage is among the counterpart's stages (1.0), or no stages named (0.5);
  a counterpart naming stages that exclude the startup's stage EXCLUDES the pair (hard);
- ticket: both the startup's ask range and the counterpart's ticket range are known: the ticket range
  holds the whole ask (1.0), part of it (0.5); disjoint ranges EXCLUDE the pair (hard);
- need: the counterpart serves something the startup needs (funding, supply chain, IP, ...) (1.0);
- tags: Jaccard similarity of the finer tags;
- text: cosine similarity of TF-IDF vectors of the descriptions (latin words and CJK character bigrams);
- roadshow: the investor marked the startup "interested" during a roadshow pitch (1.0).

An earlier decline by either party EXCLUDES the pair. Excluded pairs score ``-inf`` in matrices.
Amounts are in 10k CNY (万元).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from scipy import sparse

INDUSTRIES = ("fintech", "digital", "rd_design", "culture_tech", "other")
INDUSTRY_ZH = {"fintech": "金融科技产业", "digital": "数字产业", "rd_design": "研发设计产业",
               "culture_tech": "文化科技产业", "other": "其他产业"}
INDUSTRY_EN = {"fintech": "fintech", "digital": "digital industry", "rd_design": "R&D design",
               "culture_tech": "culture-tech", "other": "other"}
STAGES = ("seed", "angel", "pre_a", "series_a", "series_b", "series_c_plus")
STAGE_EN = {"seed": "seed", "angel": "angel", "pre_a": "pre-A", "series_a": "Series A", "series_b": "Series B",
            "series_c_plus": "Series C+"}
STAGE_ZH = {"seed": "种子轮", "angel": "天使轮", "pre_a": "Pre-A轮", "series_a": "A轮", "series_b": "B轮",
            "series_c_plus": "C轮及以后"}
NEEDS = ("funding", "supply_chain", "ip", "market", "office", "legal", "finance")
NEED_EN = {"funding": "funding", "supply_chain": "supply-chain partners", "ip": "IP services",
           "market": "market access", "office": "office space", "legal": "legal services",
           "finance": "financial services"}
NEED_ZH = {"funding": "融资", "supply_chain": "产业链供应链合作", "ip": "知识产权服务", "market": "市场渠道",
           "office": "办公空间", "legal": "法律服务", "finance": "财税服务"}

WEIGHTS: dict[str, float] = {"industry": 25.0, "stage": 15.0, "ticket": 15.0, "need": 10.0, "tags": 10.0,
                             "text": 10.0, "roadshow": 15.0}
TERMS = tuple(WEIGHTS)
OPEN_CREDIT = 0.5      # counterpart names no industry / no stage
PARTIAL_TICKET = 0.5   # the ticket range holds only part of the ask


def _mask(values: Any, universe: tuple[str, ...]) -> int:
    bits = 0
    for value in values or ():
        if value in universe:
            bits |= 1 << universe.index(value)
    return bits


_LATIN = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_STOP = frozenset("a an and the of for to in on with we our is are by as at or from that this be".split())


def tokens(text: str) -> list[str]:
    """Latin words (lower case, no stop words) and CJK character bigrams (single characters for 1-char runs)."""
    text = (text or "").lower()
    out = [w for w in _LATIN.findall(text) if w not in _STOP and len(w) > 1]
    for run in _CJK.findall(text):
        out.extend(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return out


def tfidf(documents: list[str], max_terms: int = 4096) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (smooth idf = ln((1+n)/(1+df)) + 1), the ``max_terms`` most frequent terms."""
    counts = [Counter(tokens(d)) for d in documents]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    vocab = {t: i for i, (t, _) in enumerate(sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:max_terms])}
    n = len(documents)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in vocab], dtype=np.float32)
    rows, cols, vals = [], [], []
    for r, c in enumerate(counts):
        for term, tf in c.items():
            j = vocab.get(term)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(tf * idf[j])
    m = sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, len(vocab)), dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sparse.csr_matrix(sparse.diags(1 / norms) @ m, dtype=np.float32)


@dataclass
class Signal:
    """A roadshow interest signal (from the ``leads`` collection) or a decline, for one pair."""

    at: datetime
    roadshow_id: str | None = None


@dataclass
class Problem:
    """Column arrays of both sides, aligned with ``startup_ids`` / ``counterpart_ids``."""

    startup_ids: list[str]
    counterpart_ids: list[str]
    s_industry: np.ndarray          # int8 index into INDUSTRIES
    s_stage: np.ndarray             # int8 index into STAGES, -1 unknown
    s_ask: np.ndarray               # (n, 2) float32, NaN when no funding ask
    s_needs: np.ndarray             # int32 bitmask over NEEDS
    c_industries: np.ndarray        # int32 bitmask over INDUSTRIES, 0 = open to all
    c_stages: np.ndarray            # int32 bitmask over STAGES, 0 = any
    c_ticket: np.ndarray            # (m, 2) float32, NaN when not an investor
    c_serves: np.ndarray            # int32 bitmask over NEEDS
    s_tags: np.ndarray              # (n, V) float32 0/1
    c_tags: np.ndarray              # (m, V) float32 0/1
    s_text: sparse.csr_matrix       # (n, T) L2-normalised TF-IDF
    c_text: np.ndarray              # (T, m) float32 dense (transposed) for fast products
    tag_names: list[str] = field(default_factory=list)
    roadshow: dict[tuple[int, int], Signal] = field(default_factory=dict)
    declined: dict[tuple[int, int], Signal] = field(default_factory=dict)
    startups: list[dict[str, Any]] = field(default_factory=list)
    counterparts: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.s_index = {s: i for i, s in enumerate(self.startup_ids)}
        self.c_index = {c: j for j, c in enumerate(self.counterpart_ids)}
        self.s_tag_count = self.s_tags.sum(axis=1, dtype=np.float32)
        self.c_tag_count = self.c_tags.sum(axis=1, dtype=np.float32)
        self._pair_keys(self.roadshow, "_rs")
        self._pair_keys(self.declined, "_dec")
        # Startups alike in (industry, stage), in needs, or in ask share rows of those terms: score_block
        # computes each term once per distinct value and gathers.
        self.s_groups = [_groups(np.column_stack([self.s_industry, self.s_stage])), _groups(self.s_needs[:, None]),
                         _groups(np.nan_to_num(self.s_ask, nan=-1))]

    def _pair_keys(self, pairs: dict[tuple[int, int], Signal], name: str) -> None:
        keys = np.array([s * len(self.counterpart_ids) + c for s, c in pairs], dtype=np.int64)
        setattr(self, name, np.sort(keys))


def _groups(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, a representative row of each group)."""
    _, first, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
    return inverse.ravel(), first


GROUP_TERMS = (("industry", "stage"), ("need",), ("ticket",))


def _ranges(rows: list[dict[str, Any]], lo: str, hi: str) -> np.ndarray:
    out = np.full((len(rows), 2), np.nan, dtype=np.float32)
    for i, r in enumerate(rows):
        if r.get(lo) is not None and r.get(hi) is not None:
            out[i] = (r[lo], r[hi])
    return out


def build_problem(startups: list[dict[str, Any]], counterparts: list[dict[str, Any]],
                  roadshow: dict[tuple[str, str], Signal] | None = None,
                  declined: dict[tuple[str, str], Signal] | None = None) -> Problem:
    """Encode profiles (plain dicts with the stored field names) into arrays.

    Startups: ``_id, industry, stage, ask_min, ask_max, needs, tags, description``.
    Counterparts: ``_id, industries, stages, ticket_min, ticket_max, serves, tags, description``.
    ``roadshow`` / ``declined`` are keyed by (startup_id, counterpart_id).
    """
    tag_names = sorted({t for r in (*startups, *counterparts) for t in r.get("tags") or ()})
    tag_index = {t: i for i, t in enumerate(tag_names)}

    def tag_matrix(rows: list[dict[str, Any]]) -> np.ndarray:
        m = np.zeros((len(rows), len(tag_names)), dtype=np.float32)
        for i, r in enumerate(rows):
            for t in r.get("tags") or ():
                m[i, tag_index[t]] = 1
        return m

    text = tfidf([r.get("description") or "" for r in (*startups, *counterparts)])
    n = len(startups)
    s_ids = [r["_id"] for r in startups]
    c_ids = [r["_id"] for r in counterparts]
    problem = Problem(
        startup_ids=s_ids, counterpart_ids=c_ids,
        s_industry=np.array([INDUSTRIES.index(r.get("industry") or "other") for r in startups], np.int8),
        s_stage=np.array([STAGES.index(r["stage"]) if r.get("stage") in STAGES else -1 for r in startups], np.int8),
        s_ask=_ranges(startups, "ask_min", "ask_max"),
        s_needs=np.array([_mask(r.get("needs"), NEEDS) for r in startups], np.int32),
        c_industries=np.array([_mask(r.get("industries"), INDUSTRIES) for r in counterparts], np.int32),
        c_stages=np.array([_mask(r.get("stages"), STAGES) for r in counterparts], np.int32),
        c_ticket=_ranges(counterparts, "ticket_min", "ticket_max"),
        c_serves=np.array([_mask(r.get("serves"), NEEDS) for r in counterparts], np.int32),
        s_tags=tag_matrix(startups), c_tags=tag_matrix(counterparts),
        s_text=text[:n], c_text=np.asarray(text[n:].T.todense(), dtype=np.float32),
        tag_names=tag_names, startups=startups, counterparts=counterparts,
    )
    for source, target in ((roadshow or {}, problem.roadshow), (declined or {}, problem.declined)):
        for (s, c), signal in source.items():
            if s in problem.s_index and c in problem.c_index:
                target[(problem.s_index[s], problem.c_index[c])] = signal
    problem.__post_init__()
    return problem


def _terms(p: Problem, si: np.ndarray, ci: np.ndarray, tags_dot: np.ndarray, text_dot: np.ndarray,
           signals: bool = True, causes: dict[str, np.ndarray] | None = None
           ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-term credits in [0, 1] and the hard-exclusion mask; ``si``/``ci`` broadcast against each other."""
    ind_bit = np.left_shift(np.int32(1), p.s_industry[si].astype(np.int32))
    c_ind = p.c_industries[ci]
    industry = np.where(c_ind == 0, np.float32(OPEN_CREDIT), ((c_ind & ind_bit) != 0).astype(np.float32))

    stage_idx = p.s_stage[si].astype(np.int32)
    c_st = p.c_stages[ci]
    in_stage = (c_st & np.left_shift(np.int32(1), np.maximum(stage_idx, 0))) != 0
    stage = np.where(c_st == 0, np.float32(OPEN_CREDIT), in_stage.astype(np.float32))
    stage_excluded = (c_st != 0) & (stage_idx >= 0) & ~in_stage
    stage = np.where(stage_idx < 0, np.float32(0), stage)

    a_lo, a_hi = p.s_ask[si, 0], p.s_ask[si, 1]
    t_lo, t_hi = p.c_ticket[ci, 0], p.c_ticket[ci, 1]
    known = ~np.isnan(a_lo) & ~np.isnan(t_lo)
    with np.errstate(invalid="ignore"):
        disjoint = known & ((t_hi < a_lo) | (t_lo > a_hi))
        holds = known & (t_lo <= a_lo) & (t_hi >= a_hi)
    ticket = np.where(holds, np.float32(1), np.where(known & ~disjoint, np.float32(PARTIAL_TICKET), np.float32(0)))

    need = ((p.s_needs[si] & p.c_serves[ci]) != 0).astype(np.float32)

    union = p.s_tag_count[si] + p.c_tag_count[ci] - tags_dot
    tags = np.where(union > 0, tags_dot / np.maximum(union, 1), np.float32(0))

    excluded = stage_excluded | disjoint
    roadshow = np.zeros(np.shape(excluded), dtype=np.float32)
    if signals:
        keys = si.astype(np.int64) * len(p.counterpart_ids) + ci
        roadshow = _member(keys, p._rs).astype(np.float32)  # type: ignore[attr-defined]
        excluded = excluded | _member(keys, p._dec)  # type: ignore[attr-defined]
    credits = {"industry": industry, "stage": stage, "ticket": ticket, "need": need, "tags": tags,
               "text": np.clip(text_dot, 0, 1), "roadshow": roadshow}
    if causes is not None:
        causes.update(stage=stage_excluded, ticket=disjoint)
    return credits, excluded


def _member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(np.shape(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[pos] == keys  # type: ignore[no-any-return]


def score_block(p: Problem, s_rows: np.ndarray, c_cols: np.ndarray | None = None) -> np.ndarray:
    """Scores (len(s_rows), len(c_cols)) float32, ``-inf`` where excluded (the same sums as ``_terms``)."""
    c_cols = np.arange(len(p.counterpart_ids)) if c_cols is None else c_cols
    total: np.ndarray | None = None
    for (group_of, reps_all), names in zip(p.s_groups, GROUP_TERMS, strict=True):
        groups, inverse = np.unique(group_of[s_rows], return_inverse=True)
        reps = reps_all[groups]
        empty = np.zeros((reps.size, c_cols.size), dtype=np.float32)
        causes: dict[str, np.ndarray] = {}
        credits, _ = _terms(p, reps[:, None], c_cols[None, :], empty, empty, signals=False, causes=causes)
        table = np.zeros(empty.shape, dtype=np.float32)
        for name in names:
            table += np.float32(WEIGHTS[name]) * credits[name]
            if name in causes:  # a hard constraint of this term's own inputs
                table[causes[name]] = -np.inf
        part = table[inverse.ravel()]
        total = part if total is None else total + part
    assert total is not None
    if p.tag_names:
        tags_dot = p.s_tags[s_rows] @ p.c_tags[c_cols].T
        union = p.s_tag_count[s_rows][:, None] + p.c_tag_count[c_cols][None, :] - tags_dot
        union *= np.float32(1 / WEIGHTS["tags"])
        # where union is 0 both tag sets are empty and tags_dot is already 0
        np.divide(tags_dot, union, out=tags_dot, where=union > 0)
        total += tags_dot
    if p.c_text.shape[0]:
        text_dot = np.asarray(p.s_text[s_rows] @ p.c_text[:, c_cols], dtype=np.float32)
        np.clip(text_dot, 0, 1, out=text_dot)
        text_dot *= np.float32(WEIGHTS["text"])
        total += text_dot
    m = len(p.counterpart_ids)
    if p._rs.size or p._dec.size:  # type: ignore[attr-defined]
        keys2 = s_rows.astype(np.int64)[:, None] * m + c_cols[None, :]
        if p._rs.size:  # type: ignore[attr-defined]
            total += np.float32(WEIGHTS["roadshow"]) * _member(keys2, p._rs)  # type: ignore[attr-defined]
        if p._dec.size:  # type: ignore[attr-defined]
            total[_member(keys2, p._dec)] = -np.inf  # type: ignore[attr-defined]
    return total


def pair_terms(p: Problem, si: np.ndarray, ci: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Credits of aligned pairs (si[k], ci[k])."""
    tags_dot = np.einsum("ij,ij->i", p.s_tags[si], p.c_tags[ci])
    text_dot = np.asarray(p.s_text[si].multiply(p.c_text[:, ci].T).sum(axis=1), dtype=np.float32).ravel()
    return _terms(p, si, ci, tags_dot, text_dot)


def best_first(scores: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Indices of the finite scores (excluded pairs are -inf), best first; equal scores in id order, so
    that pages of recommendations are stable."""
    valid = np.nonzero(np.isfinite(scores))[0]
    return valid[np.lexsort((np.array(ids, dtype=object)[valid].astype(str), -scores[valid]))]


def _wan(value: float) -> tuple[str, str]:
    """10k CNY → ('CNY 8 M', '800万元')."""
    millions = value / 100
    en = f"{millions:g} M" if millions >= 1 else f"{value * 10:g} k"
    return en, f"{value:g}万"


def _range(lo: float, hi: float) -> tuple[str, str]:
    if lo == hi:
        en, zh = _wan(lo)
        return f"CNY {en}", f"{zh}元"
    (lo_en, lo_zh), (hi_en, hi_zh) = _wan(lo), _wan(hi)
    lo_number, lo_unit = lo_en.split()
    en = f"CNY {lo_number}–{hi_en}" if hi_en.endswith(lo_unit) else f"CNY {lo_en}–{hi_en}"
    return en, f"{lo_zh.rstrip('万')}–{hi_zh}元"


def explain(p: Problem, s: int, c: int) -> dict[str, Any]:
    """Score, exclusion and reasons (``code, points, en, zh``) of one pair."""
    credits, excluded = pair_terms(p, np.array([s]), np.array([c]))
    credit = {k: float(v[0]) for k, v in credits.items()}
    points = {k: round(WEIGHTS[k] * credit[k], 2) for k in TERMS}
    startup, cp = p.startups[s] if p.startups else {}, p.counterparts[c] if p.counterparts else {}
    reasons: list[dict[str, Any]] = []

    def add(code: str, en: str, zh: str) -> None:
        reasons.append({"code": code, "points": points.get(code, 0.0), "en": en, "zh": zh})

    industry = INDUSTRIES[int(p.s_industry[s])]
    if credit["industry"] == 1:
        add("industry", f"same industry: {INDUSTRY_EN[industry]}", f"同属{INDUSTRY_ZH[industry]}")
    elif credit["industry"] > 0:
        add("industry", "open to all industries", "不限产业")
    stage = STAGES[int(p.s_stage[s])] if p.s_stage[s] >= 0 else None
    if stage and credit["stage"] == 1:
        add("stage", f"stage fits: {STAGE_EN[stage]}", f"阶段匹配：{STAGE_ZH[stage]}")
    elif stage and credit["stage"] > 0:
        add("stage", "any stage", "不限阶段")
    elif stage and p.c_stages[c]:
        add("stage", f"stage {STAGE_EN[stage]} is outside the investor's stages",
            f"阶段{STAGE_ZH[stage]}不在对方投资阶段内")
    if not np.isnan(p.s_ask[s, 0]) and not np.isnan(p.c_ticket[c, 0]):
        t_en, t_zh = _range(float(p.c_ticket[c, 0]), float(p.c_ticket[c, 1]))
        a_en, a_zh = _range(float(p.s_ask[s, 0]), float(p.s_ask[s, 1]))
        if credit["ticket"] == 1:
            add("ticket", f"ticket {t_en} covers the {a_en} ask", f"单笔投资{t_zh}覆盖融资需求{a_zh}")
        elif credit["ticket"] > 0:
            add("ticket", f"ticket {t_en} covers part of the {a_en} ask", f"单笔投资{t_zh}部分覆盖融资需求{a_zh}")
        else:
            add("ticket", f"ticket {t_en} is outside the {a_en} ask", f"单笔投资{t_zh}与融资需求{a_zh}不符")
    if credit["need"]:
        shared = [n for i, n in enumerate(NEEDS) if (int(p.s_needs[s]) & int(p.c_serves[c])) >> i & 1]
        add("need", "offers what is needed: " + ", ".join(NEED_EN[n] for n in shared),
            "可满足需求：" + "、".join(NEED_ZH[n] for n in shared))
    if credit["tags"] > 0:
        common = sorted(set(startup.get("tags") or ()) & set(cp.get("tags") or ()))
        add("tags", "common tags: " + ", ".join(common), "共同标签：" + "、".join(common))
    if credit["text"] >= 0.05:
        add("text", f"similar descriptions ({credit['text']:.0%})", f"业务描述相近（{credit['text']:.0%}）")
    signal = p.roadshow.get((s, c))
    if signal is not None:
        add("roadshow", f"showed interest in the roadshow on {signal.at.day} {signal.at:%b}",
            f"{signal.at.month}月{signal.at.day}日路演中表示感兴趣")
    declined = p.declined.get((s, c))
    if declined is not None:
        add("declined", f"declined on {declined.at:%Y-%m-%d}", f"已于{declined.at:%Y-%m-%d}婉拒")
    score = float(sum(points.values()))
    return {"score": -math.inf if bool(excluded[0]) else round(score, 2), "excluded": bool(excluded[0]),
            "points": points, "reasons": reasons}
