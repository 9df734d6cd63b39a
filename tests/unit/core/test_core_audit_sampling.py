"""The audit's sample size, draw order and escalation, recomputed here from their definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.audit_sampling import N0, category_of, draw_order, escalation_size, sample_size
from custody.model import AuditCategory


@pytest.mark.parametrize(("population", "size"), [(50, 48), (500, 341), (5_000, 880), (50_000, 1_045)])
def test_sample_sizes_of_the_directive(population: int, size: int):
    assert sample_size(population) == size


def test_n0_is_the_unrounded_figure():
    assert round(float(N0), 2) == 1067.11


@pytest.mark.parametrize(("population", "size"), [(0, 0), (1, 1), (7, 7), (10, 10), (12, 12), (20, 20)])
def test_a_small_category_is_taken_whole_and_at_least_ten_are_drawn(population: int, size: int):
    assert sample_size(population) == size


@given(st.integers(min_value=1, max_value=2_000_000))
def test_the_size_follows_the_formula(population: int):
    n0 = 1.96**2 * 0.25 / 0.03**2
    exact = n0 / (1 + (n0 - 1) / population)
    size = sample_size(population)
    if 10 < size < population:
        assert exact - 1e-6 <= size < exact + 1 + 1e-6  # the ceiling of the formula
    assert min(10, population) <= size <= min(population, 1068)
    assert sample_size(population + 1) >= size


def test_each_discrepancy_adds_a_tenth_of_the_category_at_least_ten():
    assert escalation_size(1_000, 1) == 100
    assert escalation_size(1_000, 3) == 300
    assert escalation_size(55, 1) == 10
    assert escalation_size(101, 1) == 11
    assert escalation_size(1_000, 0) == 0


def test_the_draw_is_the_sha256_order_of_seed_and_number():
    numbers = [f"F220102202600000{n:03d}" for n in range(120)]
    digests = {n: hashlib.sha256(("42" + n).encode()).hexdigest() for n in numbers}
    assert draw_order("42", numbers) == sorted(numbers, key=digests.__getitem__)
    assert draw_order("43", numbers) != draw_order("42", numbers)


def test_categories_by_kind_letter():
    assert category_of("F220102202600000173") is AuditCategory.FIREARM
    assert category_of("A220102202600000173") is AuditCategory.AMMUNITION
    assert category_of("B220102202600000173") is AuditCategory.SAMPLE
    assert category_of("C220102202600000173") is AuditCategory.SAMPLE
