"""The analytics report: one self-contained HTML file (plots as base64 PNG, inline CSS, no script, nothing
fetched) made from the small tables the analytics, drift, sample and graph_export jobs wrote, and from the models'
``metadata.json`` (classifier metrics, topic cluster sizes) when present.

Rendering works on pandas DataFrames of small aggregate tables only (the job reads each table through Spark and
converts it with Arrow; tables that can grow, such as repeat reviewers or the mismatch ranking, are cut to
``top_n`` rows in Spark first). Plots use matplotlib's Agg backend (no display needed).

The drift trend line is a least-squares line (``numpy.polyfit``, degree 1) of the overlap percentage against the
index of the period pair, per category, drawn when a category has at least two pairs; its slope (points per
period) is listed in the drift table of the report: a negative slope means the vocabulary drifts faster over time.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io as _io
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import logging  # noqa: E402

logging.getLogger("matplotlib").setLevel(logging.WARNING)  # its category-units INFO lines flood the job log
MAX_CATEGORIES = 12  # categories drawn per plot (the largest); the rest are summed into "other" where it applies
MAX_ROWS = 25  # rows of an HTML table

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem} h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
figure{margin:1rem 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555} table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right} th{background:#f4f4f4} td.l,th.l{text-align:left}
.note{color:#666;font-style:italic}
"""


