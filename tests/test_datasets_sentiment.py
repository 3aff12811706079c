"""The shipped sentiment corpus: size, balance, uniqueness, hard cases, packaging."""
import re
import tomllib
from pathlib import Path

import pytest

from coursekit.datasets import sentiment

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus():
    return sentiment.load()


def test_size_and_columns(corpus):
    assert list(corpus.columns) == ["text", "label"]
    assert 300 <= len(corpus) <= 400


def test_labels_are_known_and_balanced(corpus):
    counts = corpus["label"].value_counts()
    assert set(counts.index) == {"positive", "negative"}
    assert abs(counts["positive"] - counts["negative"]) <= 0.1 * len(corpus)


def test_texts_are_unique_short_and_non_empty(corpus):
    assert corpus["text"].is_unique
    assert corpus["text"].str.lower().str.strip(" .!").is_unique
    words = corpus["text"].str.split().str.len()
    assert words.min() >= 3 and words.max() <= 30


def test_hard_cases_present_in_both_labels(corpus):
    negation = re.compile(r"\b(?:not|never|no|nothing|hardly|cannot)\b|n't\b", re.I)
    has_negation = corpus["text"].str.contains(negation)
    by_label = corpus[has_negation]["label"].value_counts()
    assert by_label.get("positive", 0) >= 10 and by_label.get("negative", 0) >= 10
    contrast = corpus["text"].str.contains(r"\b(?:but|yet|despite)\b", case=False)
    assert set(corpus[contrast]["label"]) == {"positive", "negative"}


def test_shuffle_is_deterministic(corpus):
    a = sentiment.load(shuffle=True, seed=3)
    b = sentiment.load(shuffle=True, seed=3)
    assert a.equals(b)
    assert not a.equals(corpus)
    assert sorted(a["text"]) == sorted(corpus["text"])


def test_shipped_as_package_data():
    assert sentiment.path().is_file()
    assert sentiment.path().parent.name == "data"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "data/*" in config["tool"]["setuptools"]["package-data"]["coursekit"]
