"""A small labelled sentiment corpus written for this course.

``sentiment.csv`` (shipped inside the package) holds a few hundred short, hand-written opinions
about the things an AI career is made of: courses, bootcamps, tools and libraries, job interviews,
recruiters, managers and workplaces. Each row has a ``text`` and a ``label`` (``positive`` or
``negative``); the two labels are balanced and every text is unique. Some rows are deliberately
hard for word-counting methods: negations ("not bad at all", "I can't recommend this bootcamp to
anyone"), contrasts ("the first week was slow, but ...") and words whose polarity depends on
context.

>>> from coursekit.datasets import sentiment
>>> df = sentiment.load()
>>> sorted(df["label"].unique())
['negative', 'positive']
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

LABELS = ("negative", "positive")


def path() -> Path:
    """Where the shipped corpus file lives."""
    return Path(str(resources.files("coursekit") / "data" / "sentiment.csv"))


def load(shuffle: bool = False, seed: int = 0) -> pd.DataFrame:
    """The corpus as a DataFrame with columns ``text`` and ``label``.

    Rows come in file order (already mixed), or reshuffled with ``seed`` when ``shuffle`` is true.
    The file is checked on load: a missing column, an unknown label, an empty or duplicated text
    raises ``ValueError`` naming the problem.
    """
    df = pd.read_csv(path(), dtype=str, keep_default_na=False)
    missing = {"text", "label"} - set(df.columns)
    if missing:
        raise ValueError(f"{path()}: missing column(s) {', '.join(sorted(missing))}")
    df = df[["text", "label"]].copy()
    df["text"] = df["text"].str.strip()
    bad = sorted(set(df["label"]) - set(LABELS))
    if bad:
        raise ValueError(f"{path()}: unknown label(s) {bad}; expected {list(LABELS)}")
    if (df["text"] == "").any():
        raise ValueError(f"{path()}: empty text in row(s) {list(df.index[df['text'] == ''] + 2)}")
    dupes = df["text"][df["text"].duplicated()]
    if len(dupes):
        raise ValueError(f"{path()}: duplicated text {dupes.iloc[0]!r}")
    if shuffle:
        df = df.sample(frac=1.0, random_state=seed)
    return df.reset_index(drop=True)