def figure_png(draw: Callable[[Any], None], width: float = 10, height: float = 4.5) -> str:
    """Render ``draw(ax)`` to a PNG and return it base64-encoded."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=90)
    try:
        draw(ax)
        fig.tight_layout()
        buf = _io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figure_grid_png(n: int, draw: Callable[[Any, int], None], cols: int = 4) -> str:
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), dpi=90, squeeze=False)
    try:
        for i, ax in enumerate(axes.flat):
            if i < n:
                draw(ax, i)
            else:
                ax.axis("off")
        fig.tight_layout()
        buf = _io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def img(png_b64: str, caption: str) -> str:
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{png_b64}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def table_html(df: pd.DataFrame, max_rows: int = MAX_ROWS, floats: str = "{:.3f}") -> str:
    if df is None or df.empty:
        return '<p class="note">no rows</p>'
    shown = df.head(max_rows)
    head = "".join(f'<th class="{"l" if shown[c].dtype == object else ""}">{html.escape(str(c))}</th>' for c in shown)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for c in shown.columns:
            v = row[c]
            if isinstance(v, float):
                text = "" if np.isnan(v) else floats.format(v)
            elif isinstance(v, (list, np.ndarray)):
                text = ", ".join(map(str, v))
            else:
                text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            cls = "l" if shown[c].dtype == object else ""
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">first {max_rows} of {len(df)} rows</p>' if len(df) > max_rows else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def top_categories(df: pd.DataFrame, value: str, n: int = MAX_CATEGORIES) -> list[str]:
    """The n categories with the largest total ``value`` (ties: by name)."""
    totals = df.groupby("product_category")[value].sum().reset_index()
    totals = totals.sort_values([value, "product_category"], ascending=[False, True])
    return list(totals["product_category"].head(n))


# --------------------------------------------------------------------------- sections
def volume_section(t: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    vol = t.get("monthly_category_volume")
    if vol is not None and not vol.empty:
        cats = top_categories(vol, "reviews")
        pivot = vol.assign(cat=np.where(vol["product_category"].isin(cats), vol["product_category"], "other"))
        pivot = pivot.pivot_table(index="month", columns="cat", values="reviews", aggfunc="sum").fillna(0).sort_index()

        def draw(ax):
            for col in [c for c in cats if c in pivot] + (["other"] if "other" in pivot else []):
                ax.plot(pivot.index, pivot[col], marker="o", label=col)
            ax.set_ylabel("reviews"), ax.set_title("Reviews per month per category")
            ax.legend(fontsize=7, ncol=2), ax.tick_params(axis="x", rotation=45)

        out.append(img(figure_png(draw), "Reviews per month and category (largest categories; the rest as other)"))
    src = t.get("volume_by_source")
    if src is not None and not src.empty:
        piv = src.assign(key=src["source"] + "/" + src["lang"]).pivot_table(
            index="month", columns="key", values="documents", aggfunc="sum").fillna(0).sort_index()

        def draw_src(ax):
            bottom = np.zeros(len(piv))
            for col in piv.columns:
                ax.bar(piv.index, piv[col], bottom=bottom, label=col)
                bottom += piv[col].to_numpy()
            ax.set_title("Documents per month per source and language"), ax.legend(fontsize=7)
            ax.tick_params(axis="x", rotation=45)

        out.append(img(figure_png(draw_src), "Documents per month, source and language"))
    return out


def length_section(t: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    length = t.get("length_by_category")
    if length is not None and not length.empty:
        df = length.sort_values("reviews", ascending=False).head(MAX_CATEGORIES * 2)
        x = np.arange(len(df))

        def draw(ax):
            ax.bar(x - 0.27, df["chars_mean"], width=0.27, label="mean")
            ax.bar(x, df["chars_median"], width=0.27, label="median")
            ax.bar(x + 0.27, df["chars_p90"], width=0.27, label="p90")
            ax.set_xticks(x, df["product_category"], rotation=60, ha="right", fontsize=7)
            ax.set_ylabel("characters"), ax.set_title("Review length per category"), ax.legend(fontsize=8)

        out.append(img(figure_png(draw), "Review length in characters per category: mean, median, p90"))
    hist = t.get("length_histogram")
    if hist is not None and not hist.empty:
        cats = top_categories(hist, "reviews", 6)

        def draw_hist(ax):
            for cat in cats:
                df = hist[hist["product_category"] == cat].sort_values("bucket_start")
                ax.step(df["bucket_start"], df["reviews"] / df["reviews"].sum(), where="post", label=cat)
            ax.set_xlabel("characters (bucket start)"), ax.set_ylabel("share of the category's reviews")
            ax.set_title("Review length distribution"), ax.legend(fontsize=8)

        out.append(img(figure_png(draw_hist, height=3.5), "Distribution of review length (largest categories)"))
        out.append(table_html(df[["product_category", "reviews", "chars_mean", "chars_median", "chars_p90",
                                  "tokens_mean", "tokens_median", "tokens_p90"]]))
    return out


def rating_section(t: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    by_month = t.get("rating_by_month")
    if by_month is not None and not by_month.empty:
        df = by_month.sort_values("month")

        def draw(ax):
            ax.plot(df["month"], df["avg_star_rating"], marker="o")
            ax.set_ylim(1, 5), ax.set_ylabel("average stars"), ax.set_title("Star rating over time")
            ax.tick_params(axis="x", rotation=45)

        out.append(img(figure_png(draw, height=3.5), "Average star rating per month"))
    stars = t.get("reviews_by_star")
    helpful = t.get("helpfulness_by_star")
    if stars is not None and not stars.empty:
        df = stars.sort_values("star_rating")

        def draw_stars(ax):
            ax.bar(df["star_rating"].astype(str), df["reviews"], color="#4c72b0")
            ax.set_xlabel("stars"), ax.set_ylabel("reviews"), ax.set_title("Reviews per star rating")
            if helpful is not None and not helpful.empty:
                h = helpful.sort_values("star_rating")
                ax2 = ax.twinx()
                ax2.plot(h["star_rating"].astype(str), h["helpfulness"], color="#dd8452", marker="o")
                ax2.set_ylabel("helpful / total votes"), ax2.set_ylim(0, 1)

        out.append(img(figure_png(draw_stars, height=3.5), "Reviews per star rating (bars) and helpfulness (line)"))
    posneg = t.get("positive_negative")
    if posneg is not None and not posneg.empty:
        cats = posneg[posneg["scope"] == "category"].sort_values("positive_negative_ratio", ascending=False)
        overall = posneg[posneg["scope"] == "overall"]["positive_negative_ratio"]

        def draw_ratio(ax):
            ax.bar(cats["product_category"], cats["positive_negative_ratio"].fillna(0), color="#55a868")
            if len(overall) and pd.notna(overall.iloc[0]):
                ax.axhline(overall.iloc[0], color="black", linestyle="--", label=f"overall {overall.iloc[0]:.2f}")
                ax.legend(fontsize=8)
            ax.set_ylabel("positive (4-5) / negative (1-3)"), ax.set_title("Positive to negative ratio per category")
            ax.tick_params(axis="x", rotation=60, labelsize=7)

        out.append(img(figure_png(draw_ratio), "Ratio of positive (4-5 stars) to negative (1-3 stars) reviews"))
    summary = t.get("category_summary")
    if summary is not None and not summary.empty:
        out.append(table_html(summary.sort_values("reviews", ascending=False)[
            ["product_category", "reviews", "avg_star_rating", "first_review_date"]]))
    return out


def trend(values: np.ndarray) -> tuple[float, float] | None:
    """(slope, intercept) of the least-squares line through (index, value), None below two points."""
    if len(values) < 2:
        return None
    slope, intercept = np.polyfit(np.arange(len(values), dtype=float), values.astype(float), 1)
    return float(slope), float(intercept)


def drift_section(t: dict[str, pd.DataFrame]) -> tuple[list[str], pd.DataFrame]:
    out = []
    slopes = []
    periods = t.get("drift_overlap_period")
    if periods is not None and not periods.empty:
        counts = periods.groupby("product_category").size().sort_values(ascending=False)
        cats = sorted(counts.index[:MAX_CATEGORIES * 2])

        def draw(ax, i):
            df = periods[periods["product_category"] == cats[i]].sort_values("period_from")
            y = df["overlap_pct"].to_numpy()
            x = np.arange(len(y))
            ax.plot(x, y, "o", color="#4c72b0")
            fitted = trend(y)
            if fitted:
                ax.plot(x, fitted[1] + fitted[0] * x, "-", color="#c44e52")
            ax.set_xticks(x, [f"{a}→{b}" for a, b in zip(df["period_from"], df["period_to"])], rotation=45, fontsize=6)
            ax.set_ylim(0, 105), ax.set_title(cats[i], fontsize=9)

        out.append(img(figure_grid_png(len(cats), draw),
                       "Overlap % of the top-k TF-IDF terms between consecutive periods, per category, "
                       "with a least-squares trend line"))
        for cat in cats:
            df = periods[periods["product_category"] == cat].sort_values("period_from")
            fitted = trend(df["overlap_pct"].to_numpy())
            slopes.append({"product_category": cat, "pairs": len(df), "mean_overlap_pct": df["overlap_pct"].mean(),
                           "trend_slope_pct_per_period": fitted[0] if fitted else np.nan})
    stars = t.get("drift_overlap_star")
    if stars is not None and not stars.empty:
        piv = stars.assign(pair=stars["star_rating_from"].astype(str) + "-" + stars["star_rating_to"].astype(str))
        piv = piv.pivot_table(index="product_category", columns="pair", values="overlap_pct").sort_index()

        def draw_heat(ax):
            im = ax.imshow(piv.to_numpy(), aspect="auto", vmin=0, vmax=100, cmap="viridis")
            ax.set_yticks(range(len(piv.index)), piv.index, fontsize=7)
            ax.set_xticks(range(len(piv.columns)), piv.columns)
            ax.set_xlabel("adjacent star ratings"), ax.set_title("Top-k term overlap % between adjacent ratings")
            ax.figure.colorbar(im, ax=ax)

        out.append(img(figure_png(draw_heat, height=max(3.0, 0.25 * len(piv) + 1.5)),
                       "Overlap % of the top-k TF-IDF terms between adjacent star ratings, per category"))
    return out, pd.DataFrame(slopes)


def models_section(models: list[dict]) -> list[str]:
    out = []
    classifiers = [m for m in models if isinstance(m.get("metadata", {}).get("metrics"), dict)]
    if classifiers:
        rows = [{"model": m["name"], "version": m["version"], **{k: v for k, v in m["metadata"]["metrics"].items()
                                                                 if isinstance(v, (int, float))}} for m in classifiers]
        df = pd.DataFrame(rows)
        keys = [k for k in ("accuracy", "macro_f1", "weighted_f1", "majority_baseline") if k in df]

        def draw(ax):
            x = np.arange(len(df))
            width = 0.8 / max(1, len(keys))
            for i, k in enumerate(keys):
                ax.bar(x + i * width, df[k].astype(float), width=width, label=k)
            ax.set_xticks(x + width * (len(keys) - 1) / 2, df["model"], rotation=30, fontsize=8)
            ax.set_ylim(0, 1), ax.set_title("Classifier test metrics"), ax.legend(fontsize=8)

        if keys:
            out.append(img(figure_png(draw, height=3.5), "Classifier test metrics (latest version of each model)"))
        out.append(table_html(df))
    for m in models:
        sizes = m.get("metadata", {}).get("cluster_sizes")
        if isinstance(sizes, dict) and sizes:
            values = sorted((int(v) for v in sizes.values()), reverse=True)

            def draw_sizes(ax, values=values, name=m["name"]):
                ax.bar(np.arange(len(values)), values, color="#8172b2")
                ax.set_xlabel("cluster (largest first)"), ax.set_ylabel("sentences")
                ax.set_title(f"Topic cluster sizes: {name}")

            out.append(img(figure_png(draw_sizes, height=3.2),
                           f"Cluster sizes of topic model {m['name']} version {m['version']}"))
    return out


def render(tables: dict[str, pd.DataFrame], models: list[dict] | None = None, title: str = "VoC review analytics",
           generated_at: dt.datetime | None = None, notes: list[str] | None = None) -> tuple[str, int]:
    """The report's HTML and the number of images in it."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="note">generated {generated_at.strftime("%Y-%m-%d %H:%M UTC")} from the analytics tables; '
             "every number is computed by Spark over the full data unless the sample section says otherwise</p>"]
    for note in notes or []:
        parts.append(f'<p class="note">{html.escape(note)}</p>')

    def section(name: str, body: list[str], missing: str) -> None:
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.extend(body or [f'<p class="note">{html.escape(missing)}</p>'])

    section("Volume", volume_section(tables), "no volume tables: run the analytics job")
    section("Review length", length_section(tables), "no length tables: run the analytics job")
    section("Ratings and helpfulness", rating_section(tables), "no rating tables: run the analytics job")
    top = tables.get("top_helpful_products")
    section("Most helpful products", [table_html(top)] if top is not None else [], "run the analytics job")
    repeat = tables.get("repeat_reviewers")
    section("Customers reviewing the same product repeatedly", [table_html(repeat)] if repeat is not None else [],
            "run the analytics job")
    drift_parts, slopes = drift_section(tables)
    if not slopes.empty:
        drift_parts.append(table_html(slopes))
    section("Language drift", drift_parts, "no drift tables: run the drift job")
    sample_parts = []
    if tables.get("sample_months") is not None:
        sample_parts.append(table_html(tables["sample_months"]))
    if tables.get("sample_categories") is not None:
        cats = tables["sample_categories"]
        sample_parts.append(table_html(cats[cats["dropped"]]) if "dropped" in cats else table_html(cats))
    section("Sample (per month: rows, target, sampled, kept; dropped categories)", sample_parts,
            "no sample: run the sample job")
    mismatch = tables.get("graph_mismatch_ranking")
    section("Products predicted into another category", [table_html(mismatch)] if mismatch is not None else [],
            "no ranking: run graph_export (it needs the product-category classifier's predictions)")
    section("Models", models_section(models or []), "no model metadata found under models/")
    body = "\n".join(parts)
    n_images = body.count("<img ")
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="icon" href="data:,"><style>{CSS}</style></head><body>\n{body}\n</body></html>\n')
    return page, n_images
