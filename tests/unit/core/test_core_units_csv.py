from __future__ import annotations

import pytest

from custody.errors import InvalidInput
from custody.units import read_units


def test_the_province_cities_and_special_bureaus_are_shipped():
    units = {u["code"]: u for u in read_units()}
    assert units["220000"]["level"] == "province" and units["220000"]["parent"] == ""
    for city in ("220100", "220200", "220300", "220400", "220500", "220600", "220700", "220800", "222400"):
        assert units[city]["level"] == "city" and units[city]["parent"] == "220000"
    assert any(code.startswith("2299") for code in units)
    order = [u["code"] for u in read_units()]
    assert all(order.index(u["parent"]) < order.index(u["code"]) for u in units.values() if u["parent"])


def test_a_bad_code_is_refused_with_its_line(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,parent,name_zh,name_en,level,note\n22010X,,x,x,city,\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2"):
        read_units(path)
