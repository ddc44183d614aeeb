"""Builds tasks/resources/divisions.tsv, the national administrative-division gazetteer.

Run once, by hand, when the source data changes; the TSV is committed and read
at run time, so jionlp is not a dependency of the pipeline:

    .venv/bin/pip download --no-deps -d /tmp/dl jionlp==1.5.31
    .venv/bin/python scripts/build_gazetteer.py /tmp/dl/jionlp-1.5.31-py2.py3-none-any.whl

Source: jionlp 1.5.31 (https://github.com/dongrixinyu/JioNLP, Apache-2.0,
released 2025-11), files ``jionlp/dictionary/china_location.zip`` (provinces,
prefectures and counties with 6-digit codes and short names) and
``jionlp/dictionary/china_location_change.txt`` (renames and mergers
2002-2025). Older renames come from the hand-kept
``scripts/gazetteer_supplement.tsv``, each row naming its source.

Output columns (tab-separated, one unit name per row):
code, level, parent_code, name, short_names, path, valid_from, valid_to, source.
A renamed unit keeps the code of the unit it became (the registry's older
codes are not in the source), with valid_to set to the year of the change.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tasks" / "resources" / "divisions.tsv"
SUPPLEMENT = Path(__file__).resolve().parent / "gazetteer_supplement.tsv"
SOURCE = "jionlp-1.5.31"
LEVELS = {0: "province", 1: "city", 2: "district_county"}
# the whole country issues the State Council's reports; 100000 is the code the
# registry's own files use for the country (e.g. the 2020 census tables)
COUNTRY = dict(code="100000", level="country", parent_code="", name="全国",
               short_names="中华人民共和国,中国", path="全国", valid_from="", valid_to="", source="hand-kept")


def _short_forms(name: str, short: str) -> list[str]:
    """The jionlp short name, plus the name without its autonomous-area suffix."""
    forms = [short] if short and short != name else []
    # 内蒙古自治区 -> 内蒙古, 延边朝鲜族自治州 -> 延边 are in jionlp; a short name
    # that is not a prefix of the name is a generic label ('经开区' for every
    # development zone) and would match everywhere
    return [f for f in forms if len(f) >= 2 and name.startswith(f)]


def read_locations(whl: zipfile.ZipFile) -> list[dict]:
    """Provinces, prefectures and counties with codes from china_location.zip."""
    inner = zipfile.ZipFile(io.BytesIO(whl.read("jionlp/dictionary/china_location.zip")))
    text = inner.read("china_location.txt").decode("utf-8")
    rows: list[dict] = []
    stack: dict[int, dict] = {}
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        if depth > 2:
            continue
        parts = line.strip("\t").split("\t")
        if len(parts) < 3 or not parts[1].isdigit():
            stack[depth] = None  # Taiwan's counties carry no code: left out
            continue
        name, code, short = parts[0], parts[1], parts[2]
        unit = dict(code=code, level=LEVELS[depth], name=name, short=short)
        stack[depth] = unit
        if depth == 0:
            unit.update(parent_code="100000", path=name)
        elif depth == 1:
            prov = stack[0]
            if code == prov["code"] or name == "省直辖行政区划":
                # a municipality's own city row, or the pseudo-city of counties
                # a province governs directly: not a unit of its own
                unit["skip"] = True
                unit["path"] = prov["name"] if code == prov["code"] else ""
                unit["code"] = prov["code"]
            else:
                unit.update(parent_code=prov["code"], path=name)
        else:
            city = stack[1]
            if city is None:
                continue
            unit.update(parent_code=city["code"], path=city["path"] + name)
        if not unit.get("skip"):
            rows.append(unit)
    return rows


def read_changes(whl: zipfile.ZipFile, by_path: dict[str, dict]) -> list[dict]:
    """Former names from china_location_change.txt, each valid until its change."""
    text = whl.read("jionlp/dictionary/china_location_change.txt").decode("utf-8")
    out: dict[tuple, dict] = {}
    for line in text.splitlines():
        if "=>" not in line:
            continue
        left, right = line.split("=>")
        lf = left.split("\t")
        day, old = lf[0], lf[2:]
        new = right.split("\t")
        old_names, old_shorts = old[0::2], old[1::2]
        if len(old_names) != len(new) or len(new) < 2:
            continue
        new_path = "".join(new[1:]) if new[1] not in ("省直辖行政区划",) else new[-1]
        target = by_path.get(new_path) or by_path.get(new[-1])
        old_name, old_short = old_names[-1], old_shorts[-1]
        if target is None or old_name == new[-1]:
            continue  # moved between parents under the same name: the current row holds it
        level = "city" if len(new) == 2 else "district_county"
        path = old_name if level == "city" else old_names[1] + old_name
        key = (path, target["code"])
        out[key] = dict(code=target["code"], level=level, parent_code=target["parent_code"], name=old_name,
                        short=old_short, path=path, valid_from="", valid_to=day[:4], source=f"{SOURCE} change {day}")
    return list(out.values())


def main(wheel: str) -> None:
    whl = zipfile.ZipFile(wheel)
    rows = read_locations(whl)
    by_path = {r["path"]: r for r in rows}
    changes = read_changes(whl, by_path)
    renamed_to = {}
    for c in changes:
        renamed_to.setdefault(c["code"], c["valid_to"])
    lines = [
        "# National administrative-division gazetteer: provinces, prefectures and counties (code, level, parent, names).",
        f"# Source: {SOURCE} (https://github.com/dongrixinyu/JioNLP, Apache-2.0, released 2025-11):"
        " jionlp/dictionary/china_location.zip (units and short names) and china_location_change.txt (renames 2002-2025),"
        " plus scripts/gazetteer_supplement.tsv (older renames, each with its source). Generated by scripts/build_gazetteer.py; do not edit.",
        "# valid_from/valid_to: years a name was in use (empty = open); a former name carries the code of the unit it became.",
        "code\tlevel\tparent_code\tname\tshort_names\tpath\tvalid_from\tvalid_to\tsource",
    ]

    def emit(r: dict) -> None:
        shorts = r.get("short_names")
        if shorts is None:
            shorts = ",".join(_short_forms(r["name"], r.get("short", "")))
        lines.append("\t".join([r["code"], r["level"], r.get("parent_code", ""), r["name"], shorts, r["path"],
                                r.get("valid_from", ""), r.get("valid_to", ""), r.get("source", SOURCE)]))

    emit(COUNTRY)
    for r in rows:
        r.setdefault("valid_from", renamed_to.get(r["code"], ""))
        emit(r)
    for r in changes:
        emit(r)
    for line in SUPPLEMENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", "code\t")):
            lines.append(line)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 5} units to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dl/jionlp-1.5.31-py2.py3-none-any.whl")
