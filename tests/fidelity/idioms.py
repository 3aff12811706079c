"""The ways instructors write nbgrader tests, one question each: the fidelity suite's assignment.

Each idiom has a reference answer, a second correct answer written differently, a wrong answer
and an nbgrader test cell (one point). ``build()`` writes them as an nbgrader course folder
(``source/idioms/idioms.ipynb``, ``submitted/<reference|alternative|wrong>/idioms/idioms.ipynb``)
so that nbgrader itself can grade it; the points nbgrader gave are in ``expected.json``.
"""
from __future__ import annotations

import random
import textwrap
from pathlib import Path

import nbformat

SETUP = """\
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
"""

# (question id, reference, alternative, wrong, test)
IDIOMS = [
    ("builtin_exception",
     "def safe_ratio(a, b):\n    if b == 0:\n        raise ValueError('b must not be zero')\n    return a / b",
     "def safe_ratio(a, b):\n    try:\n        return a / b\n    except ZeroDivisionError:\n        raise ValueError('zero denominator') from None",
     "def safe_ratio(a, b):\n    if b == 0:\n        return float('nan')\n    return a / b",
     "try:\n    safe_ratio(1, 0)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('safe_ratio(1, 0) should raise ValueError')\nassert safe_ratio(6, 3) == 2"),
    ("pytest_raises",
     "def parse_age(text):\n    if not isinstance(text, str):\n        raise TypeError('text must be a string')\n    return int(text)",
     "def parse_age(text):\n    if type(text) is not str:\n        raise TypeError(f'expected str, got {type(text).__name__}')\n    return int(text.strip())",
     "def parse_age(text):\n    return int(text)",
     "import pytest\nwith pytest.raises(TypeError):\n    parse_age(12.5)\nassert parse_age('41') == 41"),
    ("raises_match",
     "def sqrt_checked(x):\n    if x < 0:\n        raise ValueError(f'negative input: {x}')\n    return x ** 0.5",
     "import math\ndef sqrt_checked(x):\n    if x < 0:\n        raise ValueError('cannot take a negative number')\n    return math.sqrt(x)",
     "def sqrt_checked(x):\n    return abs(x) ** 0.5",
     "import pytest\nwith pytest.raises(ValueError, match='negative'):\n    sqrt_checked(-4)\nassert sqrt_checked(9) == 3"),
    ("own_exception",
     "class InvalidScore(ValueError):\n    pass\n\ndef check_score(s):\n    if not 0 <= s <= 100:\n        raise InvalidScore(s)\n    return s",
     "class InvalidScore(ValueError):\n    def __init__(self, score):\n        super().__init__(f'score out of range: {score}')\n        self.score = score\n\ndef check_score(s):\n    if s < 0 or s > 100:\n        raise InvalidScore(s)\n    return s",
     "class InvalidScore(Exception):\n    pass\n\ndef check_score(s):\n    return min(max(s, 0), 100)",
     "assert issubclass(InvalidScore, ValueError)\ntry:\n    check_score(140)\nexcept InvalidScore:\n    pass\nelse:\n    raise AssertionError('140 should raise InvalidScore')\ntry:\n    check_score(-1)\nexcept ValueError as error:\n    assert isinstance(error, InvalidScore)\nelse:\n    raise AssertionError('-1 should raise')\nassert check_score(55) == 55"),
    ("inplace_array",
     "def center_inplace(values):\n    values -= values.mean()",
     "def center_inplace(values):\n    mean = values.sum() / len(values)\n    for i in range(len(values)):\n        values[i] = values[i] - mean",
     "def center_inplace(values):\n    return values - values.mean()",
     "data = np.array([1.0, 2.0, 3.0, 6.0])\nresult = center_inplace(data)\nassert result is None\nassert np.allclose(data, [-2.0, -1.0, 0.0, 3.0])"),
    ("inplace_list",
     "def add_twice(items, value):\n    items.append(value)\n    items.append(value)",
     "def add_twice(items, value):\n    items.extend([value, value])",
     "def add_twice(items, value):\n    return items + [value, value]",
     "bag = [1]\nadd_twice(bag, 5)\nassert bag == [1, 5, 5]"),
    ("inplace_dict",
     "def tally(counts, word):\n    counts[word] = counts.get(word, 0) + 1",
     "def tally(counts, word):\n    if word in counts:\n        counts[word] += 1\n    else:\n        counts[word] = 1",
     "def tally(counts, word):\n    new = dict(counts)\n    new[word] = new.get(word, 0) + 1\n    return new",
     "seen = {'a': 1}\ntally(seen, 'a')\ntally(seen, 'b')\nassert seen == {'a': 2, 'b': 1}"),
    ("inplace_dataframe",
     "def add_total(frame):\n    frame['total'] = frame['base'] + frame['bonus']",
     "def add_total(frame):\n    frame.insert(len(frame.columns), 'total', frame.sum(axis=1))",
     "def add_total(frame):\n    return frame.assign(total=frame['base'] + frame['bonus'])",
     "pay = pd.DataFrame({'base': [100, 120], 'bonus': [10, 0]})\nadd_total(pay)\nassert list(pay.columns) == ['base', 'bonus', 'total']\nassert pay['total'].tolist() == [110, 120]"),
    ("class_instances",
     "class Counter:\n    def __init__(self):\n        self.value = 0\n    def increment(self, by=1):\n        self.value += by\n        return self.value",
     "class Counter:\n    def __init__(self, start=0):\n        self._n = start\n    @property\n    def value(self):\n        return self._n\n    def increment(self, by=1):\n        self._n = self._n + by\n        return self._n",
     "class Counter:\n    def __init__(self):\n        self.value = 0\n    def increment(self, by=1):\n        return self.value + by",
     "c = Counter()\nassert c.increment() == 1\nc.increment(by=4)\nassert c.value == 5\nassert isinstance(c, Counter)\nassert type(c).__name__ == 'Counter'"),
    ("generator",
     "def countdown(n):\n    while n > 0:\n        yield n\n        n -= 1",
     "def countdown(n):\n    yield from range(n, 0, -1)",
     "def countdown(n):\n    return list(range(n, 0, -1))",
     "import types\nassert isinstance(countdown(3), types.GeneratorType)\nassert list(countdown(3)) == [3, 2, 1]\ngen = countdown(2)\nassert next(gen) == 2\nassert next(gen) == 1"),
    ("higher_order",
     "def apply_twice(function, value):\n    return function(function(value))",
     "def apply_twice(function, value):\n    for _ in range(2):\n        value = function(value)\n    return value",
     "def apply_twice(function, value):\n    return function(value) * 2",
     "assert apply_twice(lambda v: v + 3, 1) == 7\nassert apply_twice(str.upper, 'ab') == 'AB'\ncalls = []\ndef spy(v):\n    calls.append(v)\n    return v * 2\nassert apply_twice(spy, 5) == 20\nassert calls == [5, 10]"),
    ("captured_output",
     "def greet(name):\n    print(f'Hello, {name}!')",
     "def greet(name):\n    print('Hello, ' + name + '!')",
     "def greet(name):\n    return f'Hello, {name}!'",
     "import contextlib, io\nbuffer = io.StringIO()\nwith contextlib.redirect_stdout(buffer):\n    greet('Ada')\nassert buffer.getvalue() == 'Hello, Ada!\\n'"),
    ("returned_axes",
     "def plot_growth(years, values):\n    fig, ax = plt.subplots()\n    ax.plot(years, values)\n    ax.set_title('Growth')\n    ax.set_xlabel('year')\n    return ax",
     "def plot_growth(years, values):\n    fig = plt.figure()\n    ax = fig.add_subplot(1, 1, 1)\n    ax.plot(years, values, marker='o')\n    ax.set(title='Growth', xlabel='year')\n    return ax",
     "def plot_growth(years, values):\n    fig, ax = plt.subplots()\n    ax.bar(years, values)\n    return ax",
     "ax = plot_growth([2020, 2021, 2022], [1, 3, 7])\nassert isinstance(ax, plt.Axes)\nassert ax.get_title() == 'Growth'\nassert ax.get_xlabel() == 'year'\nassert len(ax.lines) == 1\nassert list(ax.lines[0].get_ydata()) == [1, 3, 7]"),
    ("current_figure",
     "def draw_histogram(values):\n    plt.figure()\n    plt.hist(values, bins=4)\n    plt.title('Scores')",
     "def draw_histogram(values):\n    fig, ax = plt.subplots()\n    ax.hist(values, bins=4)\n    ax.set_title('Scores')",
     "def draw_histogram(values):\n    plt.figure()\n    plt.plot(values)\n    plt.title('Scores')",
     "plt.close('all')\ndraw_histogram([1, 2, 2, 3, 3, 3, 4])\nfig = plt.gcf()\nax = fig.axes[0]\nassert ax.get_title() == 'Scores'\nassert len(ax.patches) == 4"),
    ("numpy_seed",
     "def noisy_mean(n):\n    return np.random.normal(size=n).mean()",
     "def noisy_mean(n):\n    draws = np.random.normal(0.0, 1.0, n)\n    return float(np.mean(draws))",
     "def noisy_mean(n):\n    return np.random.default_rng().normal(size=n).mean()",
     "np.random.seed(7)\nexpected = np.random.normal(size=50).mean()\nnp.random.seed(7)\nassert abs(noisy_mean(50) - expected) < 1e-12"),
    ("python_seed",
     "import random\ndef roll_dice(k):\n    return [random.randint(1, 6) for _ in range(k)]",
     "import random as rnd\ndef roll_dice(k):\n    rolls = []\n    for _ in range(k):\n        rolls.append(rnd.randint(1, 6))\n    return rolls",
     "def roll_dice(k):\n    return [((i * 7) % 6) + 1 for i in range(k)]",
     "import random\nrandom.seed(3)\nexpected = [random.randint(1, 6) for _ in range(10)]\nrandom.seed(3)\nassert roll_dice(10) == expected"),
    ("student_writes_file",
     "def save_scores(path, scores):\n    pd.DataFrame({'name': list(scores), 'score': list(scores.values())}).to_csv(path, index=False)",
     "import csv\ndef save_scores(path, scores):\n    with open(path, 'w', newline='') as handle:\n        writer = csv.writer(handle)\n        writer.writerow(['name', 'score'])\n        writer.writerows(scores.items())",
     "def save_scores(path, scores):\n    with open(path, 'w') as handle:\n        handle.write(str(scores))",
     "save_scores('scores.csv', {'ada': 90, 'bob': 75})\nback = pd.read_csv('scores.csv')\nassert back.shape == (2, 2)\nassert back['score'].sum() == 165"),
    ("test_writes_file",
     "def count_lines(path):\n    with open(path) as handle:\n        return sum(1 for _ in handle)",
     "from pathlib import Path\ndef count_lines(path):\n    return len(Path(path).read_text().splitlines())",
     "def count_lines(path):\n    return 3",
     "with open('lines.txt', 'w') as handle:\n    handle.write('a\\nb\\nc\\nd\\n')\nassert count_lines('lines.txt') == 4"),
    ("fitted_model",
     "from sklearn.linear_model import LogisticRegression\ndef train_classifier(X, y):\n    return LogisticRegression(max_iter=500).fit(X, y)",
     "from sklearn.neighbors import KNeighborsClassifier\ndef train_classifier(X, y):\n    model = KNeighborsClassifier(n_neighbors=3)\n    model.fit(X, y)\n    return model",
     "from sklearn.dummy import DummyClassifier\ndef train_classifier(X, y):\n    return DummyClassifier().fit(X, y)",
     "X = np.array([[0.0], [0.2], [0.4], [2.0], [2.2], [2.4]])\ny = np.array([0, 0, 0, 1, 1, 1])\nmodel = train_classifier(X, y)\nassert model.score(X, y) == 1.0\nassert model.predict(np.array([[0.1], [2.3]])).tolist() == [0, 1]\nassert hasattr(model, 'predict_proba')"),
    ("namedtuple",
     "from collections import namedtuple\nPoint = namedtuple('Point', ['x', 'y'])\ndef midpoint(p, q):\n    return Point((p.x + q.x) / 2, (p.y + q.y) / 2)",
     "from typing import NamedTuple\nclass Point(NamedTuple):\n    x: float\n    y: float\ndef midpoint(p, q):\n    return Point(*( (a + b) / 2 for a, b in zip(p, q)))",
     "from collections import namedtuple\nPoint = namedtuple('Point', ['x', 'y'])\ndef midpoint(p, q):\n    return Point(p.x + q.x, p.y + q.y)",
     "m = midpoint(Point(0, 0), Point(2, 4))\nassert m == (1, 2)\nassert m.x == 1 and m.y == 2\nassert m == Point(1, 2)"),
    ("dataclass",
     "from dataclasses import dataclass\n@dataclass\nclass Offer:\n    company: str\n    salary: float\ndef best_offer(offers):\n    return max(offers, key=lambda o: o.salary)",
     "from dataclasses import dataclass, field\n@dataclass(order=True)\nclass Offer:\n    salary: float = field(compare=True)\n    company: str = field(default='', compare=False)\n    def __init__(self, company, salary):\n        self.company, self.salary = company, salary\ndef best_offer(offers):\n    return sorted(offers, key=lambda o: o.salary)[-1]",
     "from dataclasses import dataclass\n@dataclass\nclass Offer:\n    company: str\n    salary: float\ndef best_offer(offers):\n    return offers[0]",
     "import dataclasses\noffers = [Offer('a', 90000), Offer('b', 120000), Offer('c', 100000)]\nbest = best_offer(offers)\nassert best.company == 'b'\nassert dataclasses.is_dataclass(best)\nassert dataclasses.asdict(best)['salary'] == 120000\nassert best == offers[1]"),
    ("introspection",
     "def salary_range(low, high, *, currency='USD'):\n    \"\"\"Format a salary range.\"\"\"\n    return f'{currency} {low:,}-{high:,}'",
     "def salary_range(low, high, *, currency='USD'):\n    \"\"\"Return a range such as 'USD 60,000-80,000'.\"\"\"\n    return '{} {:,}-{:,}'.format(currency, low, high)",
     "def salary_range(low, high, currency='USD'):\n    return f'{currency} {low}-{high}'",
     "import inspect\nsignature = inspect.signature(salary_range)\nassert list(signature.parameters) == ['low', 'high', 'currency']\nassert signature.parameters['currency'].kind is inspect.Parameter.KEYWORD_ONLY\nassert salary_range.__doc__\nassert salary_range.__name__ == 'salary_range'\nassert salary_range(60000, 80000) == 'USD 60,000-80,000'"),
    ("uses_helper",
     "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n\ndef sum_of_squares(n):\n    return sum(squares(n))",
     "def squares(n):\n    out = []\n    for i in range(1, n + 1):\n        out.append(i ** 2)\n    return out\n\ndef sum_of_squares(n):\n    total = 0\n    for value in squares(n):\n        total += value\n    return total",
     "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n\ndef sum_of_squares(n):\n    return n * (n + 1) * (2 * n + 1) // 6",
     "assert sum_of_squares(3) == 14\norig_squares = squares\ndel squares\ntry:\n    sum_of_squares(2)\nexcept NameError:\n    pass\nelse:\n    raise AssertionError('sum_of_squares should use squares')\nfinally:\n    squares = orig_squares"),
    ("wraps_helper",
     "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n\ndef sum_of_squares(n):\n    return sum(squares(n))",
     "def squares(n):\n    return list(map(lambda i: i * i, range(1, n + 1)))\n\ndef sum_of_squares(n):\n    return sum(squares(n))",
     "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n\ndef sum_of_squares(n):\n    return sum(i * i for i in range(1, n + 1))",
     "calls = []\norig_squares = squares\ndef squares(n):\n    calls.append(n)\n    return orig_squares(n)\ntry:\n    assert sum_of_squares(4) == 30\n    assert calls == [4], 'sum_of_squares should call squares once'\nfinally:\n    squares = orig_squares"),
    ("rng_passed",
     "def shuffled_deck(rng):\n    return rng.permutation(52)",
     "def shuffled_deck(rng):\n    deck = np.arange(52)\n    return rng.permutation(deck)",
     "def shuffled_deck(rng):\n    return np.arange(52)",
     "expected = np.random.default_rng(11).permutation(52)\nassert (shuffled_deck(np.random.default_rng(11)) == expected).all()"),
    ("global_value",
     "answer = sum(range(1, 101))",
     "answer = 100 * 101 // 2",
     "answer = 5000",
     "assert answer == 5050"),
    ("define_helper_in_test",
     "def mean_salary(salaries):\n    return sum(salaries) / len(salaries)",
     "import statistics\ndef mean_salary(salaries):\n    return statistics.fmean(salaries)",
     "def mean_salary(salaries):\n    return sum(salaries) // len(salaries)",
     "def close_enough(a, b):\n    return abs(a - b) < 1e-9\nassert close_enough(mean_salary([1, 2]), 1.5)"),
    ("uses_test_helper",
     "def median_salary(salaries):\n    ordered = sorted(salaries)\n    middle = len(ordered) // 2\n    if len(ordered) % 2:\n        return ordered[middle]\n    return (ordered[middle - 1] + ordered[middle]) / 2",
     "def median_salary(salaries):\n    return float(np.median(salaries))",
     "def median_salary(salaries):\n    return sorted(salaries)[len(salaries) // 2]",
     "assert close_enough(median_salary([4, 1, 3, 2]), 2.5)\nassert close_enough(median_salary([5, 1, 3]), 3)"),
    ("source_inspection",
     "def total_of(values):\n    return sum(values)",
     "from functools import reduce\nimport operator\ndef total_of(values):\n    return reduce(operator.add, values, 0)",
     "def total_of(values):\n    total = 0\n    for value in values:\n        total += value\n    return total",
     "import inspect\nassert total_of([1, 2, 3]) == 6\nassert 'for ' not in inspect.getsource(total_of), 'use no loop'"),
    ("warns",
     "import warnings\ndef safe_log(x):\n    import math\n    if x <= 0:\n        warnings.warn('log of a non-positive number', RuntimeWarning)\n        return float('nan')\n    return math.log(x)",
     "import warnings, math\nclass DomainWarning(RuntimeWarning):\n    pass\ndef safe_log(x):\n    if not x > 0:\n        warnings.warn(f'bad input {x}', DomainWarning)\n        return math.nan\n    return math.log(x)",
     "import math\ndef safe_log(x):\n    if x <= 0:\n        return float('nan')\n    return math.log(x)",
     "import math, pytest\nwith pytest.warns(RuntimeWarning):\n    assert math.isnan(safe_log(-1))\nassert safe_log(1) == 0"),
    ("dict_views",
     "def skill_names(profile):\n    return profile.keys()",
     "def skill_names(profile):\n    return {name: None for name in profile}.keys()",
     "def skill_names(profile):\n    return list(profile)",
     "names = skill_names({'python': 5, 'sql': 4})\nassert names == {'python', 'sql'}\nassert 'sql' in names"),
    ("operator_overloading",
     "class Vector:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n    def __add__(self, other):\n        return Vector(self.x + other.x, self.y + other.y)\n    def __eq__(self, other):\n        return isinstance(other, Vector) and (self.x, self.y) == (other.x, other.y)\n    def __abs__(self):\n        return (self.x ** 2 + self.y ** 2) ** 0.5\n    def __repr__(self):\n        return f'Vector({self.x}, {self.y})'\n    def __iter__(self):\n        return iter((self.x, self.y))\n    def __len__(self):\n        return 2",
     "import math\nclass Vector:\n    __slots__ = ('x', 'y')\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n    def __add__(self, other):\n        return type(self)(*(a + b for a, b in zip(self, other)))\n    def __eq__(self, other):\n        return type(other) is type(self) and tuple(self) == tuple(other)\n    __hash__ = None\n    def __abs__(self):\n        return math.hypot(self.x, self.y)\n    def __repr__(self):\n        return 'Vector({}, {})'.format(self.x, self.y)\n    def __iter__(self):\n        yield self.x\n        yield self.y\n    def __len__(self):\n        return 2",
     "class Vector:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n    def __add__(self, other):\n        return Vector(self.x + other.x, self.y)\n    def __eq__(self, other):\n        return (self.x, self.y) == (other.x, other.y)\n    def __abs__(self):\n        return self.x + self.y\n    def __repr__(self):\n        return 'V'\n    def __iter__(self):\n        return iter((self.x,))\n    def __len__(self):\n        return 1",
     "assert Vector(1, 2) + Vector(3, 4) == Vector(4, 6)\nassert Vector(1, 2) != Vector(2, 1)\nassert abs(Vector(3, 4)) == 5\nassert repr(Vector(1, 2)) == 'Vector(1, 2)'\nassert list(Vector(5, 6)) == [5, 6]\nassert len(Vector(0, 0)) == 2\nassert sorted([Vector(3, 0), Vector(1, 0)], key=lambda v: v.x)[0].x == 1"),
    ("closure",
     "def make_adder(n):\n    def add(x):\n        return x + n\n    return add",
     "def make_adder(n):\n    return lambda x: x + n",
     "def make_adder(n):\n    return lambda x: x + 1",
     "add5 = make_adder(5)\nassert add5(3) == 8\nassert callable(add5)\nassert [make_adder(k)(0) for k in range(3)] == [0, 1, 2]"),
    ("no_mutation",
     "def sorted_copy(values):\n    return sorted(values)",
     "def sorted_copy(values):\n    copy = list(values)\n    copy.sort()\n    return copy",
     "def sorted_copy(values):\n    values.sort()\n    return values",
     "original = [3, 1, 2]\nresult = sorted_copy(original)\nassert result == [1, 2, 3]\nassert original == [3, 1, 2], 'the input must not change'"),
    ("pandas_testing",
     "def per_level(frame):\n    return frame.groupby('level', as_index=False)['salary'].mean()",
     "def per_level(frame):\n    out = frame.pivot_table(index='level', values='salary', aggfunc='mean').reset_index()\n    return out[['level', 'salary']]",
     "def per_level(frame):\n    return frame.groupby('level')['salary'].mean()",
     "frame = pd.DataFrame({'level': ['entry', 'mid', 'entry'], 'salary': [60.0, 90.0, 70.0]})\nexpected = pd.DataFrame({'level': ['entry', 'mid'], 'salary': [65.0, 90.0]})\npd.testing.assert_frame_equal(per_level(frame).reset_index(drop=True), expected)"),
    ("numpy_testing",
     "def standardize(values):\n    values = np.asarray(values, dtype=float)\n    return (values - values.mean()) / values.std()",
     "def standardize(values):\n    arr = np.array(values, dtype=np.float64)\n    mu = arr.sum() / arr.size\n    sigma = np.sqrt(((arr - mu) ** 2).mean())\n    return (arr - mu) / sigma",
     "def standardize(values):\n    values = np.asarray(values, dtype=float)\n    return (values - values.mean()) / values.std(ddof=1)",
     "out = standardize([1, 2, 3, 4])\nassert out.shape == (4,)\nnp.testing.assert_allclose(out, [-1.3416407865, -0.4472135955, 0.4472135955, 1.3416407865], rtol=1e-8)"),
    ("module_state",
     "_ledger = []\ndef record(amount):\n    _ledger.append(amount)\ndef balance():\n    return sum(_ledger)\ndef reset():\n    _ledger.clear()",
     "class _Book:\n    total = 0\ndef record(amount):\n    _Book.total += amount\ndef balance():\n    return _Book.total\ndef reset():\n    _Book.total = 0",
     "def record(amount):\n    pass\ndef balance():\n    return 0\ndef reset():\n    pass",
     "reset()\nrecord(10)\nrecord(-3)\nassert balance() == 7\nreset()\nassert balance() == 0"),
    ("memoized_recursion",
     "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef ways(n):\n    if n < 0:\n        return 0\n    if n == 0:\n        return 1\n    return ways(n - 1) + ways(n - 2)",
     "def ways(n, _memo={0: 1}):\n    if n < 0:\n        return 0\n    if n not in _memo:\n        _memo[n] = ways(n - 1) + ways(n - 2)\n    return _memo[n]",
     "def ways(n):\n    return n",
     "assert ways(5) == 8\nassert ways(80) == 37889062373143906"),
    ("time_zones",
     "def to_paris(stamps):\n    return pd.Series(pd.to_datetime(stamps, utc=True)).dt.tz_convert('Europe/Paris')",
     "def to_paris(stamps):\n    return pd.Series([pd.Timestamp(s, tz='UTC').tz_convert('Europe/Paris') for s in stamps])",
     "def to_paris(stamps):\n    return pd.Series(pd.to_datetime(stamps))",
     "out = to_paris(['2024-07-01 10:00', '2024-12-01 10:00'])\nassert str(out.dt.tz) == 'Europe/Paris'\n"
     "assert list(out.dt.hour) == [12, 11]\nassert out.iloc[0] == pd.Timestamp('2024-07-01 10:00', tz='UTC')"),
    ("missing_values",
     "def clean_counts(values):\n    return pd.Series([int(v) if v.strip() else None for v in values], dtype='Int64')",
     "def clean_counts(values):\n    s = pd.Series(values).str.strip()\n    return pd.to_numeric(s.where(s != '')).astype('Int64')",
     "def clean_counts(values):\n    return pd.Series([int(v) if v.strip() else 0 for v in values])",
     "out = clean_counts(['3', ' ', '5'])\nassert str(out.dtype) == 'Int64'\nassert out.isna().tolist() == [False, True, False]\n"
     "assert out.sum() == 8 and out[1] is pd.NA"),
    ("absolute_path",
     "import os\ndef write_report(name, values):\n    path = os.path.abspath(name)\n    with open(path, 'w') as handle:\n        handle.write(f'total: {sum(values)}\\n')\n    return path",
     "from pathlib import Path\ndef write_report(name, values):\n    target = Path.cwd() / name\n    target.write_text('total: %d\\n' % sum(values))\n    return target",
     "import os\ndef write_report(name, values):\n    with open(name, 'w') as handle:\n        handle.write(str(values))\n    return os.path.abspath(name)",
     "import os\npath = write_report('report.txt', [3, 4])\nassert os.path.isabs(path)\nwith open(path) as handle:\n    assert handle.read() == 'total: 7\\n'\n"
     "assert os.path.samefile(path, 'report.txt')"),
    ("returns_argument",
     "def add_total(df):\n    df['total'] = df['a'] + df['b']\n    return df",
     "def add_total(df):\n    df.loc[:, 'total'] = df.sum(axis=1)\n    return df",
     "def add_total(df):\n    return df.assign(total=df['a'] + df['b'])",
     "frame = pd.DataFrame({'a': [1, 2], 'b': [3, 4]})\nresult = add_total(frame)\nassert result is frame\nassert frame['total'].tolist() == [4, 6]"),
    ("name_a_test_used",
     "result = 6 * 7",
     "result = sum([40, 2])",
     "results = 42",
     "assert isinstance(result, int)\nassert result == 42"),
    ("mocked_input",
     "def ask_total():\n    first = int(input('first number? '))\n    second = int(input('second number? '))\n    return first + second",
     "def ask_total():\n    return sum(int(input(f'number {i}? ')) for i in (1, 2))",
     "def ask_total():\n    return int(input('number? ')) * 2",
     "from unittest import mock\nwith mock.patch('builtins.input', side_effect=['3', '4']) as fake_input:\n    assert ask_total() == 7\n"
     "assert fake_input.call_count == 2\ninput = lambda prompt='': '10'\ntry:\n    assert ask_total() == 20\nfinally:\n    del input"),
    ("plot_data",
     "def plot_trend(xs, ys):\n    fig, ax = plt.subplots()\n    ax.plot(xs, ys, label='trend')\n    ax.scatter(xs, ys)\n    ax.set_title('Trend')\n    return ax",
     "def plot_trend(xs, ys):\n    ax = plt.figure().add_subplot()\n    ax.scatter(xs, ys, color='k')\n    ax.plot(xs, ys, label='trend')\n    ax.set(title='Trend')\n    return ax",
     "def plot_trend(xs, ys):\n    fig, ax = plt.subplots()\n    ax.plot(xs, ys[::-1], label='trend')\n    ax.scatter(xs, ys[::-1])\n    ax.set_title('Trend')\n    return ax",
     "ax = plot_trend([1, 2, 3], [2, 4, 8])\nline = ax.get_lines()[0]\nassert list(line.get_ydata()) == [2, 4, 8]\nassert line.get_label() == 'trend'\n"
     "assert ax.collections[0].get_offsets().tolist() == [[1, 2], [2, 4], [3, 8]]\nassert ax.get_title() == 'Trend'"),
    ("copied_object",
     "class Account:\n    def __init__(self, owner, balance=0):\n        self.owner, self.balance = owner, balance\n    def deposit(self, amount):\n        self.balance += amount\n        return self.balance",
     "from dataclasses import dataclass\n@dataclass\nclass Account:\n    owner: str\n    balance: float = 0\n    def deposit(self, amount):\n        self.balance = self.balance + amount\n        return self.balance",
     "class Account:\n    def __init__(self, owner, balance=0):\n        self.owner, self.balance = owner, balance\n    def deposit(self, amount):\n        return self.balance + amount",
     "import copy\na = Account('ada', 10)\nb = copy.copy(a)\nb.deposit(5)\nassert (a.balance, b.balance) == (10, 15)\nc = copy.deepcopy(a)\nc.deposit(1)\nassert a.balance == 10 and c.balance == 11"),
    ("test_subclass",
     "class Animal:\n    def __init__(self, name):\n        self.name = name\n    def sound(self):\n        raise NotImplementedError\n    def describe(self):\n        return f'{self.name} says {self.sound()}'",
     "import abc\nclass Animal(abc.ABC):\n    def __init__(self, name):\n        self._name = name\n    @property\n    def name(self):\n        return self._name\n    @abc.abstractmethod\n    def sound(self):\n        ...\n    def describe(self):\n        return '{} says {}'.format(self.name, self.sound())",
     "class Animal:\n    def __init__(self, name):\n        self.name = name\n    def describe(self):\n        return f'{self.name} says something'",
     "class Dog(Animal):\n    def __init__(self, name, tricks=()):\n        super().__init__(name)\n        self.tricks = list(tricks)\n    def sound(self):\n        return 'woof'\n"
     "rex = Dog('rex', ['sit'])\nassert rex.describe() == 'rex says woof'\nassert isinstance(rex, Animal) and issubclass(Dog, Animal)\nassert rex.tricks == ['sit'] and rex.name == 'rex'"),
    ("callback_raises",
     "class RetryError(Exception):\n    pass\n\ndef with_retry(action, attempts=3):\n    for _ in range(attempts):\n        try:\n            return action()\n        except RetryError:\n            continue\n    return None",
     "class RetryError(RuntimeError):\n    pass\n\ndef with_retry(action, attempts=3):\n    left = attempts\n    while left:\n        left -= 1\n        try:\n            return action()\n        except RetryError as error:\n            last = error\n    return None",
     "class RetryError(Exception):\n    pass\n\ndef with_retry(action, attempts=3):\n    try:\n        return action()\n    except RetryError:\n        return None",
     "calls = []\ndef flaky():\n    calls.append(1)\n    if len(calls) < 3:\n        raise RetryError('not yet')\n    return 'done'\nassert with_retry(flaky) == 'done'\nassert len(calls) == 3"),
    ("library_result",
     "from scipy import stats\ndef compare_groups(a, b):\n    return stats.ttest_ind(a, b)",
     "from scipy.stats import ttest_ind\ndef compare_groups(a, b):\n    result = ttest_ind(a, b, equal_var=True)\n    return result",
     "from scipy import stats\ndef compare_groups(a, b):\n    return stats.mannwhitneyu(a, b)",
     "import pytest\nfrom scipy import stats\na, b = [1.0, 2.0, 3.0, 4.0], [2.5, 3.5, 4.5, 8.0]\nres = compare_groups(a, b)\nexpected = stats.ttest_ind(a, b)\n"
     "assert res.pvalue == pytest.approx(expected.pvalue)\nstat, p = res\nassert stat == pytest.approx(expected.statistic)"),
    ("pipeline_steps",
     "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.linear_model import LogisticRegression\ndef build_pipeline(X, y):\n    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)",
     "from sklearn.pipeline import Pipeline\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.linear_model import LogisticRegression\ndef build_pipeline(X, y):\n    steps = [('standardscaler', StandardScaler()), ('logisticregression', LogisticRegression(C=1.0))]\n    pipe = Pipeline(steps)\n    pipe.fit(X, y)\n    return pipe",
     "from sklearn.pipeline import make_pipeline\nfrom sklearn.linear_model import LogisticRegression\ndef build_pipeline(X, y):\n    return make_pipeline(LogisticRegression()).fit(X, y)",
     "X = np.array([[0.0, 100.0], [1.0, 300.0], [2.0, 200.0], [3.0, 400.0]])\ny = np.array([0, 0, 1, 1])\npipe = build_pipeline(X, y)\n"
     "assert list(pipe.named_steps) == ['standardscaler', 'logisticregression']\nscaler = pipe.named_steps['standardscaler']\nnp.testing.assert_allclose(scaler.mean_, [1.5, 250.0])"),
    ("cell_saves_file",
     "clean = pd.DataFrame({'role': ['a', 'b'], 'pay': [1, 2]})\nclean.to_csv('clean.csv', index=False)",
     "import csv\nwith open('clean.csv', 'w', newline='') as handle:\n    writer = csv.writer(handle)\n    writer.writerow(['role', 'pay'])\n    writer.writerows([['a', 1], ['b', 2]])",
     "clean = pd.DataFrame({'role': ['a', 'b'], 'pay': [1, 2]})\nclean.to_csv('clean.csv')",
     "back = pd.read_csv('clean.csv')\nassert back.columns.tolist() == ['role', 'pay']\nassert back['pay'].sum() == 3"),
    ("student_module",
     "with open('pay_tools.py', 'w') as handle:\n    handle.write('def raise_pay(pay, percent):\\n    return round(pay * (1 + percent / 100), 2)\\n')",
     "%%writefile pay_tools.py\ndef raise_pay(pay, percent):\n    return round(pay + pay * percent / 100, 2)",
     "%%writefile pay_tools.py\ndef raise_pay(pay, percent):\n    return pay + percent",
     "from pay_tools import raise_pay\nassert raise_pay(100, 5) == 105.0\nassert raise_pay(80, 10) == 88.0\nimport pay_tools\nassert pay_tools.raise_pay(10, 50) == 15.0"),
    ("cell_magic_time",
     "median_pay = float(np.median([52, 61, 75, 90]))",
     "%%time\nvalues = sorted([52, 61, 75, 90])\nmedian_pay = (values[1] + values[2]) / 2",
     "%%time\nmedian_pay = sum([52, 61, 75, 90]) / 4",
     "assert median_pay == 68.0"),
    ("cell_magic_capture",
     "n_trained = len([model for model in ('tree', 'forest', 'boosting')])",
     "%%capture training_log\nprint('training...')\n%time n_trained = 3",
     "%%capture training_log\nprint('training...')",
     "assert n_trained == 3"),
    ("display_call",
     "summary = pd.DataFrame({'n': [3]})\ndisplay(summary)",
     "from IPython.display import display\nsummary = pd.DataFrame({'n': [1 + 2]})\ndisplay(summary.head())",
     "summary = pd.DataFrame({'n': [4]})\ndisplay(summary)",
     "assert summary['n'].tolist() == [3]"),
    ("captured_stderr",
     "import sys\ndef warn_user(msg):\n    print('warning:', msg, file=sys.stderr)",
     "import sys\ndef warn_user(msg):\n    sys.stderr.write(f'warning: {msg}\\n')",
     "def warn_user(msg):\n    print('warning:', msg)",
     "import io, contextlib\nbuffer = io.StringIO()\nwith contextlib.redirect_stderr(buffer):\n    warn_user('low memory')\nassert buffer.getvalue() == 'warning: low memory\\n'"),
    ("process_pool",
     "import multiprocessing as mp\ndef _square(x):\n    return x * x\ndef parallel_squares(xs):\n    with mp.Pool(2) as pool:\n        return pool.map(_square, xs)",
     "from concurrent.futures import ProcessPoolExecutor\ndef _square(x):\n    return x ** 2\ndef parallel_squares(xs):\n    with ProcessPoolExecutor(2) as executor:\n        return list(executor.map(_square, xs))",
     "def parallel_squares(xs):\n    return [x * 2 for x in xs]",
     "assert parallel_squares([1, 2, 3]) == [1, 4, 9]"),
    ("defined_check",
     "answer_total = 10 + 5",
     "answer_total = sum([10, 5])",
     "answer_sum = 15",
     "assert 'answer_total' in globals(), 'define answer_total'\nassert globals()['answer_total'] == 15\nassert 'answer_total' in dir()"),
    ("student_decorator",
     "import functools\ndef count_calls(f):\n    @functools.wraps(f)\n    def inner(*args, **kwargs):\n        inner.calls += 1\n        return f(*args, **kwargs)\n    inner.calls = 0\n    return inner",
     "from functools import wraps\ndef count_calls(func):\n    @wraps(func)\n    def wrapper(*args, **kwargs):\n        wrapper.calls = wrapper.calls + 1\n        return func(*args, **kwargs)\n    wrapper.calls = 0\n    return wrapper",
     "def count_calls(f):\n    def inner(*args, **kwargs):\n        inner.calls += 1\n        return f(*args, **kwargs)\n    inner.calls = 0\n    return inner",
     "@count_calls\ndef add(a, b):\n    'Add two numbers.'\n    return a + b\nassert add(2, 3) == 5 and add(1, 1) == 2\nassert add.calls == 2\n"
     "assert add.__name__ == 'add' and add.__doc__ == 'Add two numbers.'"),
    ("test_resets_global",
     "cart = []\ndef add_item(name):\n    cart.append(name)\n    return len(cart)",
     "cart = ['placeholder']\ndef add_item(name):\n    global cart\n    cart += [name]\n    return len(cart)",
     "cart = []\ndef add_item(name):\n    return len(cart) + 1",
     "cart.clear()\nassert add_item('pen') == 1\nassert add_item('ink') == 2\nassert cart == ['pen', 'ink']"),
    ("test_edits_global_frame",
     "stock = pd.DataFrame({'item': ['apple', 'pear'], 'count': [3, 1]})\n"
     "def restock(item, amount=10):\n    stock.loc[stock['item'] == item, 'count'] += amount",
     "stock = pd.DataFrame({'item': ['apple', 'pear'], 'count': [3, 1]})\n"
     "def restock(item, amount=10):\n    row = stock.index[stock['item'] == item][0]\n    stock.at[row, 'count'] = stock.at[row, 'count'] + amount",
     "stock = pd.DataFrame({'item': ['apple', 'pear'], 'count': [3, 1]})\n"
     "def restock(item, amount=10):\n    stock.loc[stock['item'] == item, 'count'] = amount",
     "stock.loc[0, 'count'] = 5\nrestock('apple')\nassert stock.loc[0, 'count'] == 15\nrestock('pear', 2)\nassert stock['count'].tolist() == [15, 3]"),
    ("enum_members",
     "from enum import Enum\nclass Level(Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "def level_for(years):\n    return Level.SENIOR if years >= 5 else Level.JUNIOR\n"
     "def title(level):\n    return 'Senior' if level is Level.SENIOR else 'Junior'",
     "import enum\nclass Level(enum.Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "def level_for(years):\n    if years < 5:\n        return Level.JUNIOR\n    return Level.SENIOR\n"
     "def title(level):\n    return level.name.capitalize()",
     "from enum import Enum\nclass Level(Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "def level_for(years):\n    return Level.JUNIOR\n"
     "def title(level):\n    return level.name",
     "assert level_for(7) == Level.SENIOR and level_for(1) is Level.JUNIOR\nassert isinstance(level_for(2), Level)\n"
     "assert level_for(9).value == 2 and [m.name for m in Level] == ['JUNIOR', 'SENIOR']\n"
     "assert title(Level.SENIOR) == 'Senior' and title(Level(1)) == 'Junior'"),
    ("int_enum",
     "from enum import IntEnum\nclass Grade(IntEnum):\n    LOW = 1\n    HIGH = 3\n"
     "def grade_of(score):\n    return Grade.HIGH if score > 50 else Grade.LOW",
     "import enum\nclass Grade(enum.IntEnum):\n    LOW = 1\n    HIGH = 3\n"
     "def grade_of(score):\n    return Grade(3) if score > 50 else Grade(1)",
     "from enum import IntEnum\nclass Grade(IntEnum):\n    LOW = 1\n    HIGH = 3\n"
     "def grade_of(score):\n    return 1",
     "assert grade_of(80) == Grade.HIGH and grade_of(10) == 1\nassert isinstance(grade_of(90), Grade)\n"
     "assert sorted([grade_of(90), grade_of(5)]) == [1, 3] and grade_of(90) > grade_of(5)"),
    ("enum_with_method",
     "from enum import Enum\nclass Level(Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "    def label(self):\n        return self.name.lower()\n"
     "def level_for(years):\n    return Level.SENIOR if years >= 5 else Level.JUNIOR",
     "from enum import Enum\nclass Level(Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "    def label(self):\n        return {1: 'junior', 2: 'senior'}[self.value]\n"
     "def level_for(years):\n    return Level(2 if years >= 5 else 1)",
     "from enum import Enum\nclass Level(Enum):\n    JUNIOR = 1\n    SENIOR = 2\n"
     "    def label(self):\n        return self.name\n"
     "def level_for(years):\n    return Level.SENIOR",
     "assert level_for(7) == Level.SENIOR and level_for(1) is Level.JUNIOR\nassert level_for(8).label() == 'senior'\n"
     "assert len(Level) == 2 and Level['SENIOR'] is level_for(8)\nassert [m.value for m in Level] == [1, 2]\n"
     "assert Level.JUNIOR in Level and level_for(0).label() == 'junior'"),
    ("categorical_bands",
     "def bands(scores):\n    return pd.cut(pd.Series(scores), bins=[0, 50, 80, 100], labels=['low', 'mid', 'high'])",
     "def bands(scores):\n    labels = ['low', 'mid', 'high']\n"
     "    return pd.Series(pd.Categorical([labels[(s > 50) + (s > 80)] for s in scores], categories=labels, ordered=True))",
     "def bands(scores):\n    return pd.Series(['low' if s <= 50 else 'high' for s in scores], dtype='category')",
     "b = bands([10, 60, 90, 40])\nassert b.dtype == 'category'\nassert list(b.cat.categories) == ['low', 'mid', 'high']\n"
     "assert b.tolist() == ['low', 'mid', 'high', 'low']\nassert (b < 'high').sum() == 3"),
    ("patched_helper",
     "def helper(x):\n    return x * 2\ndef double_all(xs):\n    return [helper(x) for x in xs]",
     "def helper(x):\n    return x + x\ndef double_all(xs):\n    return list(map(helper, xs))",
     "def helper(x):\n    return x * 2\ndef double_all(xs):\n    return [x * 2 for x in xs]",
     "from unittest import mock\nwith mock.patch('__main__.helper', wraps=helper) as spy:\n    assert double_all([1, 2]) == [2, 4]\n"
     "assert spy.call_count == 2\nimport __main__\nassert __main__.helper(5) == 10 and double_all([3]) == [6]"),
    ("logged_records",
     "import logging\nlog = logging.getLogger('etl.load')\ndef load(rows):\n    log.info('loading %d rows', len(rows))\n    if not rows:\n        log.warning('empty input')\n    return len(rows)",
     "import logging\ndef load(rows):\n    logger = logging.getLogger('etl.load')\n    logger.info(f'loading {len(rows)} rows')\n    if len(rows) == 0:\n        logger.warning('empty input!')\n    return len(rows)",
     "import logging\ndef load(rows):\n    logging.getLogger('etl.load').debug('loading')\n    return len(rows)",
     "import unittest\ncase = unittest.TestCase()\nwith case.assertLogs('etl', level='INFO') as cm:\n    assert load([1, 2, 3]) == 3\nassert cm.records[0].getMessage() == 'loading 3 rows'\nassert cm.records[0].levelname == 'INFO'\nwith case.assertLogs('etl.load', 'WARNING') as cm2:\n    load([])\nassert any('empty input' in line for line in cm2.output)\nwith case.assertNoLogs('etl', level='WARNING'):\n    load([1])"),
    ("logged_to_root",
     "import logging\ndef risky(x):\n    if x < 0:\n        logging.error('negative: %s', x)\n        return 0\n    return x",
     "import logging\ndef risky(x):\n    if x >= 0:\n        return x\n    logging.getLogger().error(f'negative: {x}')\n    return 0",
     "def risky(x):\n    return max(x, 0)",
     "import unittest, logging\nwith unittest.TestCase().assertLogs() as cm:\n    assert risky(-2) == 0\nassert cm.output == ['ERROR:root:negative: -2']"),
    ("global_the_test_sets",
     "def scaled(values):\n    return [v * SCALE for v in values]",
     "def scaled(values):\n    factor = SCALE\n    return [factor * v for v in values]",
     "def scaled(values):\n    return [v * 2 for v in values]",
     "SCALE = 3\nassert scaled([1, 2]) == [3, 6]\nSCALE = 10\nassert scaled([1]) == [10]"),
    ("helper_a_test_defines",
     "def check_me(x):\n    return is_even(x)",
     "check_me = lambda x: is_even(x)",
     "def check_me(x):\n    return True",
     "def is_even(n):\n    return n % 2 == 0\nassert check_me(4) and not check_me(3)"),
    ("saved_model",
     "import joblib\nfrom sklearn.linear_model import LogisticRegression\nX = np.array([[0.0], [1.0], [2.0], [3.0]])\ny = np.array([0, 0, 1, 1])\nmodel = LogisticRegression().fit(X, y)\njoblib.dump(model, 'model.joblib')",
     "import pickle\nfrom sklearn.linear_model import LogisticRegression\nX = np.array([[0.0], [1.0], [2.0], [3.0]])\ny = np.array([0, 0, 1, 1])\nwith open('model.joblib', 'wb') as f:\n    pickle.dump(LogisticRegression(C=10).fit(X, y), f)",
     "import joblib\njoblib.dump({'not': 'a model'}, 'model.joblib')",
     "import joblib\nloaded = joblib.load('model.joblib')\nassert loaded.predict([[0.0], [3.0]]).tolist() == [0, 1]\nassert hasattr(loaded, 'coef_')"),
    ("saved_frame",
     "clean = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})\nclean.to_pickle('clean.pkl')",
     "import pickle\nclean = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})\nwith open('clean.pkl', 'wb') as f:\n    pickle.dump(clean, f)",
     "pd.DataFrame({'a': [1]}).to_pickle('clean.pkl')",
     "import pickle\nframe = pd.read_pickle('clean.pkl')\nassert frame['a'].tolist() == [1, 2]\nwith open('clean.pkl', 'rb') as f:\n    again = pickle.load(f)\npd.testing.assert_frame_equal(frame, again)\nassert pickle.loads(pickle.dumps([1, 2])) == [1, 2]"),
    ("thread_pool_in_test",
     "def slow_square(x):\n    return x * x",
     "slow_square = lambda x: x ** 2",
     "def slow_square(x):\n    return x + x",
     "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(4) as pool:\n"
     "    results = list(pool.map(slow_square, range(20)))\nassert results == [i * i for i in range(20)]"),
    ("partial_credit",
     "def grade_parts(xs):\n    return [x * 2 for x in xs]",
     "def grade_parts(xs):\n    return list(map(lambda x: x + x, xs))",
     "def grade_parts(xs):\n    return [x * 2 for x in xs[:2]] + [0] * len(xs[2:])",
     "expected = [2, 4, 6, 8]\ngot = grade_parts([1, 2, 3, 4])\n"
     "score = sum(a == b for a, b in zip(got, expected)) / len(expected)\nscore"),
    ("chained_exception",
     "def load_number(text):\n    try:\n        return int(text)\n    except ValueError as exc:\n        raise RuntimeError('bad input') from exc",
     "def load_number(text):\n    if not text.strip().lstrip('-').isdigit():\n        try:\n            int(text)\n        except ValueError as e:\n            raise RuntimeError('bad input') from e\n    return int(text)",
     "def load_number(text):\n    try:\n        return int(text)\n    except ValueError:\n        raise RuntimeError('bad input')",
     "try:\n    load_number('x')\nexcept RuntimeError as err:\n    assert isinstance(err.__cause__, ValueError)\nelse:\n    raise AssertionError('no error')\nassert load_number('7') == 7"),
]


