"""Address registries as they come: GBK/GB18030/UTF-8(-BOM) CSV and .xlsx with Chinese headers,
households and kinds honoured, blank rows skipped, spreadsheet row numbers, duplicates merged,
re-import by 编号 updating instead of duplicating."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layers.addresses.models import Address
from layers.addresses.registry import detect_encoding, read_registry
from layers.addresses.services import addresses_assign_all, addresses_import
from tests.support import REGISTRY_HEADER as HEADER, REGISTRY_POINTS as TRUE_POINTS, registry_rows as rows, write_gbk_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("addresses_import", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("maker,suffix", [(write_gbk_csv, "csv"), (write_xlsx, "xlsx")])
def test_gbk_csv_and_xlsx_registries_import_with_households_kinds_and_true_positions(tmp_path, demo_grids, maker,
                                                                                     suffix):
    path = maker(tmp_path / f"台账.{suffix}")
    out, err = run(path, "--commit")  # 坐标系 column says GCJ-02 on every row: no --crs needed
    assert "编号 -> external_id" in out and "户数 -> households" in out and "类型 -> kind" in out
    assert "columns not read: 备注" in out
    assert "blank rows skipped: 6, 7" in out
    assert err == ""
    got = {a.external_id: a for a in Address.objects.all()}
    assert set(got) == {"JA-0001", "JA-0002", "JA-0003", "JA-0004"}
    assert [got[k].households for k in sorted(got)] == [10, 20, 30, 40]
    assert [got[k].kind for k in sorted(got)] == ["residential", "shop", "office", "residential"]
    for k, (lon, lat) in zip(sorted(got), TRUE_POINTS):
        a = got[k]
        assert a.source_crs == "gcj02"
        # GCJ-02 declared: the point ends within centimetres of its true position.
        assert abs(a.geometry.x - lon) < 1e-6 and abs(a.geometry.y - lat) < 1e-6
        assert a.grid_id is not None


def test_encodings_are_detected(tmp_path):
    body = rows()
    body[0][1] = "上海市静安区䶮路1号"  # a character GBK lacks and GB18030 has
    for enc, expect in (("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")):
        path = write_gbk_csv(tmp_path / f"{enc}.csv", body, encoding=enc)
        assert detect_encoding(path.read_bytes()) == expect
        reg = read_registry(path)
        assert reg.rows[0][1]["full_text"] == "上海市静安区䶮路1号"
    gbk = write_gbk_csv(tmp_path / "gbk.csv")
    assert detect_encoding(gbk.read_bytes()) == "gb18030"  # GBK read by its superset
    assert read_registry(gbk).rows[0][1]["full_text"] == "上海市静安区南京西路100号"


def test_bad_values_are_reported_by_spreadsheet_row_and_the_users_column(tmp_path, demo_grids):
    body = rows()
    body[1][4] = "二十"      # 户数 not a number (row 3)
    body[2][5] = "仓库"      # unknown 类型 (row 4)
    body[3][1] = ""          # empty 地址 (row 5)
    path = write_gbk_csv(tmp_path / "bad.csv", body)
    out, err = run(path, "--commit")
    assert "row 3: 户数 不是数字" in err
    assert "row 4: 类型：未知类型 '仓库'" in err
    assert "row 5: 地址 为空" in err
    assert "nothing written" in out and not Address.objects.exists()


def test_no_crs_anywhere_stops_the_import_and_a_dry_run_warns(tmp_path, demo_grids):
    body = [r[:6] for r in rows()]
    path = tmp_path / "nocrs.csv"
    path.write_bytes(("\n".join([",".join(HEADER[:6])] + [",".join(r) for r in body]) + "\n").encode("gbk"))
    with pytest.raises(CommandError) as exc:
        run(path, "--commit")
    assert "GCJ-02" in str(exc.value)
    out, err = run(path)
    assert "WARNING" in err and "GCJ-02" in err and not Address.objects.exists()


def test_gcj02_registry_read_as_wgs84_reports_the_offset(tmp_path, demo_grids):
    run(write_gbk_csv(tmp_path / "a.csv"), "--commit")
    body = [r[:6] for r in rows()]
    path = tmp_path / "again.csv"
    path.write_bytes(("\n".join([",".join(HEADER[:6])] + [",".join(r) for r in body]) + "\n").encode("gbk"))
    out, err = run(path, "--crs", "wgs84")
    assert "offset to stored addresses" in out
    assert "GCJ-02" in err and "--crs gcj02" in err


def test_duplicates_are_merged_by_the_stated_rule(tmp_path, demo_grids):
    body = rows()
    dup_same = list(body[0]); dup_same[0] = ""                       # same text, same place (row 6)
    dup_far = list(body[1]); dup_far[0] = ""; dup_far[2] = str(float(dup_far[2]) + 0.001)  # same text, ~95 m (row 7)
    path = write_gbk_csv(tmp_path / "dups.csv", body + [dup_same, dup_far], blank_tail=0)
    out, _err = run(path, "--commit")
    assert "row 6 上海市静安区南京西路100号: merged into row 2, 文本与位置均相同" in out
    assert "row 7 上海市静安区南京西路101号: merged into row 3, 文本相同，相距" in out
    assert Address.objects.count() == 4


def test_reimport_updates_by_external_id_instead_of_duplicating(tmp_path, demo_grids):
    run(write_xlsx(tmp_path / "v1.xlsx"), "--commit")
    first = {a.external_id: a.pk for a in Address.objects.all()}
    body = rows()
    body[0][4] = "15"                        # corrected 户数
    body[1][1] = "上海市静安区南京西路101号甲"  # corrected text
    out, _err = run(write_xlsx(tmp_path / "v2.xlsx", body), "--commit")
    assert "added 0, updated 2, unchanged 2" in out
    assert {a.external_id: a.pk for a in Address.objects.all()} == first
    assert Address.objects.get(external_id="JA-0001").households == 15
    assert Address.objects.get(external_id="JA-0002").full_text.endswith("101号甲")


def test_assignment_after_import_is_a_fixed_point(tmp_path, demo_grids):
    report = addresses_import(path=write_xlsx(tmp_path / "a.xlsx"), commit=True)
    assert report.created == 4
    addresses_assign_all()
    assert addresses_assign_all().moves == []
