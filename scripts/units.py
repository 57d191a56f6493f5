#!/usr/bin/env python3
"""Write workers/data/units.txt: the names of Vietnam's communes, wards, townships,
districts and district-level towns and cities, in capitals, one per line, for the header
vocabulary of `kho_workers::names`.

Source: the General Statistics Office's list of administrative units as packaged on PyPI
by `vietnam-provinces` — version 0.6.0 (data of 2025-01-04: the 10,000-odd communes and
700-odd districts before the July 2025 rearrangement, which older records name) and
2025.10.1 (data of 2025-08-02: the 3,321 communes after it).

    python3 -m venv /tmp/units && /tmp/units/bin/pip download --no-deps -d /tmp/units/w \
        vietnam-provinces==0.6.0 vietnam-provinces==2025.10.1
    python3 scripts/units.py /tmp/units/w/*.whl > workers/data/units.txt

A name's tone mark is written on the vowel the 1997-style spelling puts it on at a word's
end (HÒA, THÚY), as the rest of the vocabulary writes it, so the two spellings of one
name are one name.
"""
import json
import re
import sys
import unicodedata
import zipfile

# Old style (tone on the second vowel of a final oa/oe/uy) -> the style used here.
MOVE = {}
for base, marked in (("O", "ÒÓỎÕỌ"), ("U", "ÙÚỦŨỤ")):
    second = {"O": ("A", "E"), "U": ("Y",)}[base]
    for v in second:
        old_marked = {"A": "ÀÁẢÃẠ", "E": "ÈÉẺẼẸ", "Y": "ỲÝỶỸỴ"}[v]
        for m_new, m_old in zip(marked, old_marked):
            MOVE[base + m_old] = m_new + v


def canonical(word: str) -> str:
    if len(word) >= 2 and word[-2:] in MOVE and not word[:-2].endswith("Q"):
        return word[:-2] + MOVE[word[-2:]]
    return word


def names(wheel: str):
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read("vietnam_provinces/data/flat-divisions.json"))
    for row in data:
        for field in ("name", "ward_name", "district_name"):
            if row.get(field):
                yield row[field]


def main() -> None:
    out = set()
    for wheel in sys.argv[1:]:
        for name in names(wheel):
            name = unicodedata.normalize("NFC", name).upper()
            words = [canonical(w) for w in re.split(r"\s+", name.strip())]
            if len(words) >= 2:
                out.add(" ".join(words))
    print("# Communes, wards, townships and districts of Vietnam (GSO, via the vietnam-provinces")
    print("# package 0.6.0 and 2025.10.1); made by scripts/units.py. One name per line.")
    for name in sorted(out):
        print(name)


if __name__ == "__main__":
    main()