def _cell(kind: str, source: str, grade_id: str | None = None, **nbgrader):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if grade_id is not None:
        meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3, "grade_id": grade_id}
        meta.update(nbgrader)
        cell.metadata["nbgrader"] = meta
    return cell


MIXED_STUDENTS = 8  # students whose answers mix correct, alternative and wrong ones (seeded)


def _columns(which: str) -> list[int]:
    if which.startswith("mixed"):
        rng = random.Random(which)
        return [rng.choice((1, 2, 3)) for _ in IDIOMS]
    return [{"source": 1, "reference": 1, "alternative": 2, "wrong": 3}[which]] * len(IDIOMS)


def notebook(which: str) -> nbformat.NotebookNode:
    """The source (``which='source'``) or a submission answered with ``reference|alternative|wrong|mixedNN``."""
    cells = [_cell("markdown", "# Fidelity idioms\n\nOne question per way instructors write tests."),
             _cell("code", SETUP, "setup", locked=True)]
    for idiom, column in zip(IDIOMS, _columns(which)):
        qid, test = idiom[0], idiom[4]
        answer = idiom[column]
        if which == "source":
            answer = "### BEGIN SOLUTION\n" + answer + "\n### END SOLUTION"
        cells.append(_cell("markdown", f"## {qid.replace('_', ' ')}"))
        cells.append(_cell("code", answer, f"{qid}_answer", solution=True))
        cells.append(_cell("code", textwrap.dedent(test), f"{qid}_test", grade=True, locked=True, points=1))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # the same every build: rebuilding the course changes only what changed
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def build(course: Path) -> Path:
    """Write the nbgrader course folder; returns it."""
    course = Path(course)
    paths = {"source": course / "source" / "idioms" / "idioms.ipynb"}
    for who in ("reference", "alternative", "wrong", *(f"mixed{i:02d}" for i in range(1, MIXED_STUDENTS + 1))):
        paths[who] = course / "submitted" / who / "idioms" / "idioms.ipynb"
    for which, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(which), str(path))
    return course


if __name__ == "__main__":
    import sys
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "course")))
